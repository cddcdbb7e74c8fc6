import { applyPlan, type ApplyResult } from "../apply/apply.js";
import { loadConfig } from "../config/load.js";
import type { LaminarConfig } from "../config/types.js";
import { planRepository } from "../engine.js";
import type { Plan } from "../plan/types.js";
import type { TagSource } from "../registry/types.js";

/** One plan + rewrite pass over the work tree, the step push and pull-request modes repeat. */
export interface UpdatePass {
  readonly config: LaminarConfig;
  readonly plan: Plan;
  /** Undefined when nothing changed or in dry-run. */
  readonly applied?: ApplyResult;
}

export interface UpdateOptions {
  readonly dir: string;
  readonly configPath?: string;
  readonly tags: TagSource;
  readonly runCommands: boolean;
  readonly dryRun: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly onCommand?: (run: string) => void;
}

/** Loads the config (it may differ on a new head), plans, and — unless dry-run — rewrites and runs the commands. */
export async function updatePass(o: UpdateOptions): Promise<UpdatePass> {
  const config = await loadConfig(o.dir, o.configPath);
  const { plan } = await planRepository(o.dir, config, o.tags);
  if (o.dryRun || plan.changes.length === 0) return { config, plan };
  const applied = await applyPlan(o.dir, plan, o.runCommands ? config.commands : [], {
    ...(o.env ? { env: o.env } : {}),
    ...(o.onCommand ? { onCommand: (c: { run: string }) => o.onCommand?.(c.run) } : {}),
  });
  return { config, plan, applied };
}
