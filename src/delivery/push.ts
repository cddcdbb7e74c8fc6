import { deliverWithRetry, type RetryLoopOptions } from "./retry-loop.js";
import type { PushModeResult } from "./types.js";

/** The server refused the push (branch protection, rulesets, hooks): a pull request is the way in. */
export class PushDeniedError extends Error {
  override readonly name = "PushDeniedError";
}

/** Plain push mode's inputs: the retry loop's, plus how to word a protected-branch refusal. */
export interface PushModeOptions extends RetryLoopOptions {
  /**
   * What to do about a protected branch, in the front end's words. Default: the Action's
   * "use `mode: pull-request`" (the text docs/reliability.md documents).
   */
  readonly protectedHint?: string;
}

/**
 * Push mode: plan, rewrite, commit, `git push` to the branch. If the push is rejected because the
 * branch moved, fetch the new head, re-plan on it and try again (bounded, see retry-loop.ts).
 *
 * @example
 * ```ts
 * const result = await pushMode({
 *   dir, tags: registry.source, runCommands: true, branch: "main", maxAttempts: 3,
 *   git: await createGitCommandManager(dir),
 *   commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
 * });
 * ```
 */
export function pushMode(o: PushModeOptions): Promise<PushModeResult> {
  const hint = o.protectedHint ?? "use `mode: pull-request`";
  return deliverWithRetry(o, {
    publish: async ({ local }) => {
      const pushed = await o.git.push({ branch: o.branch });
      if (pushed.kind === "ok") return { kind: "published", sha: local };
      if (pushed.kind === "rejected-non-fast-forward") return { kind: "moved" };
      if (pushed.kind === "rejected-protected") {
        const why = pushed.remoteMessages.join(" ").trim() || pushed.reason;
        throw new PushDeniedError(
          `the remote refused the push to ${o.branch} (${why}); the branch is protected: ${hint}`,
        );
      }
      throw new Error(`push to ${o.branch} failed: ${pushed.kind === "error" ? pushed.stderr.trim() : pushed.reason}`);
    },
    retryNote: (next, max) =>
      `push rejected: ${o.branch} moved on the remote; fetching it and planning again (attempt ${next} of ${max})`,
    exhausted: (attempts) =>
      new Error(`push to ${o.branch} rejected ${attempts} times because the branch kept moving; nothing was pushed`),
  });
}
