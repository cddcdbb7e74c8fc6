import type { CommandSpec } from "../config/types.js";
import { commandFailed, describeFailure, runCommand, type CommandResult } from "../exec/commands.js";
import type { Plan } from "../plan/types.js";
import { restoreFiles, rewriteFiles } from "../rewrite/rewrite.js";
import { TreeSnapshot, type TreeChange } from "./snapshot.js";

/** What {@link applyPlan} did: the files it rewrote, what the commands changed, each command's result. */
export interface ApplyResult {
  /** Files Laminar rewrote (repo-relative). */
  readonly files: readonly string[];
  /**
   * Paths the configured commands created, modified or deleted (repo-relative, sorted). They are
   * committed with the tag moves, so they are reported too (issue #13).
   */
  readonly commandChanges: readonly TreeChange[];
  readonly commands: readonly CommandResult[];
}

/**
 * Every path a run changed, for `changed-files` and reports: the files Laminar rewrote plus what
 * the configured commands created, modified or deleted (sorted, each once).
 */
export function changedPaths(applied: ApplyResult | undefined): string[] {
  if (!applied) return [];
  return [...new Set([...applied.files, ...applied.commandChanges.map((c) => c.path)])].sort();
}

/** A configured command failed; the tree is back as it was before `apply`. */
export class CommandFailedError extends Error {
  override readonly name = "CommandFailedError";
  constructor(
    readonly result: CommandResult,
    readonly restored: readonly string[],
    timeout: number,
  ) {
    super(`${describeFailure(result, timeout)}; the work tree was restored (${restored.length} file(s))`);
  }
}

/** The commands deleted a file they must not delete; the tree is back as it was before `apply`. */
export class ProtectedDeletionError extends Error {
  override readonly name = "ProtectedDeletionError";
  constructor(
    readonly paths: readonly string[],
    readonly restored: readonly string[],
  ) {
    super(
      `the configured commands deleted ${paths.join(", ")}, which Laminar just rewrote or reads its config from; ` +
        `nothing was committed and the work tree was restored (${restored.length} file(s))`,
    );
  }
}

/** The run was interrupted (Ctrl-C, SIGTERM, a server stopping); the tree is back as it was. */
export class ApplyAbortedError extends Error {
  override readonly name = "ApplyAbortedError";
  constructor(readonly restored: readonly string[]) {
    super(`interrupted: the work tree was restored (${restored.length} file(s)); nothing was committed`);
  }
}

/** How {@link applyPlan} runs the configured commands. */
export interface ApplyOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the running command's process group; the tree is restored as for a failed one. */
  readonly signal?: AbortSignal;
  /** Called before each command, for logs. */
  readonly onCommand?: (spec: CommandSpec) => void;
  /** Repo-relative paths the commands may not delete (the config file); default `.laminar.yaml`. */
  readonly protect?: readonly string[];
}

/**
 * Rewrites the plan's changes, then runs the configured commands in the repo root. If a command
 * fails or times out, deletes a file Laminar just rewrote or the config, or the run is aborted,
 * every file is put back (including what the commands wrote) and an error is thrown. Nothing runs
 * when there is nothing to change.
 */
export async function applyPlan(
  root: string,
  plan: Plan,
  commands: readonly CommandSpec[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  if (plan.changes.length === 0) return { files: [], commandChanges: [], commands: [] };
  if (options.signal?.aborted) throw new ApplyAbortedError([]);
  const snapshot = commands.length ? await TreeSnapshot.take(root) : undefined;
  try {
    const { files, originals } = await rewriteFiles(root, plan.changes);
    // What the commands changed is measured against the tree as Laminar left it.
    const rewritten = commands.length ? await snapshot?.mark() : undefined;
    const results: CommandResult[] = [];
    for (const spec of commands) {
      if (options.signal?.aborted) throw new ApplyAbortedError(snapshot ? await snapshot.restore() : []);
      options.onCommand?.(spec);
      const r = await runCommand(spec, root, options.env, options.signal);
      results.push(r);
      if (commandFailed(r)) {
        // An aborted command stays a CommandFailedError ("was stopped: the run was abandoned"), as
        // `laminar serve` reports it; the CLI names the signal itself.
        throw new CommandFailedError(r, snapshot ? await snapshot.restore() : [], spec.timeout);
      }
    }
    const commandChanges = rewritten && snapshot ? await snapshot.changesSince(rewritten) : [];
    const protect = new Set([...files, ...(options.protect ?? [".laminar.yaml"])]);
    const lost = commandChanges.filter((c) => c.change === "deleted" && protect.has(c.path)).map((c) => c.path);
    if (lost.length) throw new ProtectedDeletionError(lost, snapshot ? await snapshot.restore() : []);
    if (options.signal?.aborted) {
      if (snapshot) throw new ApplyAbortedError(await snapshot.restore());
      await restoreFiles(root, originals);
      throw new ApplyAbortedError([...originals.keys()]);
    }
    return { files, commandChanges, commands: results };
  } finally {
    await snapshot?.discard();
  }
}
