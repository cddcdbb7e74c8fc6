/**
 * `laminar watch --push` works in the user's own checkout, not in a clone Laminar owns: before a
 * push pass it may only move the branch forward. It never resets over edits or local commits and
 * never cleans (issue #13: `git reset --hard` in watch wiped an uncommitted edit).
 */
import type { GitCommandManager } from "../git/git-command-manager.js";
import { assertCleanWorkTree, fetchBranch } from "../delivery/remote-branch.js";

/**
 * Gets the checkout ready for a push pass and returns its branch. Refuses a detached HEAD, a dirty
 * work tree (as the Action does: a stray edit must neither be lost nor committed) and local commits
 * that are not on the remote (Laminar pushes only its own commit). When the remote moved ahead, the
 * branch is fast-forwarded: the tree is clean and nothing local is dropped.
 */
export async function syncCheckoutInPlace(git: GitCommandManager): Promise<string> {
  const branch = await git.currentBranch();
  if (!branch) throw new Error("HEAD is detached: check out the branch laminar should update");
  await assertCleanWorkTree(git);
  const tracking = await fetchBranch(git, branch);
  const head = await git.revParse("HEAD");
  const remote = await git.revParse(tracking);
  if (head === remote) return branch;
  if (!(await git.isAncestor(head, remote))) {
    throw new Error(
      `${branch} has commits that are not on ${await git.remote()}/${branch} (unpushed, or the remote was force-pushed): ` +
        `laminar watch pushes only its own commits and never resets your checkout: push or reset ${branch} yourself`,
    );
  }
  await git.resetHard(remote);
  return branch;
}
