/**
 * The `laminar serve` benchmark (issue #16): one serve cycle over `gitRepos` git repositories ×
 * `refs` references sharing `shared` registry repositories, against separate `laminar plan` runs
 * of the same repositories. The git remotes are local bare repositories; the registry is the
 * bench's real one. The figure that matters is a count: tag-list requests per cycle, which should
 * be `shared` (one per registry repository), not gitRepos × shared.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { RequestCounts } from "../src/registry/types.js";
import { initBareRepo } from "../test/helpers/github-api/git-fixtures.js";
import { laminarConfig, type RefPicker } from "./manifests.js";
import { BENCH_DIR, runMeasured } from "./measure.js";
import { runPlan, type PlanRun, type Runner } from "./plan-runs.js";
import { Random } from "./random.js";
import type { BenchRepo } from "./registry-data.js";
import { table } from "./report.js";
import type { ServeCycleResult } from "./serve-child.js";

/** Sizes of the serve benchmark. */
export interface ServeBenchSizes {
  readonly gitRepos: number;
  readonly refs: number;
  readonly shared: number;
  /** Separate `laminar plan` runs actually measured; the rest is extrapolated. */
  readonly planSample: number;
}

/** What results.json keeps of it. */
export interface ServeBenchResult extends ServeBenchSizes {
  /** Registry repositories the cycle's repositories reference (the tag-list goal). */
  readonly distinctRegistryRepositories: number;
  readonly cycle: {
    readonly requests: RequestCounts;
    readonly tagListRequests: number;
    /** From the parent: process start to exit. */
    readonly wallMs: number;
    /** Inside the engine: start() until every repository's first run ended. */
    readonly cycleMs: number;
    readonly maxRssKb: number | undefined;
    readonly succeeded: number;
    readonly pushed: number;
    readonly errors: readonly string[];
  };
  readonly plans: {
    readonly measured: number;
    readonly tagListRequests: number;
    readonly totalRequests: number;
    readonly wallMs: number;
    readonly maxRssKb: number | undefined;
    /** Extrapolated to `gitRepos` runs (× gitRepos / measured). */
    readonly extrapolated: {
      readonly tagListRequests: number;
      readonly totalRequests: number;
      readonly wallMs: number;
    };
  };
}

const total = (r: RequestCounts): number =>
  Object.values(r).reduce((a: number, b) => a + (typeof b === "number" ? b : 0), 0);

/** A Deployment with one container per reference. */
function deployment(refs: readonly string[]): string {
  const containers = refs.map((r, i) => `        - name: c${i}\n          image: ${r}\n`).join("");
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n${containers}`;
}

/**
 * Writes the bare remotes and server.yaml, runs one serve cycle in a child process, then
 * `planSample` separate `laminar plan` runs (each in its own checkout with its own empty cache,
 * as separate CI jobs would be; the serve cycle starts from an empty state dir too).
 */
export async function serveBench(o: {
  readonly work: string;
  readonly host: string;
  readonly registryRepos: readonly BenchRepo[];
  readonly pick: RefPicker;
  readonly sizes: ServeBenchSizes;
  readonly runner: Runner;
  readonly mode: "time" | "node";
  readonly log: (m: string) => void;
}): Promise<ServeBenchResult> {
  const { gitRepos, refs, planSample } = o.sizes;
  const shared = o.registryRepos.slice(0, o.sizes.shared);
  const rng = new Random(7);
  const root = join(o.work, "serve");
  const remotes = join(root, "remotes");
  await mkdir(remotes, { recursive: true });
  const used = new Set<string>();
  const names: string[] = [];
  for (let i = 0; i < gitRepos; i++) {
    const name = `r${String(i).padStart(3, "0")}`;
    const picked: string[] = [];
    // Reference j of repository i uses registry repository (i + j) mod shared: every repository
    // spreads over the shared set, and together they cover it.
    for (let j = 0; j < refs; j++) {
      const repo = shared[(i + j) % shared.length] as BenchRepo;
      used.add(repo.name);
      picked.push(o.pick(repo, rng));
    }
    initBareRepo(join(remotes, `${name}.git`), {
      ".laminar.yaml": laminarConfig(o.host),
      "deploy/app.yaml": deployment(picked),
    });
    names.push(name);
  }
  const config = join(root, "server.yaml");
  await writeFile(
    config,
    [
      "registries:",
      `  - host: ${o.host}`,
      "git:",
      // pollFreq 3600: a cycle window of 30 minutes, so a slow machine's cycle is still one window.
      ...names.map(
        (n) => `  - {name: ${n}, url: ./remotes/${n}.git, branch: main, pollFreq: 3600, remoteConfig: true}`,
      ),
      "",
    ].join("\n"),
  );
  o.log(`serve cycle: ${gitRepos} git repositories × ${refs} references over ${used.size} registry repositories…`);
  const r = await runMeasured(
    {
      script: join(BENCH_DIR, "serve-child.ts"),
      args: ["--config", config, "--state-dir", join(root, "state")],
      tsx: true,
    },
    o.mode,
  );
  if (r.code !== 0) throw new Error(`serve cycle exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  const cycle = JSON.parse(r.stdout) as ServeCycleResult;
  const errors = cycle.runs.filter((x) => x.result !== "success").map((x) => `${x.name}: ${x.error ?? x.result}`);
  o.log(
    `  ${(r.wallMs / 1000).toFixed(1)} s, ${cycle.requests.tagPages} tag-list requests, ${cycle.runs.filter((x) => x.commit).length} pushed`,
  );

  const sample = Math.min(planSample, gitRepos);
  o.log(`${sample} separate laminar plan runs (own checkout, own empty cache)…`);
  const plans: PlanRun[] = [];
  for (const name of names.slice(0, sample)) {
    const dir = join(root, "checkouts", name);
    execFileSync("git", ["clone", "--quiet", join(remotes, `${name}.git`), dir], { stdio: "ignore" });
    plans.push(
      await runPlan(`plan ${name}`, o.runner, { dir, cache: join(root, "caches", `${name}.json`), mode: o.mode }),
    );
  }
  const sum = (f: (p: PlanRun) => number): number => plans.reduce((a, p) => a + f(p), 0);
  const scale = gitRepos / Math.max(1, sample);
  const planTags = sum((p) => p.requests.tagPages);
  const planTotal = sum((p) => total(p.requests));
  const planWall = sum((p) => p.wallMs);
  const rss = plans.map((p) => p.maxRssKb ?? 0);
  return {
    ...o.sizes,
    shared: shared.length,
    distinctRegistryRepositories: used.size,
    cycle: {
      requests: cycle.requests,
      tagListRequests: cycle.requests.tagPages,
      wallMs: r.wallMs,
      cycleMs: cycle.cycleMs,
      maxRssKb: r.maxRssKb,
      succeeded: cycle.runs.length - errors.length,
      pushed: cycle.runs.filter((x) => x.commit).length,
      errors,
    },
    plans: {
      measured: sample,
      tagListRequests: planTags,
      totalRequests: planTotal,
      wallMs: planWall,
      maxRssKb: Math.max(...rss) || undefined,
      extrapolated: { tagListRequests: planTags * scale, totalRequests: planTotal * scale, wallMs: planWall * scale },
    },
  };
}

/** The serve benchmark's table: the cycle, the separate plan runs (extrapolated), and their ratio. */
export function serveTable(s: ServeBenchResult): string {
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const mb = (kb: number | undefined): string => (kb ? `${(kb / 1024).toFixed(0)} MB` : "?");
  const ratio = (a: number, b: number): string => (b ? `${(a / b).toFixed(1)}×` : "–");
  const x = s.plans.extrapolated;
  const head =
    s.plans.measured === s.gitRepos
      ? `${s.gitRepos} plan runs`
      : `${s.gitRepos} plan runs (${s.plans.measured} measured)`;
  return table([
    ["", "tag-list requests", "all requests", "wall", "peak RSS"],
    [
      "one serve cycle",
      String(s.cycle.tagListRequests),
      String(total(s.cycle.requests)),
      sec(s.cycle.wallMs),
      mb(s.cycle.maxRssKb),
    ],
    [
      head,
      String(Math.round(x.tagListRequests)),
      String(Math.round(x.totalRequests)),
      sec(x.wallMs),
      mb(s.plans.maxRssKb),
    ],
    [
      "plan runs ÷ serve",
      ratio(x.tagListRequests, s.cycle.tagListRequests),
      ratio(x.totalRequests, total(s.cycle.requests)),
      ratio(x.wallMs, s.cycle.wallMs),
      "",
    ],
  ]);
}
