/**
 * How git reaches an SSH remote: the `GIT_SSH_COMMAND` that pins the private key and the known
 * hosts, and the words that explain an SSH failure. Pure: no file is read or written here (the
 * caller prepares the key file and the known-hosts files, src/serve/ssh-access.ts).
 */

/** What one repository's SSH connections use. */
export interface SshSettings {
  /** Private key file (already safe for ssh: mode 0600 when it is ours). */
  readonly key?: string;
  /**
   * known_hosts files, checked in order; with `acceptNew` a new host's key is written to the first.
   * Empty: ssh's own defaults (`~/.ssh/known_hosts`, `/etc/ssh/ssh_known_hosts`).
   */
  readonly knownHosts?: readonly string[];
  /**
   * Record the key of a host seen for the first time instead of refusing it
   * (`StrictHostKeyChecking=accept-new`). A *changed* key is refused either way: that is what an
   * attacker in the middle looks like.
   */
  readonly acceptNew?: boolean;
}

/** A word for `sh -c` (git runs `GIT_SSH_COMMAND` through the shell). */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The environment that makes git's ssh use `s`. Always batch mode (a passphrase or password prompt
 * would wait for nobody) and never `StrictHostKeyChecking=no`: an unknown host is refused unless
 * `acceptNew` says to record it; a changed host key is always refused.
 */
export function sshCommandEnvironment(s: SshSettings): Record<string, string> {
  const args = ["ssh", "-o", "BatchMode=yes", "-o", `StrictHostKeyChecking=${s.acceptNew ? "accept-new" : "yes"}`];
  // Debian's ssh_config hashes known_hosts; a learnt entry should say which host it is.
  if (s.acceptNew) args.push("-o", "HashKnownHosts=no");
  if (s.key) args.push("-o", "IdentitiesOnly=yes", "-i", shellQuote(s.key));
  if (s.knownHosts?.length) {
    // Several files in one option, each double-quoted for ssh's own word splitting.
    const files = s.knownHosts.map((f) => `"${f.replace(/(["\\])/g, "\\$1")}"`).join(" ");
    args.push("-o", shellQuote(`UserKnownHostsFile=${files}`));
  }
  return { GIT_SSH_COMMAND: args.join(" ") };
}

/** `ssh://…`, `git+ssh://…`, or the scp-like `[user@]host:path` (git's rule: a colon before any slash). */
export function isSshRemote(url: string): boolean {
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  const colon = url.indexOf(":");
  const slash = url.indexOf("/");
  // colon > 1: `C:\…` is a Windows drive, not a host.
  return colon > 1 && (slash < 0 || colon < slash);
}

/**
 * What to do about an SSH failure in git's stderr, or undefined when it is not one we can explain.
 * The host-key cases name the option that settles them; nothing here repeats the key's content.
 */
export function sshFailureHint(stderr: string, o: { knownHosts?: string; acceptNew?: boolean }): string | undefined {
  const where = o.knownHosts ? `knownHosts (${o.knownHosts})` : "the known_hosts files (no `knownHosts` is set)";
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(stderr))
    return `host key verification failed: the server's host key differs from the one in ${where}; Laminar never replaces a known host key (check with the server's owner, then edit the file)`;
  if (/Host key verification failed/i.test(stderr))
    return o.acceptNew
      ? `host key verification failed (${where})`
      : `host key verification failed: the server's host key is not in ${where}; add it (ssh-keyscan, after checking its fingerprint) or set \`trustNewHostKeys: true\` to record it on first use`;
  if (/Permission denied \(publickey/i.test(stderr))
    return "the SSH server refused the key (Permission denied (publickey)): check that `key` is the private key of a deploy key with access to this repository";
  return undefined;
}
