import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GitCommandManager } from "../git/git-command-manager.js";
import type { FileChange, GitHubApi } from "../github/types.js";
import { fetchBranch } from "./remote-branch.js";
import { deliverWithRetry, type RetryLoopOptions } from "./retry-loop.js";
import type { PushModeResult } from "./types.js";

/**
 * Creates the commit through the REST API (blobs → tree on the parent's tree → commit), so GitHub
 * signs it and shows it as verified. The files are read from the work tree; modes from the index.
 */
export async function commitThroughApi(
  gh: GitHubApi,
  git: GitCommandManager,
  o: { parent: string; files: readonly string[]; message: string },
): Promise<string> {
  const modes = await git.fileModes(o.files);
  const files = await Promise.all(
    o.files.map(async (path): Promise<FileChange> => {
      const content = await readFile(join(git.workingDirectory, path)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return null; // deleted by a command
        throw e;
      });
      if (content === null) return { path, deleted: true };
      const mode = modes.get(path);
      return { path, content, ...(mode === "100755" || mode === "120000" ? { mode } : {}) };
    }),
  );
  // No author: GitHub signs the commit as the token's identity, which is what makes it "Verified".
  return (await gh.createSignedCommit({ parent: o.parent, files, message: o.message })).sha;
}

/** Signed push mode's inputs: the retry loop's, plus the API client that makes the commit. */
export interface SignedPushOptions extends RetryLoopOptions {
  /** The API client of the repository the branch lives in. */
  readonly github: GitHubApi;
}

/**
 * Push mode with signed commits: the commit is made by the API (the local commit only fixes the
 * file list and is replaced) and the branch moved with a non-forced ref update; when the branch
 * moved meanwhile, the shared loop fetches, re-plans and retries (bounded).
 */
export function signedPushMode(o: SignedPushOptions): Promise<PushModeResult> {
  const { git, github: gh } = o;
  return deliverWithRetry(o, {
    publish: async ({ parent, local, message }) => {
      const files = await git.diffNameOnly({ from: parent, to: local });
      const sha = await commitThroughApi(gh, git, { parent, files, message });
      const moved = await gh.updateBranch(o.branch, sha, { force: false });
      if (moved.kind === "rejected-protected")
        throw new Error(
          `GitHub refused to move ${o.branch} (${moved.message}); the branch is protected: use \`mode: pull-request\``,
        );
      if (moved.kind === "rejected-non-fast-forward") return { kind: "moved" };
      // The checkout ends on the signed commit, as after a plain push.
      await fetchBranch(git, o.branch);
      await git.resetHard(sha);
      return { kind: "published", sha };
    },
    retryNote: (next, max) =>
      `${o.branch} moved on the remote; planning again on its new head (attempt ${next} of ${max})`,
    exhausted: (attempts) =>
      new Error(
        `updating ${o.branch} was rejected ${attempts} times because the branch kept moving; nothing was pushed`,
      ),
  });
}
