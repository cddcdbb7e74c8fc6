/**
 * The one working clone `laminar serve` keeps per repository in its state dir: reused across runs
 * and restarts, re-cloned when it is damaged, and reset to the remote branch before every run (a
 * force-pushed remote is taken as it is: Laminar keeps no history of its own).
 */
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { execGit } from "../git/exec-git.js";
import { createGitCommandManager, type GitCommandManager, type HttpCredentials } from "../git/git-command-manager.js";
import { credentialEnvironment, type HttpCredentialSource } from "../git/http-auth.js";
import { SecretMasker } from "../secrets/masker.js";
import { fetchBranch } from "../delivery/remote-branch.js";
import type { ServerRepository } from "../config/server.js";
import { sshEnvironment } from "./ssh-access.js";

/** Where the clone lives and how to talk to its remote. */
export interface CloneTarget {
  readonly repo: Pick<
    ServerRepository,
    "name" | "url" | "branch" | "key" | "knownHosts" | "knownHostsLines" | "trustNewHostKeys" | "tokenEnv"
  >;
  readonly stateDir: string;
  /** Where `tokenEnv` is read. */
  readonly env: NodeJS.ProcessEnv;
  readonly log?: (message: string) => void;
  /**
   * A GitHub App's credentials (src/serve/github-app.ts), asked again before each network command so
   * a renewed token is used; in place of `tokenEnv`.
   */
  readonly credentials?: HttpCredentialSource;
}

/**
 * The HTTPS credential of `tokenEnv`, scoped to the remote's origin; it reaches git through the
 * environment of each network command only (src/git/http-auth.ts), never the clone's config.
 */
function httpCredentials(t: CloneTarget): HttpCredentials | HttpCredentialSource | undefined {
  if (t.credentials) return t.credentials;
  if (!t.repo.tokenEnv) return undefined;
  const token = t.env[t.repo.tokenEnv];
  if (!token) throw new Error(`${t.repo.name}: the variable ${t.repo.tokenEnv} (its tokenEnv) is not set`);
  return { serverUrl: new URL(t.repo.url).origin, token };
}

/** The clone's folder: one per repository name (names are unique in the server file). */
export function clonePath(stateDir: string, name: string): string {
  return join(stateDir, "repos", name);
}

/**
 * Makes sure the repository's clone exists and is usable, then resets it to the remote branch and
 * removes untracked files; returns its git manager. A clone that git cannot read, or that points at
 * another remote (the server file changed), is replaced by a fresh one.
 */
export async function syncWorkingClone(t: CloneTarget): Promise<GitCommandManager> {
  const dir = clonePath(t.stateDir, t.repo.name);
  const log = t.log ?? (() => undefined);
  const environment = await sshEnvironment(t.repo, t.stateDir, log);
  const credentials = httpCredentials(t);
  if (!(await isUsableClone(dir, t.repo.url, environment))) {
    log(`${t.repo.name}: cloning ${t.repo.branch}`);
    await freshClone(t, dir, environment, credentials);
  }
  // The clone is Laminar's own, made with `--origin origin` below: its remote is `origin` whatever
  // the user's `clone.defaultRemoteName` says.
  const git = await createGitCommandManager(dir, {
    environment,
    remote: { name: "origin", from: `${t.repo.name}'s clone` },
    ...(credentials ? { credentials } : {}),
  });
  // A fetch failure is the remote's (auth, network): re-cloning would not help and costs a clone.
  const tracking = await fetchBranch(git, t.repo.branch);
  try {
    await resetTo(git, dir, environment, tracking);
  } catch (e) {
    // The objects or the index are damaged: start over from the remote.
    log(`${t.repo.name}: the clone is damaged (${(e as Error).message.split("\n")[0]}); cloning again`);
    await freshClone(t, dir, environment, credentials);
    await resetTo(git, dir, environment, await fetchBranch(git, t.repo.branch));
  }
  return git;
}

async function resetTo(git: GitCommandManager, dir: string, env: Record<string, string>, rev: string): Promise<void> {
  await git.resetHard(rev);
  // A command of an aborted run may have left files behind; they must not end up in a commit.
  const clean = await execGit(["clean", "-ffdx", "-q"], { cwd: dir, env });
  if (clean.exitCode !== 0) throw new Error(`git clean failed: ${clean.stderr.trim()}`);
}

async function isUsableClone(dir: string, url: string, env: Record<string, string>): Promise<boolean> {
  const top = await execGit(["rev-parse", "--show-toplevel"], { cwd: dir, env }).catch(() => undefined);
  // Inside the state dir, a missing clone would make git find an enclosing repository instead.
  if (!top || top.exitCode !== 0 || !samePath(top.stdout.trim(), dir)) return false;
  const origin = await execGit(["config", "--get", "remote.origin.url"], { cwd: dir, env });
  if (origin.exitCode !== 0 || origin.stdout.trim() !== url) return false;
  const head = await execGit(["rev-parse", "--verify", "-q", "HEAD^{commit}"], { cwd: dir, env });
  return head.exitCode === 0;
}

function samePath(a: string, b: string): boolean {
  return a.replace(/\/+$/, "") === b.replace(/\/+$/, "");
}

/** Clones next to the old clone and swaps it in, so a crash mid-clone never leaves a half clone. */
async function freshClone(
  t: CloneTarget,
  dir: string,
  env: Record<string, string>,
  source: HttpCredentials | HttpCredentialSource | undefined,
): Promise<void> {
  const credentials = typeof source === "function" ? await source() : source;
  const parent = join(t.stateDir, "repos");
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${t.repo.name}.cloning`);
  await rm(tmp, { recursive: true, force: true });
  const secrets = new SecretMasker();
  secrets.add(credentials?.token, "x-access-token");
  const r = await execGit(
    ["clone", "--quiet", "--origin", "origin", "--branch", t.repo.branch, "--", t.repo.url, tmp],
    {
      cwd: parent,
      env: { ...env, ...(credentials ? credentialEnvironment(credentials) : {}) },
      secrets,
    },
  );
  if (r.exitCode !== 0) {
    await rm(tmp, { recursive: true, force: true });
    throw new Error(`git clone of ${t.repo.name} failed: ${r.stderr.trim()}`);
  }
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
}
