import type { CommandSpec } from "../config/types.js";
import { commandFailed, describeFailure, runCommand, type CommandResult } from "../exec/commands.js";
import type { Plan } from "../plan/types.js";
import { rewriteFiles } from "../rewrite/rewrite.js";
import { TreeSnapshot } from "./snapshot.js";

/** What {@link applyPlan} did: the files it rewrote and each command's result. */
export interface ApplyResult {
  /** Files Laminar rewrote (repo-relative). Commands may have changed others. */
  readonly files: readonly string[];
  readonly commands: readonly CommandResult[];
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

/** How {@link applyPlan} runs the configured commands. */
export interface ApplyOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the running command; the tree is restored as for a failed one. */
  readonly signal?: AbortSignal;
  /** Called before each command, for logs. */
  readonly onCommand?: (spec: CommandSpec) => void;
}

/**
 * Rewrites the plan's changes, then runs the configured commands in the repo root. If a command
 * fails or times out, every file is put back (including what the commands wrote) and
 * `CommandFailedError` is thrown. Nothing runs when there is nothing to change.
 */
export async function applyPlan(
  root: string,
  plan: Plan,
  commands: readonly CommandSpec[],
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  if (plan.changes.length === 0) return { files: [], commands: [] };
  const snapshot = commands.length ? await TreeSnapshot.take(root) : undefined;
  try {
    const { files } = await rewriteFiles(root, plan.changes);
    const results: CommandResult[] = [];
    for (const spec of commands) {
      options.onCommand?.(spec);
      const r = await runCommand(spec, root, options.env, options.signal);
      results.push(r);
      if (commandFailed(r)) {
        const restored = snapshot ? await snapshot.restore() : [];
        throw new CommandFailedError(r, restored, spec.timeout);
      }
    }
    return { files, commands: results };
  } finally {
    await snapshot?.discard();
  }
}
