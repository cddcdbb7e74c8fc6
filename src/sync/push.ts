import type { GitCommandManager, GitIdentity } from "../git/git-command-manager.js";
import { buildCommitMessage } from "../git/commit-message.js";
import type { PlanChange } from "../plan/types.js";
import { updatePass, type UpdateOptions, type UpdatePass } from "./update.js";

/** The server refused the push (branch protection, rulesets, hooks): a pull request is the way in. */
export class PushDeniedError extends Error {
  override readonly name = "PushDeniedError";
}

export interface PushModeOptions extends UpdateOptions {
  readonly git: GitCommandManager;
  readonly branch: string;
  readonly author: GitIdentity;
  readonly messageTemplate?: string;
  readonly maxAttempts: number;
  readonly log?: (message: string) => void;
}

export interface PushModeResult {
  readonly pass: UpdatePass;
  readonly commitSha?: string;
  readonly attempts: number;
}

/**
 * Push mode: plan, rewrite, commit, push to the branch. If the push is rejected because the branch
 * moved, fetch the new head, re-plan on it and try again (bounded). Never force-pushes. On any other
 * failure the local branch and files are put back where they were.
 */
export async function pushMode(o: PushModeOptions): Promise<PushModeResult> {
  const { git } = o;
  const start = await git.revParse("HEAD");
  const log = o.log ?? (() => undefined);
  try {
    for (let attempt = 1; ; attempt++) {
      const pass = await updatePass(o);
      if (!pass.applied) return { pass, attempts: attempt };
      await git.add(["."]);
      const message = buildCommitMessage(pass.plan.changes.map(toImageChange), o.messageTemplate);
      const sha = await git.commit({ message, author: o.author });
      const pushed = await git.push({ branch: o.branch });
      if (pushed.kind === "ok") return { pass, commitSha: sha, attempts: attempt };
      if (pushed.kind === "rejected-non-fast-forward" && attempt < o.maxAttempts) {
        log(
          `push rejected: ${o.branch} moved on the remote; fetching it and planning again (attempt ${attempt + 1} of ${o.maxAttempts})`,
        );
        await git.fetch({ refspecs: [`+refs/heads/${o.branch}:refs/remotes/origin/${o.branch}`] });
        await git.resetHard(`refs/remotes/origin/${o.branch}`);
        continue;
      }
      if (pushed.kind === "rejected-protected") {
        const why = pushed.remoteMessages.join(" ").trim() || pushed.reason;
        throw new PushDeniedError(
          `the remote refused the push to ${o.branch} (${why}); the branch is protected: use \`mode: pull-request\``,
        );
      }
      if (pushed.kind === "rejected-non-fast-forward")
        throw new Error(
          `push to ${o.branch} rejected ${o.maxAttempts} times because the branch kept moving; nothing was pushed`,
        );
      throw new Error(`push to ${o.branch} failed: ${pushed.kind === "error" ? pushed.stderr.trim() : pushed.reason}`);
    }
  } catch (e) {
    // Leave the local branch and the files as they were before this run (nothing reached the remote).
    await git.resetHard(start).catch(() => undefined);
    throw e;
  }
}

export function toImageChange(c: PlanChange): { file: string; line: number; image: string; from: string; to: string } {
  return { file: c.file, line: c.line, image: c.image, from: c.from, to: c.to };
}
