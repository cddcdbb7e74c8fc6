/**
 * The one pipeline every front end runs: load the config → scan the files its rules select → plan →
 * (unless dry-run) rewrite and run the commands. The CLI's `plan`, the Action, `watch` and each
 * attempt of the delivery loop (src/delivery/) all go through here, so a step is never skipped or
 * ordered differently in one of them.
 */
import { applyPlan, type ApplyResult } from "./apply/apply.js";
import { relative, resolve } from "node:path";
import { DEFAULT_CONFIG_FILE, loadConfig } from "./config/load.js";
import type { LaminarConfig } from "./config/types.js";
import { configWarnings } from "./plan/config-warnings.js";
import { readFileHistory } from "./git/file-history.js";
import type { GitCommandManager } from "./git/git-command-manager.js";
import { planUpdates } from "./plan/plan.js";
import { loadVerifyKeys } from "./verify/keys.js";
import { planSetTag } from "./plan/set-tag.js";
import type { ImageTarget } from "./plan/targets.js";
import type { ImageReference } from "./reference/types.js";
import type { Plan, PlanChange } from "./plan/types.js";
import type { TagSource } from "./registry/types.js";
import { scanRepository, type RepositoryScan } from "./scan/repository.js";

/** Scans the files the config's rules select (or every file, for the inventory). */
export function scanForConfig(
  dir: string,
  config: LaminarConfig,
  options: { all?: boolean; onFile?: (path: string) => void } = {},
): Promise<RepositoryScan> {
  const include = options.all
    ? undefined
    : [
        ...new Set([
          ...config.updates.flatMap((u) => u.files),
          ...config.promotions.flatMap((p) => [...p.from, ...p.to]),
        ]),
      ];
  // The config's `scan` section (exclude, maxFileSize, threads) is ScanOptions' own fields.
  return scanRepository(dir, {
    ...config.scan,
    ...(include ? { include } : {}),
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
  options: {
    onFile?: (path: string) => void;
    unshallow?: () => Promise<void>;
    targets?: readonly ImageTarget[];
  } = {},
): Promise<{ plan: Plan; scan: RepositoryScan }> {
  const scan = await scanForConfig(dir, config, options);
  // One git log for every file with references (rollbacks respected, issue #14); none outside git.
  const history = await readFileHistory(
    dir,
    scan.files.filter((f) => f.references.length > 0).map((f) => f.path),
    options.unshallow ? { unshallow: options.unshallow } : {},
  );
  const plan = await planUpdates({
    config,
    files: scan.files,
    tags,
    warnings: [...configWarnings(config, scan.paths), ...scan.warnings],
    ...(history ? { history } : {}),
    ...(options.targets ? { targets: options.targets } : {}),
    verifyKeys: await loadVerifyKeys(dir, config),
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
  /**
   * Only the changes this keeps are applied (and reported as changes): pull-request mode opens one
   * pull request per promotion (issue #14), each pass taking its own share of the plan.
   */
  readonly selectChanges?: (change: PlanChange) => boolean;
  /**
   * Completes the plan before `selectChanges` and the rewrite: a targeted run's pull request keeps
   * the changes it already had for the other images (src/delivery/carry-over.ts).
   */
  readonly extendPlan?: (plan: Plan, config: LaminarConfig) => Promise<Plan>;
  /**
   * The delivery's git (with its credentials): a shallow clone is completed through it before the
   * history is read (rollbacks, soak times).
   */
  readonly git?: GitCommandManager;
  /**
   * `laminar set`: instead of planning against the registry, write `tag` wherever `image` appears
   * in the files `files` selects (default: every file), older or newer.
   */
  readonly setTag?: { readonly image: ImageReference; readonly tag: string; readonly files?: readonly string[] };
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
  const git = o.git;
  const planned = o.setTag
    ? await planSet(o.dir, config, o.setTag)
    : (
        await planRepository(o.dir, config, o.tags, {
          ...(o.onFile ? { onFile: o.onFile } : {}),
          ...(git ? { unshallow: () => git.fetch({ refspecs: [], depth: "unshallow" }) } : {}),
          ...(o.targets ? { targets: o.targets } : {}),
        })
      ).plan;
  const extended = o.extendPlan ? await o.extendPlan(planned, config) : planned;
  const plan = o.selectChanges ? { ...extended, changes: extended.changes.filter(o.selectChanges) } : extended;
  if (o.dryRun || plan.changes.length === 0) return { config, plan };
  const applied = await applyPlan(o.dir, plan, o.runCommands ? config.commands : [], {
    ...(o.env ? { env: o.env } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onCommand ? { onCommand: (c: { run: string }) => o.onCommand?.(c.run) } : {}),
    protect: [relative(o.dir, resolve(o.dir, o.configPath ?? DEFAULT_CONFIG_FILE))],
  });
  return { config, plan, applied };
}

/** The `laminar set` plan: scan the selected files (the config's scan settings), write the tag. */
async function planSet(dir: string, config: LaminarConfig, set: NonNullable<UpdateOptions["setTag"]>): Promise<Plan> {
  const scan = await scanRepository(dir, {
    ...config.scan,
    ...(set.files?.length ? { include: set.files } : {}),
  });
  return planSetTag(scan.files, set.image, set.tag);
}
