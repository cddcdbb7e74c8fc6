/**
 * `npm run bench [-- options]`: Laminar's benchmarks (see bench/README.md).
 *
 *   1. a real registry (docker-registry, token auth) seeded with repos × tags;
 *   2. a synthetic manifests repository; `laminar plan` cold, warm and after 5 pushes, each in a
 *      child process: registry requests by kind, wall time, peak RSS;
 *   3. the naive strategy on the same data (before and after the pushes);
 *   4. a large corpus: scan throughput against ripgrep, and `laminar plan`'s peak RSS on it.
 *
 * Prints a table, writes results JSON, and exits non-zero if something broke or the warm run
 * fetched any manifest or blob. Timings are reported, never enforced.
 */
import { cpus, tmpdir, totalmem } from "node:os";
import { mkdir, mkdtemp, rm, writeFile, copyFile } from "node:fs/promises";
import { join } from "node:path";
import { totalRequests } from "../src/registry/http.js";
import { startRegistry, type RunningRegistry } from "../test/helpers/registry/server.js";
import { seedImages } from "../test/helpers/registry/seed.js";
import { parseBenchArgs, type BenchOptions, type BenchPart } from "./args.js";
import { writeCorpus, type CorpusStats } from "./corpus.js";
import { generateTree, laminarConfig, refPicker, writeTree } from "./manifests.js";
import { resolveRssMode } from "./measure.js";
import { cliRunner, probeCli, runPlan, type PlanRun, type Runner } from "./plan-runs.js";
import { buildRepos, pushedTags, seedImagesFor, type BenchRepo } from "./registry-data.js";
import {
  checkTargets,
  compareNaive,
  metadataRequests,
  naiveTable,
  runsTable,
  scanLine,
  targetsTable,
  type NaiveComparison,
  type Target,
} from "./report.js";
import { compareScan, median, RG_PATTERN, type ScanComparison } from "./scan-bench.js";
import { seedRegistry } from "./seeding.js";
import { serveBench, serveTable, type ServeBenchResult } from "./serve-bench.js";
import { peerRenovate, peerTable, QUICK_PEER_SCALES } from "./peer-renovate.js";

const log = (msg: string): void => {
  process.stderr.write(`[bench] ${msg}\n`);
};
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export interface BenchResults {
  readonly date: string;
  readonly node: string;
  readonly machine: { readonly cpus: number; readonly memoryGb: number };
  readonly options: BenchOptions;
  readonly runner: string;
  readonly runnerNote?: string;
  readonly rssVia: string;
  readonly registry: {
    readonly repositories: number;
    readonly tagsPerRepository: number;
    readonly tags: number;
    readonly kinds: Readonly<Record<string, number>>;
    readonly seedMs: number;
    readonly seedTagsPerSecond: number;
    readonly seedConcurrency: number;
  };
  readonly repository: {
    readonly files: number;
    readonly references: number;
    readonly bytes: number;
    readonly candidates: number;
    readonly multiArchCandidates: number;
  };
  readonly runs: Readonly<Record<string, PlanRun>>;
  /** Empty when the plan runs were skipped (`--only scan|serve`), like `runs`. */
  readonly naive: readonly NaiveComparison[];
  readonly corpus?: CorpusStats & { readonly plan: PlanRun; readonly generateMs: number };
  readonly scan?: ScanComparison & { readonly rgPattern: string };
  /**
   * Manifest and blob requests the after-push run needs at least: a manifest GET and a config
   * blob GET per new tag (an index: + its platform manifest). Known tags cost nothing (#12).
   */
  readonly afterPushFloor?: number;
  /** One `laminar serve` cycle against separate `laminar plan` runs (bench/serve-bench.ts). */
  readonly serve?: ServeBenchResult;
  readonly targets: readonly Target[];
  readonly problems: readonly string[];
}

/** Build-time candidates the cold run must learn times for: every channel tag of a referenced build repository. */
function candidateCounts(repos: readonly BenchRepo[], refs: number): { candidates: number; multiArch: number } {
  let candidates = 0;
  let multiArch = 0;
  for (const r of repos.slice(0, Math.min(refs, repos.length))) {
    if (r.kind === "semver") continue;
    const c = r.tags.filter((t) => t.inChannel).length;
    candidates += c;
    if (r.kind === "multiarch") multiArch += c;
  }
  return { candidates, multiArch };
}

/** `--peer renovate`: the comparison alone, its table and results file; exit 1 on any problem. */
async function peerMain(
  opts: BenchOptions,
  ctx: { work: string; runner: Runner; rssVia: "time" | "node"; out: string },
): Promise<number> {
  const { results, problems } = await peerRenovate({
    work: ctx.work,
    runner: ctx.runner,
    mode: ctx.rssVia,
    seedConcurrency: opts.seedConcurrency,
    ...(opts.quick ? { scales: QUICK_PEER_SCALES } : {}),
    log,
  });
  await mkdir(join(ctx.out, ".."), { recursive: true });
  await writeFile(
    ctx.out,
    `${JSON.stringify({ date: new Date().toISOString(), runner: ctx.runner.name, rssVia: ctx.rssVia, results, problems }, null, 2)}\n`,
  );
  console.log(
    `\nLaminar and Renovate side by side — cold runs, ${cpus().length} cores, peak RSS via ${ctx.rssVia === "time" ? "/usr/bin/time" : "bench/measure-child.ts"}`,
  );
  console.log(peerTable(results));
  if (problems.length) console.log(`\nproblems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  console.log(`\nresults: ${ctx.out}`);
  return problems.length ? 1 : 0;
}

async function main(): Promise<number> {
  const defaultOut = new URL("results.json", import.meta.url).pathname;
  const opts = parseBenchArgs(process.argv.slice(2), defaultOut);
  const rssVia = resolveRssMode(opts.rss);
  const part = (p: BenchPart): boolean => opts.only === undefined || opts.only === p;
  const work = await mkdtemp(join(tmpdir(), "laminar-bench-"));
  const problems: string[] = [];
  let registry: RunningRegistry | undefined;
  const stop = async (): Promise<void> => {
    await registry?.stop().catch(() => undefined);
    registry = undefined;
    if (!opts.keep) await rm(work, { recursive: true, force: true });
  };
  // Interrupted: stop the registry (and its tmpfs storage) before going.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stop().then(() => process.exit(130));
    });
  }
  try {
    log(`work directory ${work}${opts.keep ? " (kept)" : ""}`);
    const chosen = await cliRunner(opts.fromSource, join(work, "cli"));
    let runner: Runner = chosen.runner;
    let runnerNote = chosen.note;
    const broken = await probeCli(runner, rssVia);
    if (broken) {
      runnerNote = `${runner.name} does not run (${broken}); measured bench/plan-child.ts (same engine and registry client) instead`;
      log(runnerNote);
      runner = { kind: "child", name: "plan-child laminar" };
    }
    if (opts.peer === "renovate") {
      // Only the side-by-side comparison (issue #12): it has its own registries and repositories.
      const out = opts.out === defaultOut ? new URL("peer-results.json", import.meta.url).pathname : opts.out;
      return await peerMain(opts, { work, runner, rssVia, out });
    }

    // 1. Registry.
    registry = await startRegistry({ auth: "token", anonymousPull: true });
    const repos = buildRepos(opts.repos, opts.tags);
    log(
      `seeding ${opts.repos} repositories × ${opts.tags} tags into ${registry.host} (concurrency ${opts.seedConcurrency})`,
    );
    const seeded = await seedRegistry(registry, repos, {
      concurrency: opts.seedConcurrency,
      progress: (done, total, ms) => log(`  seeded ${done}/${total} tags in ${secs(ms)}`),
    });
    const kinds: Record<string, number> = {};
    for (const r of repos) kinds[r.kind] = (kinds[r.kind] ?? 0) + 1;

    // 2. Manifests repository.
    const host = registry.host;
    const pick = refPicker(host, seeded.digests);
    const repoDir = join(work, "repo");
    await mkdir(repoDir, { recursive: true });
    await writeFile(join(repoDir, ".laminar.yaml"), laminarConfig(host, { everyCandidate: true }));
    const tree = await writeTree(
      repoDir,
      generateTree({
        files: opts.files,
        refs: opts.refs,
        repos,
        host,
        pick,
        noise: [500, 3000],
        noiseShare: 0.1,
        seed: 3,
      }),
    );
    const { candidates, multiArch } = candidateCounts(repos, opts.refs);
    log(`repository: ${tree.files} files, ${tree.refs} references, ${(tree.bytes / 1e6).toFixed(1)} MB`);

    // 3. Laminar: cold, warm; naive; 5 pushes; after push; naive again.
    const cache = join(work, "cache", "registry.json");
    const mode = rssVia;
    const runs: Record<string, PlanRun> = {};
    let plans:
      | {
          cold: PlanRun;
          warm: PlanRun;
          naive: PlanRun;
          afterPush: PlanRun;
          afterPushFloor: number;
          naiveComparison: NaiveComparison[];
          pushes: ReturnType<typeof pushedTags>;
        }
      | undefined;
    const plan = async (
      key: string,
      label: string,
      strategy?: "naive",
      repeat = 1,
      images?: readonly string[],
    ): Promise<PlanRun> => {
      log(`${label}…`);
      const once = (): Promise<PlanRun> =>
        runPlan(label, strategy ? { kind: "child", name: "plan-child naive" } : runner, {
          dir: repoDir,
          cache,
          mode,
          ...(strategy ? { strategy } : {}),
          ...(images ? { images } : {}),
        });
      let r = await once();
      if (repeat > 1) {
        // A warm run changes nothing, so it can be repeated: wall time on 2 shared cores is noisy.
        const all = [r];
        for (let i = 1; i < repeat; i++) all.push(await once());
        const walls = all.map((x) => x.wallMs);
        const rss = all.map((x) => x.maxRssKb ?? 0);
        r = { ...r, wallMs: median(walls), wallRunsMs: walls, maxRssKb: Math.max(...rss) || undefined };
        if (all.some((x) => metadataRequests(x.requests) !== 0))
          problems.push(`${label}: a repeated warm run made manifest/blob requests`);
      }
      log(
        `  ${secs(r.wallMs)}${r.wallRunsMs ? ` (median of ${r.wallRunsMs.map(secs).join(", ")})` : ""}, ${r.changes} changes, metadata requests ${metadataRequests(r.requests)}`,
      );
      if (r.failures) problems.push(`${label}: ${r.failures} registry failure(s) in the plan`);
      // The Helm values shape also holds a `repository:` + `tag: "{{ .Chart.AppVersion }}"` map: the
      // plan reports it as `templated` (issue #10), and it is not one of the references written.
      const seen =
        r.changes +
        Object.entries(r.unchanged)
          .filter(([reason]) => reason !== "templated")
          .reduce((a, [, n]) => a + n, 0);
      if (seen !== tree.refs) problems.push(`${label}: the plan covers ${seen} references, ${tree.refs} were written`);
      runs[key] = r;
      return r;
    };
    if (part("plans")) {
      const cold = await plan("cold", "cold (empty cache)");
      const warm = await plan("warm", "warm (nothing new)", undefined, opts.warmRuns);
      const naive = await plan("naive", "naive", "naive");
      const pushes = pushedTags(repos, opts.tags);
      await seedImages(
        registry,
        pushes.flatMap(({ repo, tag }) => seedImagesFor(repo, [tag])),
        { concurrency: 5 },
      );
      log(`pushed ${pushes.map((p) => `${p.repo.name}:${p.tag.tag}`).join(", ")}`);
      const afterPush = await plan("afterPush", `after ${pushes.length} pushes`);
      const referenced = new Set(repos.slice(0, Math.min(tree.refs, repos.length)));
      const afterPushFloor = pushes
        .filter((p) => referenced.has(p.repo))
        .reduce((n, p) => n + (p.repo.kind === "multiarch" ? 3 : 2), 0);
      if (metadataRequests(afterPush.requests) > afterPushFloor)
        problems.push(
          `after ${pushes.length} pushes: ${metadataRequests(afterPush.requests)} manifest/blob requests, the new tags need ${afterPushFloor}`,
        );
      const naiveAfterPush = await plan("naiveAfterPush", `naive after ${pushes.length} pushes`, "naive");
      // A targeted run, as a repository_dispatch after one more build would start it (issue #15):
      // `--image REPO:TAG` on the warm cache asks about the pushed tag alone.
      const [dispatch] = pushedTags(repos, opts.tags + 1, 1, 9);
      if (dispatch) {
        await seedImages(registry, seedImagesFor(dispatch.repo, [dispatch.tag]), { concurrency: 1 });
        const image = `${host}/${dispatch.repo.name}:${dispatch.tag.tag}`;
        const targeted = await plan("targeted", "targeted (--image, 1 pushed tag)", undefined, 1, [image]);
        if (totalRequests(targeted.requests) > 3)
          problems.push(`targeted run made ${totalRequests(targeted.requests)} registry requests (goal ≤ 3)`);
        if (targeted.changes === 0) problems.push("targeted run moved nothing (the pushed tag is the newest)");
      }
      // Naive has no cache: its run before the pushes is its cold and its warm run alike.
      const naiveComparison = compareNaive([
        [naive, cold],
        [naive, warm],
        [naiveAfterPush, afterPush],
      ]);
      if (metadataRequests(warm.requests) !== 0)
        problems.push(`warm run made ${metadataRequests(warm.requests)} manifest/blob requests (must be 0)`);
      plans = { cold, warm, naive, afterPush, afterPushFloor, naiveComparison, pushes };
    }

    // 4. Corpus: scan throughput against ripgrep, then `laminar plan` over it with the warm cache.
    let scanPart: { corpus: CorpusStats; generateMs: number; scan: ScanComparison; corpusPlan?: PlanRun } | undefined;
    if (part("scan")) {
      const pushes = plans?.pushes ?? [];
      log(`generating the ${opts.corpusMb} MB corpus…`);
      const corpusDir = join(work, "corpus");
      const genStart = performance.now();
      // The pushed tags are in the registry now: references may point at them like at any other tag.
      const reposNow = repos.map((r) => ({
        ...r,
        tags: [...r.tags, ...pushes.filter((p) => p.repo.name === r.name).map((p) => p.tag)],
      }));
      const corpus = await writeCorpus(corpusDir, { mb: opts.corpusMb, repos: reposNow, host, pick });
      const generateMs = performance.now() - genStart;
      log(
        `corpus: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(1)} MB in ${secs(generateMs)}; scanning (${opts.scanRuns} runs per tool)…`,
      );
      const scan = await compareScan(corpusDir, opts.scanRuns);
      log(`  ${scanLine(scan)}`);
      scanPart = { corpus, generateMs, scan };
      if (plans) {
        const corpusCache = join(work, "cache", "corpus.json");
        await copyFile(cache, corpusCache);
        log("laminar plan on the corpus (warm cache)…");
        const corpusPlan = await runPlan("corpus (warm)", runner, { dir: corpusDir, cache: corpusCache, mode });
        log(
          `  ${secs(corpusPlan.wallMs)}, peak RSS ${corpusPlan.maxRssKb ? `${(corpusPlan.maxRssKb / 1024).toFixed(0)} MB` : "?"}`,
        );
        if (corpusPlan.failures) problems.push(`corpus plan: ${corpusPlan.failures} registry failure(s)`);
        scanPart.corpusPlan = corpusPlan;
      } else log("laminar plan on the corpus skipped: it needs the warm cache of the plan runs");
    }

    // 5. One serve cycle over many git repositories sharing a few registry repositories.
    let serve: ServeBenchResult | undefined;
    if (part("serve")) {
      serve = await serveBench({
        work,
        host,
        registryRepos: repos,
        pick,
        sizes: {
          gitRepos: opts.serveRepos,
          refs: opts.serveRefs,
          shared: opts.serveShared,
          planSample: opts.servePlanSample,
        },
        runner,
        mode,
        log,
      });
      for (const e of serve.cycle.errors) problems.push(`serve cycle: ${e}`);
      // With fewer than 1000 tags a repository's tag list is one page: one request per registry repository.
      if (opts.tags < 1000 && serve.cycle.tagListRequests !== serve.distinctRegistryRepositories)
        problems.push(
          `serve cycle: ${serve.cycle.tagListRequests} tag-list requests for ${serve.distinctRegistryRepositories} registry repositories`,
        );
    }

    const defaultSizes =
      !opts.quick && opts.files === 1000 && opts.refs === 2000 && opts.repos === 50 && opts.tags === 500;
    // The targets compare against the plan runs; without them (`--only scan|serve`) there are none.
    const targets = plans
      ? checkTargets({
          defaultSizes,
          cold: plans.cold,
          warm: plans.warm,
          naive: plans.naive,
          candidates,
          multiArchCandidates: multiArch,
          corpusPlan: scanPart?.corpusPlan,
          corpusMb: opts.corpusMb,
          scan: scanPart?.scan,
        })
      : [];
    const results: BenchResults = {
      date: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30) },
      options: opts,
      runner: runner.name,
      ...(runnerNote ? { runnerNote } : {}),
      rssVia,
      registry: {
        repositories: opts.repos,
        tagsPerRepository: opts.tags,
        tags: seeded.tags,
        kinds,
        seedMs: seeded.ms,
        seedTagsPerSecond: seeded.tags / (seeded.ms / 1000),
        seedConcurrency: opts.seedConcurrency,
      },
      repository: {
        files: tree.files,
        references: tree.refs,
        bytes: tree.bytes,
        candidates,
        multiArchCandidates: multiArch,
      },
      runs,
      naive: plans?.naiveComparison ?? [],
      ...(scanPart?.corpusPlan
        ? { corpus: { ...scanPart.corpus, plan: scanPart.corpusPlan, generateMs: scanPart.generateMs } }
        : {}),
      ...(scanPart ? { scan: { ...scanPart.scan, rgPattern: RG_PATTERN } } : {}),
      ...(plans ? { afterPushFloor: plans.afterPushFloor } : {}),
      ...(serve ? { serve } : {}),
      targets,
      problems,
    };
    await mkdir(join(opts.out, ".."), { recursive: true });
    await writeFile(opts.out, `${JSON.stringify(results, null, 2)}\n`);

    const kindText = Object.entries(kinds)
      .map(([k, c]) => `${c} ${k}`)
      .join(", ");
    console.log(`\nLaminar benchmarks — ${results.date}, Node ${process.version}, ${results.machine.cpus} cores`);
    console.log(
      `plan runner: ${runner.name}; peak RSS via ${rssVia === "time" ? "/usr/bin/time" : "bench/measure-child.ts"}`,
    );
    if (runnerNote) console.log(`note: ${runnerNote}`);
    console.log(
      `registry: ${opts.repos} repositories (${kindText}) × ${opts.tags} tags = ${seeded.tags} tags, seeded in ${secs(seeded.ms)} (${results.registry.seedTagsPerSecond.toFixed(0)} tags/s)`,
    );
    console.log(
      `repository: ${tree.files} files, ${tree.refs} references, ${(tree.bytes / 1e6).toFixed(1)} MB; ${candidates} build-time candidate tags (${multiArch} multi-arch)\n`,
    );
    const planRuns = [...Object.values(runs), ...(scanPart?.corpusPlan ? [scanPart.corpusPlan] : [])];
    if (planRuns.length) console.log(runsTable(planRuns));
    if (plans) {
      const { pushes, afterPush, afterPushFloor, naiveComparison } = plans;
      console.log(
        `after ${pushes.length} pushes: ${metadataRequests(afterPush.requests)} manifest/blob requests; the new tags alone need ${afterPushFloor}`,
      );
      console.log(`\n${naiveTable(naiveComparison)}`);
    }
    if (scanPart) {
      const { scan } = scanPart;
      console.log(`\nscan of ${(scan.bytes / 1e6).toFixed(1)} MB in ${scan.files} files: ${scanLine(scan)}`);
    }
    if (serve)
      console.log(
        `\nserve: one cycle over ${serve.gitRepos} git repositories × ${serve.refs} references sharing ${serve.distinctRegistryRepositories} registry repositories (clone, plan, commit, push each; maxParallel 4)\n${serveTable(serve)}`,
      );
    if (targets.length) console.log(`\ntargets:\n${targetsTable(targets)}`);
    if (problems.length) console.log(`\nproblems:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    console.log(`\nresults: ${opts.out}`);
    return problems.length ? 1 : 0;
  } finally {
    await stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
