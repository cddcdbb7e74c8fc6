/**
 * The one pipeline every front end runs: load the config → scan the files its rules select → plan →
 * (unless dry-run) rewrite and run the commands. The CLI's `plan`, the Action, `watch` and each
 * attempt of the delivery loop (src/delivery/) all go through here, so a step is never skipped or
 * ordered differently in one of them.
 */
import { applyPlan, type ApplyResult } from "./apply/apply.js";
import { loadConfig } from "./config/load.js";
import type { LaminarConfig } from "./config/types.js";
import { planUpdates } from "./plan/plan.js";
import type { ImageTarget } from "./plan/targets.js";
import type { Plan } from "./plan/types.js";
import type { TagSource } from "./registry/types.js";
import { scanRepository, type RepositoryScan } from "./scan/repository.js";

/** Scans the files the config's rules select (or every file, for the inventory). */
export function scanForConfig(
  dir: string,
  config: LaminarConfig,
  options: { all?: boolean; onFile?: (path: string) => void } = {},
): Promise<RepositoryScan> {
  const include = options.all ? undefined : [...new Set(config.updates.flatMap((u) => u.files))];
  return scanRepository(dir, {
    ...(include ? { include } : {}),
    exclude: config.scan.exclude,
    maxFileSize: config.scan.maxFileSize,
    ...(options.onFile ? { onFile: options.onFile } : {}),
  });
}

/**
 * Scan + plan: what would move in the repository at `dir`, and why everything else stays. Writes
 * nothing: apply the plan with `applyPlan`, or use {@link updatePass} for both in one call.
 *
 * @example
 * ```ts
 * const { plan } = await planRepository(dir, await loadConfig(dir), new MemoryTags({ ... }));
 * console.log(formatPlan(plan));
 * ```
 */
export async function planRepository(
  dir: string,
  config: LaminarConfig,
  tags: TagSource,
  options: { onFile?: (path: string) => void; targets?: readonly ImageTarget[] } = {},
): Promise<{ plan: Plan; scan: RepositoryScan }> {
  const scan = await scanForConfig(dir, config, options);
  const plan = await planUpdates({
    config,
    files: scan.files,
    tags,
    warnings: scan.warnings,
    ...(options.targets ? { targets: options.targets } : {}),
  });
  return { plan, scan };
}

/** One whole pass of the pipeline over the work tree; the delivery modes repeat it on a new head. */
export interface UpdatePass {
  readonly config: LaminarConfig;
  readonly plan: Plan;
  /** Undefined when nothing changed or in dry-run. */
  readonly applied?: ApplyResult;
}

/** What one pass needs: where, which config, where tags come from, and whether to write. */
export interface UpdateOptions {
  readonly dir: string;
  /** Relative to `dir`; default `.laminar.yaml`. */
  readonly configPath?: string;
  readonly tags: TagSource;
  readonly runCommands: boolean;
  readonly dryRun: boolean;
  /** Environment of the configured commands. */
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills a running command (the work tree is restored and the pass fails). */
  readonly signal?: AbortSignal;
  readonly onCommand?: (run: string) => void;
  /** Called after each file is scanned, for progress displays. */
  readonly onFile?: (path: string) => void;
  /** A targeted run: only these repositories (and pushed tags) are planned; see `planUpdates`. */
  readonly targets?: readonly ImageTarget[];
  /**
   * Where the config comes from instead of `dir/configPath`: `laminar serve` merges the server
   * file's rules with the repository's own. Called on every pass, so a new head's rules count.
   */
  readonly readConfig?: () => Promise<LaminarConfig>;
}

/**
 * Loads the config (it may differ on a new head), plans, and — unless dry-run — rewrites and runs
 * the commands. This is one attempt of every delivery mode; call it directly to update the work tree
 * without committing (what `laminar apply` does).
 *
 * @example
 * ```ts
 * const { plan, applied } = await updatePass({ dir, tags: registry.source, runCommands: true, dryRun: false });
 * ```
 */
export async function updatePass(o: UpdateOptions): Promise<UpdatePass> {
  const config = o.readConfig ? await o.readConfig() : await loadConfig(o.dir, o.configPath);
  const { plan } = await planRepository(o.dir, config, o.tags, {
    ...(o.onFile ? { onFile: o.onFile } : {}),
    ...(o.targets ? { targets: o.targets } : {}),
  });
  if (o.dryRun || plan.changes.length === 0) return { config, plan };
  const applied = await applyPlan(o.dir, plan, o.runCommands ? config.commands : [], {
    ...(o.env ? { env: o.env } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onCommand ? { onCommand: (c: { run: string }) => o.onCommand?.(c.run) } : {}),
  });
  return { config, plan, applied };
}
