import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { buildCommitMessage } from "../git/commit-message.js";
import type { GitCommandManager, GitIdentity } from "../git/git-command-manager.js";
import { toImageChange, type PushModeResult } from "../sync/push.js";
import { updatePass, type UpdateOptions } from "../sync/update.js";
import type { FileChange, GitHubApi } from "../github/types.js";
import { actionGitHub } from "./github.js";
import type { ActionSettings } from "./inputs.js";

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

export interface SignedPushOptions extends UpdateOptions {
  readonly git: GitCommandManager;
  readonly settings: ActionSettings;
  readonly branch: string;
  /** For the local commit only (the API commit is signed as the token's identity). */
  readonly author: GitIdentity;
  readonly messageTemplate?: string;
  readonly log: (message: string) => void;
}

/**
 * Push mode with `sign-commits`: the commit is made by the API and the branch moved with a
 * non-forced ref update; when the branch moved meanwhile, fetch, re-plan and retry (bounded).
 */
export async function signedPushMode(o: SignedPushOptions): Promise<PushModeResult> {
  const { git, settings: s } = o;
  const gh = actionGitHub(s);
  const start = await git.revParse("HEAD");
  try {
    for (let attempt = 1; ; attempt++) {
      const pass = await updatePass(o);
      if (!pass.applied) return { pass, attempts: attempt };
      const head = await git.revParse("HEAD");
      const message = buildCommitMessage(pass.plan.changes.map(toImageChange), o.messageTemplate);
      await git.add(["."]);
      const local = await git.commit({ message, author: o.author });
      const files = await git.diffNameOnly({ from: head, to: local });
      const sha = await commitThroughApi(gh, git, { parent: head, files, message });
      const moved = await gh.updateBranch(o.branch, sha, { force: false });
      if (moved.kind === "rejected-protected")
        throw new Error(
          `GitHub refused to move ${o.branch} (${moved.message}); the branch is protected: use \`mode: pull-request\``,
        );
      await git.fetch({ refspecs: [`+refs/heads/${o.branch}:refs/remotes/origin/${o.branch}`] });
      if (moved.kind === "created" || moved.kind === "updated") {
        await git.resetHard(sha);
        return { pass, commitSha: sha, attempts: attempt };
      }
      if (attempt >= s.maxAttempts)
        throw new Error(
          `updating ${o.branch} was rejected ${attempt} times because the branch kept moving; nothing was pushed`,
        );
      o.log(
        `${o.branch} moved on the remote; planning again on its new head (attempt ${attempt + 1} of ${s.maxAttempts})`,
      );
      await git.resetHard(`refs/remotes/origin/${o.branch}`);
    }
  } catch (e) {
    await git.resetHard(start).catch(() => undefined);
    throw e;
  }
}
