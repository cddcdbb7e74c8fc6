import type { GitCommandManager } from "../git/git-command-manager.js";

/** The remote-tracking ref a branch of `remote` is fetched into (git's own layout). */
export function trackingRef(branch: string, remote: string): string {
  return `refs/remotes/${remote}/${branch}`;
}

/**
 * Fetches one branch of the checkout's remote (`git.remote()`: the setting, the upstream, `origin`
 * or the only one) into its tracking ref (forced: a force-pushed remote is taken as it is). The one
 * branch fetch of the delivery layer, so every mode sees the remote the same way.
 */
export async function fetchBranch(git: GitCommandManager, branch: string, depth?: number): Promise<string> {
  const remote = await git.remote();
  const ref = trackingRef(branch, remote);
  await git.fetch({ remote, refspecs: [`+refs/heads/${branch}:${ref}`], ...(depth ? { depth } : {}) });
  return ref;
}

/**
 * Refuses a dirty work tree: an edit of the user's to a file Laminar rewrites would end up in its
 * commit or be lost (the delivery loop stages only what a pass changed, src/delivery/retry-loop.ts).
 */
export async function assertCleanWorkTree(git: GitCommandManager): Promise<void> {
  const dirty = await git.status();
  if (dirty.length) {
    throw new Error(
      `the working tree has uncommitted changes (${dirty
        .slice(0, 5)
        .map((d) => d.path)
        .join(", ")}${dirty.length > 5 ? ", …" : ""}); Laminar commits only its own edits: start from a clean checkout`,
    );
  }
}
