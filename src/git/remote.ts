/**
 * Which git remote Laminar fetches from and pushes to. A clone need not call it `origin`
 * (`git clone --origin upstream`, `clone.defaultRemoteName`, a fork with `upstream` and `fork`), so
 * the name is decided once per checkout, in this order: the `remote` setting (Action input `remote`,
 * CLI `--remote`), the checked-out branch's upstream (`branch.<name>.remote`), `origin` when there is
 * one, the only remote when there is exactly one. Anything else is an error naming the remotes.
 */

/** The remote could not be decided, or the one set does not exist; the message names the remotes. */
export class RemoteError extends Error {
  override readonly name = "RemoteError";
}

/** What the choice is made from; `setting` names where an explicit remote came from (for messages). */
export interface RemoteFacts {
  /** `git remote`, in its order. */
  readonly remotes: readonly string[];
  /** An explicit remote and where it was set (`input remote`, `--remote`). */
  readonly setting?: { readonly name: string; readonly from: string };
  /** The checked-out branch and its `branch.<name>.remote` (undefined: none or detached). */
  readonly branch?: string;
  readonly upstream?: string;
}

/**
 * The remote to use (see the module comment for the order). Pure.
 *
 * @throws {RemoteError} when the set remote does not exist, or no rule decides (no remote, or
 *   several without `origin` and without an upstream): the message lists the remotes and how to choose.
 */
export function chooseRemote(f: RemoteFacts): string {
  const listed = f.remotes.length ? f.remotes.join(", ") : "none";
  if (f.setting) {
    if (f.remotes.includes(f.setting.name)) return f.setting.name;
    throw new RemoteError(
      `${f.setting.from}: there is no git remote ${JSON.stringify(f.setting.name)} (remotes: ${listed})`,
    );
  }
  // `.` as a branch's remote means a local upstream: it is not somewhere to push.
  if (f.upstream && f.upstream !== "." && f.remotes.includes(f.upstream)) return f.upstream;
  if (f.remotes.includes("origin")) return "origin";
  if (f.remotes.length === 1) return f.remotes[0] as string;
  if (f.remotes.length === 0)
    throw new RemoteError("the checkout has no git remote: Laminar pushes to one (add it with `git remote add`)");
  throw new RemoteError(
    `cannot tell which git remote to use: ${f.branch ? `${f.branch} has no upstream` : "HEAD is detached"}, there is no "origin" and there are several remotes (${listed}); set the remote (Action input \`remote\`, CLI \`--remote\`) or the branch's upstream (\`git branch --set-upstream-to\`)`,
  );
}
