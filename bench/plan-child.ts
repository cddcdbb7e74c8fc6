/**
 * A plan in its own process, for the strategies the CLI does not offer:
 *
 *   node --import tsx bench/plan-child.ts --dir D --strategy naive
 *   node --import tsx bench/plan-child.ts --dir D --strategy laminar --cache F [--image R:T]…
 *
 * `naive` is the comparison strategy (bench/naive.ts); `laminar` is the same engine and client the
 * CLI uses, for when dist/cli.js and src/cli/ cannot run yet. Prints one JSON line: request counts,
 * the plan's size and the time the plan took inside the process.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/load.js";
import { planRepository } from "../src/pipeline.js";
import { parseImageTargets } from "../src/plan/targets.js";
import { RegistryClient } from "../src/registry/client.js";
import type { RequestCounts, TagSource } from "../src/registry/types.js";
import { NaiveTagSource } from "./naive.js";

export interface ChildPlanResult {
  readonly requests: RequestCounts;
  readonly changes: number;
  readonly unchanged: Readonly<Record<string, number>>;
  readonly failures: number;
  readonly references: number;
  readonly elapsedMs: number;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      dir: { type: "string" },
      strategy: { type: "string" },
      cache: { type: "string" },
      image: { type: "string", multiple: true },
    },
  });
  if (!v.dir || (v.strategy !== "naive" && v.strategy !== "laminar"))
    throw new Error("usage: plan-child.ts --dir D --strategy naive|laminar [--cache F]");
  const started = performance.now();
  const config = await loadConfig(v.dir);
  const registry = config.registries[0];
  if (!registry) throw new Error("the benchmark config names its registry");
  let source: TagSource & { counts(): RequestCounts };
  let finish = async (): Promise<void> => {};
  if (v.strategy === "naive") {
    source = new NaiveTagSource(`http://${registry.host}`);
  } else {
    const client = new RegistryClient({
      registries: [{ host: registry.host }],
      ...(v.cache ? { cachePath: v.cache } : {}),
      ...(v.image?.length ? { reuseChallenges: true } : {}),
    });
    source = client;
    finish = () => client.flush();
  }
  const targets = parseImageTargets(v.image ?? [], "--image");
  const { plan, scan } = await planRepository(v.dir, config, source, targets.length ? { targets } : {});
  await finish();
  const unchanged: Record<string, number> = {};
  for (const u of plan.unchanged) unchanged[u.reason] = (unchanged[u.reason] ?? 0) + 1;
  const result: ChildPlanResult = {
    requests: source.counts(),
    changes: plan.changes.length,
    unchanged,
    failures: plan.failures.length,
    references: scan.files.reduce((n, f) => n + f.references.length, 0),
    elapsedMs: performance.now() - started,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`plan-child: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
