import { buildCommitMessage, LAMINAR_SET_TRAILER, withLaminarTrailers } from "../git/commit-message.js";
import { updatePass, type UpdatePass } from "../pipeline.js";
import { fetchBranch } from "./remote-branch.js";
import { toImageChange, type DeliveryOptions, type PushModeResult } from "./types.js";

/** What publishing one local commit did: the branch now points at `sha`, or it had moved first. */
export type PublishOutcome = { readonly kind: "published"; readonly sha: string } | { readonly kind: "moved" };

/** How one delivery mode (git push, commits through the API, a pull request) publishes; the loop does the rest. */
export interface Publisher {
  /**
   * Puts the local commit `local` (on top of `parent`, made from `pass`) where the mode publishes it;
   * throws on a refusal.
   */
  publish(c: { parent: string; local: string; message: string; pass: UpdatePass }): Promise<PublishOutcome>;
  /**
   * Fetches what moved and returns the commit to plan on next. Default: `branch`'s new head. Pull-request
   * mode also has its own branch to look at again.
   */
  refetch?(): Promise<string>;
  /** The log line before the next attempt. */
  retryNote(attempt: number, maxAttempts: number): string;
  /** The error once every attempt found the branch moved. */
  exhausted(attempts: number): Error;
}

/** Attempts when a branch keeps moving, unless told otherwise (the Action's `max-attempts` default). */
export const DEFAULT_MAX_ATTEMPTS = 3;

/**
 * The branch the modes plan on (the one pushed to, or a pull request's base), and how often they try
 * when it keeps moving.
 */
export interface RetryLoopOptions extends DeliveryOptions {
  readonly branch: string;
  /** Default {@link DEFAULT_MAX_ATTEMPTS}. */
  readonly maxAttempts?: number;
}

/**
 * The one fetch → re-plan → retry loop of every delivery mode (push, signed push, pull request): run
 * the pipeline, commit locally, publish; when a branch moved on the remote meanwhile, fetch its new
 * head, reset onto it and plan again (the config and the files may differ there), at most
 * `maxAttempts` times. On any failure the local branch and the files go back to where they were:
 * nothing reached the remote.
 */
export async function deliverWithRetry(o: RetryLoopOptions, publisher: Publisher): Promise<PushModeResult> {
  const { git } = o;
  const start = await git.revParse("HEAD");
  const log = o.log ?? (() => undefined);
  const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // Paths already changed or untracked before the first pass are not Laminar's: never staged (#13).
  const before = new Set((await git.status()).flatMap((e) => (e.origPath ? [e.path, e.origPath] : [e.path])));
  try {
    for (let attempt = 1; ; attempt++) {
      const pass = await updatePass({ ...o, dryRun: false });
      if (!pass.applied) return { pass, attempts: attempt };
      const parent = await git.revParse("HEAD");
      // Marked as Laminar's, so a later run tells its own moves from a person's rollback (issue #14).
      const text = buildCommitMessage(
        pass.plan.changes.map(toImageChange),
        o.commit.messageTemplate,
        pass.applied.commandChanges,
      );
      const message = o.setTag
        ? withLaminarTrailers(
            text,
            [`${o.setTag.image.registry}/${o.setTag.image.repository}:${o.setTag.tag}`],
            LAMINAR_SET_TRAILER,
          )
        : withLaminarTrailers(
            text,
            pass.plan.changes.map((c) => c.rule),
          );
      await git.add(await changedByPass(git, pass, before));
      const local = await git.commit({ message, author: o.commit.author });
      // Abandoned (a server stopping) after the commands: the commit stays local and is reset below.
      if (o.signal?.aborted) throw new Error("the run was abandoned before its push; nothing was pushed");
      const outcome = await publisher.publish({ parent, local, message, pass });
      if (outcome.kind === "published") return { pass, commitSha: outcome.sha, attempts: attempt };
      if (attempt >= maxAttempts) throw publisher.exhausted(attempt);
      log(publisher.retryNote(attempt + 1, maxAttempts));
      await git.resetHard(publisher.refetch ? await publisher.refetch() : await fetchBranch(git, o.branch));
    }
  } catch (e) {
    await git.resetHard(start).catch(() => undefined);
    throw e;
  }
}

/**
 * What one pass changed: the files Laminar rewrote plus every path the configured commands created,
 * changed or deleted — not `git add .`, which would sweep in whatever else lies in the work tree
 * (issue #13: an untracked file was committed and pushed).
 */
async function changedByPass(
  git: RetryLoopOptions["git"],
  pass: UpdatePass,
  before: ReadonlySet<string>,
): Promise<string[]> {
  // From git's status, not the rewrite's list alone: a file git ignores is never staged (git add would fail).
  const rewritten = new Set(pass.applied?.files ?? []);
  const paths = new Set<string>();
  for (const e of await git.status()) {
    for (const p of e.origPath ? [e.path, e.origPath] : [e.path]) if (!before.has(p) || rewritten.has(p)) paths.add(p);
  }
  return [...paths].sort();
}
