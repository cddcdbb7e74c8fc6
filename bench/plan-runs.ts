/**
 * One measured `plan` in a child process: the real CLI (`laminar plan --json`), or
 * bench/plan-child.ts for the naive strategy and for when the CLI cannot run yet.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RequestCounts } from "../src/registry/types.js";
import { bundleCli } from "./bundle-cli.js";
import { BENCH_DIR, ROOT, runMeasured, type NodeProgram } from "./measure.js";
import type { ChildPlanResult } from "./plan-child.js";

export interface PlanRun {
  readonly label: string;
  /** What ran: `dist/cli.js`, `src/cli/bin.ts (tsx)`, `plan-child laminar`, `plan-child naive`. */
  readonly runner: string;
  readonly requests: RequestCounts;
  /** Wall time; the median when the run was repeated. */
  readonly wallMs: number;
  /** Every repetition's wall time, when repeated. */
  readonly wallRunsMs?: readonly number[];
  /** Peak RSS (the highest of the repetitions). */
  readonly maxRssKb: number | undefined;
  readonly changes: number;
  readonly unchanged: Readonly<Record<string, number>>;
  readonly failures: number;
}

export type Runner =
  { kind: "cli"; program: (args: readonly string[]) => NodeProgram; name: string } | { kind: "child"; name: string };

/**
 * The CLI as built (dist/cli.js); before it exists, src/ bundled the same way into `workDir`;
 * with `fromSource` (or if bundling fails), src/cli/bin.ts through tsx.
 */
export async function cliRunner(fromSource: boolean, workDir: string): Promise<{ runner: Runner; note?: string }> {
  const dist = join(ROOT, "dist/cli.js");
  const tsx: Runner = {
    kind: "cli",
    name: "src/cli/bin.ts (tsx)",
    program: (args) => ({ script: join(ROOT, "src/cli/bin.ts"), args, tsx: true }),
  };
  if (fromSource) return { runner: tsx };
  if (existsSync(dist))
    return { runner: { kind: "cli", name: "dist/cli.js", program: (args) => ({ script: dist, args, tsx: false }) } };
  try {
    const script = await bundleCli(workDir);
    return {
      runner: {
        kind: "cli",
        name: "src/ bundled as dist/cli.js would be",
        program: (args) => ({ script, args, tsx: false }),
      },
    };
  } catch (e) {
    return {
      runner: tsx,
      note: `bundling the CLI failed (${e instanceof Error ? e.message.split("\n")[0] : String(e)}); ran it through tsx`,
    };
  }
}

/** Does the CLI start? (While src/cli/ is being written it may not; the bench then says so.) */
export async function probeCli(runner: Runner, mode: "time" | "node"): Promise<string | undefined> {
  if (runner.kind !== "cli") return undefined;
  const r = await runMeasured(runner.program(["--version"]), mode);
  return r.code === 0
    ? undefined
    : (r.stderr
        .trim()
        .split("\n")
        .find((l) => /error|cannot|not found/i.test(l)) ?? `exit ${r.code}`);
}

interface CliPlanJson {
  changes: unknown[];
  unchanged: Array<{ reason: string }>;
  failures: unknown[];
  requests?: RequestCounts;
}

export async function runPlan(
  label: string,
  runner: Runner,
  opts: { dir: string; cache: string; mode: "time" | "node"; strategy?: "naive"; images?: readonly string[] },
): Promise<PlanRun> {
  const images = (opts.images ?? []).flatMap((i) => ["--image", i]);
  if (runner.kind === "cli" && !opts.strategy) {
    const r = await runMeasured(
      runner.program(["plan", "--dir", opts.dir, "--json", "--cache", opts.cache, ...images]),
      opts.mode,
    );
    // Exit 3 means some registry failed; the JSON is still there and failures are counted below.
    if (r.code !== 0 && r.code !== 3)
      throw new Error(`${label}: laminar plan exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
    const json = JSON.parse(r.stdout) as CliPlanJson;
    if (!json.requests) throw new Error(`${label}: laminar plan --json printed no request counts`);
    const unchanged: Record<string, number> = {};
    for (const u of json.unchanged) unchanged[u.reason] = (unchanged[u.reason] ?? 0) + 1;
    return {
      label,
      runner: runner.name,
      requests: json.requests,
      wallMs: r.wallMs,
      maxRssKb: r.maxRssKb,
      changes: json.changes.length,
      unchanged,
      failures: json.failures.length,
    };
  }
  const strategy = opts.strategy ?? "laminar";
  const args = [
    "--dir",
    opts.dir,
    "--strategy",
    strategy,
    ...(strategy === "laminar" ? ["--cache", opts.cache, ...images] : []),
  ];
  const r = await runMeasured({ script: join(BENCH_DIR, "plan-child.ts"), args, tsx: true }, opts.mode);
  if (r.code !== 0) throw new Error(`${label}: plan-child exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  const json = JSON.parse(r.stdout) as ChildPlanResult;
  return {
    label,
    runner: `plan-child ${strategy}`,
    requests: json.requests,
    wallMs: r.wallMs,
    maxRssKb: r.maxRssKb,
    changes: json.changes,
    unchanged: json.unchanged,
    failures: json.failures,
  };
}
