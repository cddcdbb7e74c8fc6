import { parseArgs } from "node:util";

/** Every size and switch of a benchmark run. */
/** The parts of a run `--only` can pick (the registry is seeded for each). */
export const BENCH_PARTS = ["plans", "scan", "serve"] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

export interface BenchOptions {
  readonly files: number;
  readonly refs: number;
  readonly repos: number;
  readonly tags: number;
  readonly corpusMb: number;
  /** Tiny sizes for CI: checks that everything runs and the warm-run invariant, never timings. */
  readonly quick: boolean;
  /** Where results.json goes. */
  readonly out: string;
  /** Parallel image pushes while seeding. */
  readonly seedConcurrency: number;
  /** Measured repetitions of each scan (the median is reported). */
  readonly scanRuns: number;
  /** Repetitions of the warm plan (the median wall time is reported). */
  readonly warmRuns: number;
  /** Keep the generated repository, corpus and cache (their directory is printed). */
  readonly keep: boolean;
  /** How peak RSS of child processes is read: GNU time, or the in-process wrapper. */
  readonly rss: "auto" | "time" | "node";
  /** Run the CLI through tsx from src/ even when dist/cli.js exists. */
  readonly fromSource: boolean;
  /** The serve cycle (bench/serve-bench.ts): git repositories, references each, shared registry repositories. */
  readonly serveRepos: number;
  readonly serveRefs: number;
  readonly serveShared: number;
  /** Separate `laminar plan` runs measured for the comparison (the rest extrapolated). */
  readonly servePlanSample: number;
  /** `--peer renovate`: run only the side-by-side comparison (bench/peer-renovate.ts) and exit. */
  readonly peer: "renovate" | undefined;
  /** Run this part alone (seeding included); every part when undefined. */
  readonly only: BenchPart | undefined;
}

export const USAGE = `npm run bench -- [options]

  --files N          manifest files in the synthetic repository (default 1000)
  --refs N           image references in them (default 2000)
  --repos N          registry repositories (default 50)
  --tags N           tags per repository (default 500)
  --corpus-mb N      size of the scan corpus in MB (default 100)
  --quick            tiny sizes for CI; fails only if something breaks or the warm run fetches metadata
  --out FILE         results file (default bench/results.json)
  --seed-concurrency N  parallel image pushes while seeding (default 32)
  --scan-runs N      measured scans per tool, median reported (default 3)
  --warm-runs N      warm plans, median wall time reported (default 3)
  --rss auto|time|node  peak RSS via /usr/bin/time (auto when present) or bench/measure-child.ts
  --from-source      run the CLI from src/ through tsx even when dist/cli.js exists
  --keep             keep the generated files (their directory is printed)
  --serve-repos N    git repositories in the serve cycle (default 100)
  --serve-refs N     references in each (default 20)
  --serve-shared N   registry repositories they share (default 20; at most --repos)
  --serve-plan-sample N  separate laminar plan runs measured for the comparison (default 10)
  --only plans|scan|serve  run one part alone after seeding: the plan runs (cold, warm, naive, pushes),
                     the scan and corpus plan (the corpus plan needs the plans' warm cache, so is skipped),
                     or the serve cycle
  --peer renovate    only compare with Renovate 44 (installed into .tools/ when missing) at 200 files /
                     50 repositories and 2,000 files / 500 repositories, then exit; with --quick: 20 / 6`;

const QUICK = {
  files: 40,
  refs: 80,
  repos: 6,
  tags: 30,
  corpusMb: 2,
  scanRuns: 1,
  warmRuns: 1,
  serveRepos: 10,
  serveRefs: 5,
  serveShared: 3,
  servePlanSample: 3,
} as const;
const FULL = {
  files: 1000,
  refs: 2000,
  repos: 50,
  tags: 500,
  corpusMb: 100,
  scanRuns: 3,
  warmRuns: 3,
  serveRepos: 100,
  serveRefs: 20,
  serveShared: 20,
  servePlanSample: 10,
} as const;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function parseBenchArgs(argv: readonly string[], defaultOut: string): BenchOptions {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      files: { type: "string" },
      refs: { type: "string" },
      repos: { type: "string" },
      tags: { type: "string" },
      "corpus-mb": { type: "string" },
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      "seed-concurrency": { type: "string" },
      "scan-runs": { type: "string" },
      "warm-runs": { type: "string" },
      rss: { type: "string", default: "auto" },
      "from-source": { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      "serve-repos": { type: "string" },
      "serve-refs": { type: "string" },
      "serve-shared": { type: "string" },
      "serve-plan-sample": { type: "string" },
      peer: { type: "string" },
      only: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (v.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const base = v.quick ? QUICK : FULL;
  if (v.peer !== undefined && v.peer !== "renovate")
    throw new Error(`--peer: only "renovate" is known, got ${JSON.stringify(v.peer)}`);
  if (v.rss !== "auto" && v.rss !== "time" && v.rss !== "node") throw new Error("--rss must be auto, time or node");
  const only = v.only as BenchPart | undefined;
  if (only !== undefined && !BENCH_PARTS.includes(only))
    throw new Error(`--only must be one of ${BENCH_PARTS.join(", ")}, got ${JSON.stringify(v.only)}`);
  const opts: BenchOptions = {
    files: positiveInt("files", v.files, base.files),
    refs: positiveInt("refs", v.refs, base.refs),
    repos: positiveInt("repos", v.repos, base.repos),
    tags: positiveInt("tags", v.tags, base.tags),
    corpusMb: positiveInt("corpus-mb", v["corpus-mb"], base.corpusMb),
    quick: v.quick,
    out: v.out ?? defaultOut,
    seedConcurrency: positiveInt("seed-concurrency", v["seed-concurrency"], 32),
    scanRuns: positiveInt("scan-runs", v["scan-runs"], base.scanRuns),
    warmRuns: positiveInt("warm-runs", v["warm-runs"], base.warmRuns),
    keep: v.keep,
    rss: v.rss,
    fromSource: v["from-source"],
    serveRepos: positiveInt("serve-repos", v["serve-repos"], base.serveRepos),
    serveRefs: positiveInt("serve-refs", v["serve-refs"], base.serveRefs),
    serveShared: positiveInt("serve-shared", v["serve-shared"], base.serveShared),
    servePlanSample: positiveInt("serve-plan-sample", v["serve-plan-sample"], base.servePlanSample),
    peer: v.peer,
    only,
  };
  // The after-push run pushes one tag to each of 5 repositories; channels need a few tags to choose from.
  if (opts.tags < 10) throw new Error("--tags must be at least 10");
  if (opts.serveShared > opts.repos) throw new Error("--serve-shared must be at most --repos");
  return opts;
}
