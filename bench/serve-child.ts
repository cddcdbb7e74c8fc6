/**
 * One `laminar serve` cycle in a child process, measured by the parent (wall time, peak RSS):
 * `node --import tsx bench/serve-child.ts --config server.yaml --state-dir DIR`. The engine
 * (src/serve/engine.ts) starts, runs every repository once (clone, plan, commit, push), and stops.
 * Prints the shared client's registry requests and each repository's run as JSON.
 */
import { parseArgs } from "node:util";
import { loadServerConfig } from "../src/config/server.js";
import type { RequestCounts } from "../src/registry/types.js";
import { ServeEngine } from "../src/serve/engine.js";

/** What the child prints. */
export interface ServeCycleResult {
  readonly requests: RequestCounts;
  /** From `start()` until every repository's first run ended. */
  readonly cycleMs: number;
  readonly runs: ReadonlyArray<{ name: string; result: string; changes: number; commit?: string; error?: string }>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: "string" }, "state-dir": { type: "string" }, parallel: { type: "string" } },
  });
  if (!values.config || !values["state-dir"]) throw new Error("usage: serve-child.ts --config FILE --state-dir DIR");
  const server = await loadServerConfig(values.config);
  const engine = new ServeEngine({
    server,
    stateDir: values["state-dir"],
    env: process.env,
    log: () => undefined,
    mask: (s) => s,
    ...(values.parallel ? { maxParallel: Number(values.parallel) } : {}),
  });
  const started = performance.now();
  await engine.start();
  await engine.idle();
  const cycleMs = performance.now() - started;
  await engine.stop();
  const result: ServeCycleResult = {
    requests: engine.registryCounts(),
    cycleMs,
    runs: engine.status().map((s) => ({
      name: s.name,
      result: s.lastRun?.result ?? "none",
      changes: s.lastRun?.changes.length ?? 0,
      ...(s.lastRun?.commit ? { commit: s.lastRun.commit } : {}),
      ...(s.lastRun?.error ? { error: s.lastRun.error } : {}),
    })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`serve-child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
