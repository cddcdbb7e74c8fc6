/**
 * The files a repository's SSH connections need, checked and prepared before git runs: the key
 * (ssh ignores a private key others can read, so such a key is used through a private copy), the
 * `knownHosts` file, and, with `trustNewHostKeys`, the state dir's file where new host keys are
 * recorded. Errors name the repository, the option and the path; never the key's content.
 */
import { constants } from "node:fs";
import { access, chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isSshRemote, sshCommandEnvironment, sshFailureHint } from "../git/ssh-command.js";
import type { ServerRepository } from "../config/server.js";

/** The repository fields SSH access depends on. */
export type SshRepository = Pick<
  ServerRepository,
  "name" | "url" | "key" | "knownHosts" | "knownHostsLines" | "trustNewHostKeys"
>;

/** Where a repository's private key copy and learnt host keys live. */
export function sshStateDir(stateDir: string, name: string): string {
  return join(stateDir, "ssh", name);
}

/**
 * Checks the key and known-hosts files of `repo` and returns the environment for its git commands
 * (`GIT_SSH_COMMAND`; nothing for a remote that is not SSH and has no SSH settings).
 * Host keys are strict unless `trustNewHostKeys`: then a new host's key is recorded in
 * `STATE/ssh/NAME/known_hosts` (and checked from then on), `knownHosts` still being consulted.
 */
export async function sshEnvironment(
  repo: SshRepository,
  stateDir: string,
  log: (message: string) => void,
): Promise<Record<string, string>> {
  if (!isSshRemote(repo.url) && !repo.key && !repo.knownHosts && !repo.knownHostsLines) return {};
  const own = sshStateDir(stateDir, repo.name);
  let key = repo.key;
  if (key) key = await usableKey(repo.name, key, own, log);
  let configured = repo.knownHosts;
  if (configured) await mustExist(repo.name, "knownHosts", configured);
  if (repo.knownHostsLines) {
    // Rewritten every time: an edited server file takes effect at the next run.
    configured = join(own, "known_hosts.configured");
    await mkdir(own, { recursive: true, mode: 0o700 });
    await writeFile(configured, `${repo.knownHostsLines.join("\n")}\n`, { mode: 0o600 });
  }
  const knownHosts: string[] = [];
  if (repo.trustNewHostKeys) {
    await mkdir(own, { recursive: true, mode: 0o700 });
    // ssh writes a new host's key to the first file; the others are only read.
    knownHosts.push(join(own, "known_hosts"), configured ?? "~/.ssh/known_hosts");
  } else if (configured) knownHosts.push(configured);
  return sshCommandEnvironment({ ...(key ? { key } : {}), knownHosts, acceptNew: repo.trustNewHostKeys });
}

/**
 * A run's error message with the reason put first when it is an SSH failure we can explain (host
 * key unknown or changed, key refused), whichever git command (clone, fetch, push) met it.
 */
export function explainSshFailure(repo: SshRepository, message: string): string {
  if (!isSshRemote(repo.url)) return message;
  const hint = sshFailureHint(message, {
    ...(repo.knownHosts ? { knownHosts: repo.knownHosts } : {}),
    ...(repo.knownHostsLines ? { knownHosts: "its inline entries" } : {}),
    acceptNew: repo.trustNewHostKeys,
  });
  return hint ? `${hint}\n${message}` : message;
}

async function mustExist(name: string, option: string, path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `${name}: the ${option} file ${path} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code})`}`,
      { cause: e },
    );
  }
}

/**
 * The key file ssh will accept. ssh ignores a key its owner let others read ("UNPROTECTED PRIVATE
 * KEY FILE", sshkey_perm_ok in OpenSSH's authfile.c), the usual state of a key copied by hand or
 * mounted from a Secret with the default mode 0644: such a key is used through a copy of mode 0600
 * in the state dir, rewritten when the original changes.
 */
async function usableKey(name: string, key: string, own: string, log: (message: string) => void): Promise<string> {
  await mustExist(name, "key", key);
  const st = await stat(key);
  if (!st.isFile()) throw new Error(`${name}: the key ${key} is not a file`);
  const loose = (st.mode & 0o077) !== 0 && st.uid === process.getuid?.();
  const copy = join(own, "key");
  if (!loose) {
    // The key was fixed (or replaced): no copy of a private key stays behind in the state dir.
    await rm(copy, { force: true });
    return key;
  }
  const content = await readFile(key);
  const previous = await readFile(copy).catch(() => undefined);
  await mkdir(own, { recursive: true, mode: 0o700 });
  if (!previous?.equals(content)) {
    await writeFile(copy, content, { mode: 0o600 });
    log(
      `${name}: the key ${key} is readable by others (mode ${(st.mode & 0o777).toString(8)}), which ssh refuses; using a private copy (mode 600) in ${own}`,
    );
  }
  // writeFile's mode only applies to a new file.
  await chmod(copy, 0o600);
  return copy;
}
