import { execGit, GitCommandError, type GitOutput } from "./exec-git.js";
import { credentialEnvironment, type HttpCredentialSource, type HttpCredentials } from "./http-auth.js";
import { classifyPush, type PushResult } from "./push-result.js";
import { chooseRemote } from "./remote.js";
import { SecretMasker } from "../secrets/masker.js";
import { LAMINAR_TRAILER_FORMAT, parseLaminarTrailers } from "./commit-message.js";
import { readBlobs } from "./blob-batch.js";

/** Who a commit is by. `date` pins the time (tests, reproducible commits); otherwise "now". */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
  readonly date?: Date;
}

/** One `git status --porcelain=v1` entry. `index`/`worktree` are the X/Y letters (`?` untracked). */
export interface StatusEntry {
  readonly path: string;
  readonly index: string;
  readonly worktree: string;
  /** Source path of a rename or copy. */
  readonly origPath?: string;
}

export interface FetchOptions {
  /** Default {@link GitCommandManager.remote}. */
  readonly remote?: string;
  /** e.g. `+refs/heads/main:refs/remotes/origin/main`. */
  readonly refspecs: readonly string[];
  /**
   * `number`: fetch that many commits of history; `"unshallow"`: complete a shallow clone.
   * Left out: a shallow clone (actions/checkout's default `fetch-depth: 1`) stays shallow with
   * `--depth=1` — without it git would walk the fetched branch's whole history down to commits it
   * knows, i.e. download the repository — and a full clone fetches normally.
   */
  readonly depth?: number | "unshallow";
}

export interface CommitOptions {
  readonly message: string;
  readonly author: GitIdentity;
  /** Defaults to the author. */
  readonly committer?: GitIdentity;
  readonly allowEmpty?: boolean;
}

export interface PushOptions {
  /** Default {@link GitCommandManager.remote}. */
  readonly remote?: string;
  /** What to push: a sha or local ref. Default `HEAD` (works on a detached HEAD too). */
  readonly source?: string;
  /** Remote branch name, without `refs/heads/`. */
  readonly branch: string;
  /**
   * Force-push only if the remote branch is still where we last saw it
   * (`--force-with-lease=refs/heads/<branch>:<sha>`); `null` means "must not exist yet".
   * This is how a pull-request branch is rewritten without clobbering a concurrent run's push.
   */
  readonly expectedSha?: string | null;
}

export interface RestoreOptions {
  /** Tree-ish to restore from; default the index (worktree) or HEAD (staged). */
  readonly source?: string;
  /** Restore the index. */
  readonly staged?: boolean;
  /** Restore the working tree (default when `staged` is not set). */
  readonly worktree?: boolean;
}

/** Options of {@link createGitCommandManager}: HTTPS credentials for network commands, and a log. */
export interface GitCommandManagerOptions {
  /** HTTPS token for network commands (fetch, push, ls-remote), or a source asked before each; see http-auth.ts. */
  readonly credentials?: HttpCredentials | HttpCredentialSource;
  /** Receives each command line (never a credential). The action passes `core.debug`. */
  readonly log?: (line: string) => void;
  /** Extra environment of every git command (`laminar serve`: `GIT_SSH_COMMAND` with the key). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The remote to fetch from and push to, and where that was set (`input remote`, `--remote`), for
   * the error when it does not exist. Left out: decided by {@link chooseRemote} (the branch's upstream,
   * `origin`, the only remote).
   */
  readonly remote?: { readonly name: string; readonly from: string };
}

/**
 * Git as orchestration needs it: intent-named methods over the real `git` CLI
 * (after actions/checkout's and create-pull-request's `GitCommandManager`).
 */
export interface GitCommandManager {
  readonly workingDirectory: string;
  /** e.g. `[2, 39, 5]`. */
  readonly version: readonly [number, number, number];

  /** Changes credentials for later network commands (undefined: none). */
  setCredentials(credentials: HttpCredentials | undefined): void;

  status(paths?: readonly string[]): Promise<StatusEntry[]>;
  /** True when tracked files differ from HEAD or untracked (not ignored) files exist. */
  isDirty(paths?: readonly string[]): Promise<boolean>;
  /** Short branch name, or undefined on a detached HEAD (tags, pull_request events, sha checkouts). */
  currentBranch(): Promise<string | undefined>;
  isDetached(): Promise<boolean>;
  /** Full sha of a revision; throws if it does not resolve. */
  revParse(rev: string): Promise<string>;
  /** Like revParse, but undefined when the revision does not exist. */
  tryRevParse(rev: string): Promise<string | undefined>;
  isShallow(): Promise<boolean>;
  /**
   * Files' contents at commits, in the order asked, read in one `git cat-file --batch` (however many);
   * undefined where the commit has no such file (or its name holds a line break: src/git/blob-batch.ts).
   */
  showFiles(versions: readonly { readonly rev: string; readonly path: string }[]): Promise<Array<string | undefined>>;
  /** The values of a commit's `Laminar-Update` trailers: non-empty for Laminar's own commits. */
  laminarTrailers(rev: string): Promise<string[]>;
  /** True when `ancestor` is `rev` or one of its ancestors (`git merge-base --is-ancestor`). */
  isAncestor(ancestor: string, rev: string): Promise<boolean>;
  /** Paths changed between two revisions, or `from` and the worktree, or index and HEAD (`cached`). */
  diffNameOnly(options?: {
    from?: string;
    to?: string;
    cached?: boolean;
    paths?: readonly string[];
  }): Promise<string[]>;
  /** File modes in the index (`100644`, `100755`, `120000`…), for API commits that must keep them. */
  fileModes(paths: readonly string[]): Promise<Map<string, string>>;
  /**
   * The remote every network command uses when not told otherwise: the `remote` option, else the
   * checked-out branch's upstream, `origin`, or the only remote (src/git/remote.ts). Decided once, on
   * first use; throws a RemoteError naming the remotes when it cannot decide.
   */
  remote(): Promise<string>;
  /** Exact refs → sha on the remote; refs that do not exist are absent from the map. */
  lsRemote(refs: readonly string[], remote?: string): Promise<Map<string, string>>;
  /** Sha of `refs/heads/<branch>` on the remote, undefined when the branch does not exist. */
  remoteBranchSha(branch: string, remote?: string): Promise<string | undefined>;

  fetch(options: FetchOptions): Promise<void>;
  add(paths: readonly string[]): Promise<void>;
  /** Commits the index and returns the new HEAD sha. */
  commit(options: CommitOptions): Promise<string>;
  push(options: PushOptions): Promise<PushResult>;
  /** `git push --delete`; with `expectedSha` only if the branch is still there. */
  deleteRemoteBranch(branch: string, options?: { remote?: string; expectedSha?: string }): Promise<PushResult>;
  resetHard(rev: string): Promise<void>;
  /** `git checkout -B <branch> [<startPoint>]`: create or reset a local branch and switch to it. */
  checkoutBranch(branch: string, startPoint?: string): Promise<void>;
  /** `git restore`: throw away edits to paths (worktree), unstage them (staged), or both. */
  restore(paths: readonly string[], options?: RestoreOptions): Promise<void>;
}

/** GIT_CONFIG_COUNT (credentials without touching .git/config) and `git restore` need this. */
const MINIMUM_VERSION: readonly [number, number, number] = [2, 31, 0];

function parseVersion(text: string): [number, number, number] {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new Error(`cannot parse git version from "${text.trim()}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

function identityEnv(prefix: "AUTHOR" | "COMMITTER", id: GitIdentity): Record<string, string> {
  const env: Record<string, string> = {
    [`GIT_${prefix}_NAME`]: id.name,
    [`GIT_${prefix}_EMAIL`]: id.email,
  };
  // git reads "@<epoch> <tz>" unambiguously, whatever the locale.
  if (id.date) env[`GIT_${prefix}_DATE`] = `@${Math.floor(id.date.getTime() / 1000)} +0000`;
  return env;
}

function splitZ(text: string): string[] {
  return text.split("\0").filter((s) => s.length > 0);
}

function parseStatus(stdout: string): StatusEntry[] {
  const fields = stdout.split("\0");
  const entries: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f || f.length < 4) continue;
    const index = f[0] ?? " ";
    const worktree = f[1] ?? " ";
    const path = f.slice(3);
    // With -z the source of a rename/copy follows as its own field.
    if (index === "R" || index === "C") {
      entries.push({ path, index, worktree, origPath: fields[++i] ?? "" });
    } else {
      entries.push({ path, index, worktree });
    }
  }
  return entries;
}

class GitCli implements GitCommandManager {
  private credentials: HttpCredentials | undefined;
  private credentialSource: HttpCredentialSource | undefined;
  private readonly environment: Readonly<Record<string, string>>;
  private readonly remoteSetting: GitCommandManagerOptions["remote"];
  private chosenRemote: Promise<string> | undefined;

  constructor(
    readonly workingDirectory: string,
    readonly version: readonly [number, number, number],
    options: GitCommandManagerOptions,
    private readonly log: (line: string) => void,
  ) {
    if (typeof options.credentials === "function") this.credentialSource = options.credentials;
    else this.credentials = options.credentials;
    this.environment = options.environment ?? {};
    this.remoteSetting = options.remote;
  }

  remote(): Promise<string> {
    this.chosenRemote ??= this.decideRemote();
    // A failed decision is not cached: the caller may add the remote and try again.
    this.chosenRemote.catch(() => (this.chosenRemote = undefined));
    return this.chosenRemote;
  }

  private async decideRemote(): Promise<string> {
    const remotes = (await this.must(["remote"])).split("\n").filter((r) => r.trim() !== "");
    const branch = await this.currentBranch();
    const upstream = branch ? await this.run(["config", "--get", `branch.${branch}.remote`]) : undefined;
    return chooseRemote({
      remotes,
      ...(this.remoteSetting ? { setting: this.remoteSetting } : {}),
      ...(branch ? { branch } : {}),
      ...(upstream?.exitCode === 0 ? { upstream: upstream.stdout.trim() } : {}),
    });
  }

  setCredentials(credentials: HttpCredentials | undefined): void {
    this.credentials = credentials;
    this.credentialSource = undefined;
  }

  /** The token in every form git could print it (the Basic header of the extraheader included). */
  private secrets(): SecretMasker {
    const masker = new SecretMasker();
    masker.add(this.credentials?.token, "x-access-token");
    return masker;
  }

  /** Runs git; never throws on a non-zero exit. `network` adds the credential header for this run only. */
  private async run(
    args: readonly string[],
    opts: { env?: Record<string, string>; input?: string; network?: boolean; binary?: boolean } = {},
  ): Promise<GitOutput> {
    this.log(`git ${args.join(" ")}`);
    const env = { ...this.environment, ...(opts.env ?? {}) };
    if (opts.network && this.credentialSource) this.credentials = await this.credentialSource();
    if (opts.network && this.credentials) Object.assign(env, credentialEnvironment(this.credentials));
    return execGit(args, {
      cwd: this.workingDirectory,
      env,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.binary ? { binary: true } : {}),
      secrets: this.secrets(),
    });
  }

  /** Runs git and throws GitCommandError on a non-zero exit. */
  private async must(
    args: readonly string[],
    opts: { env?: Record<string, string>; input?: string; network?: boolean } = {},
  ): Promise<string> {
    const r = await this.run(args, opts);
    if (r.exitCode !== 0) throw new GitCommandError(args, r.exitCode, r.stderr);
    return r.stdout;
  }

  async status(paths: readonly string[] = []): Promise<StatusEntry[]> {
    const args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=no"];
    if (paths.length) args.push("--", ...paths);
    return parseStatus(await this.must(args));
  }

  async isDirty(paths: readonly string[] = []): Promise<boolean> {
    return (await this.status(paths)).length > 0;
  }

  async currentBranch(): Promise<string | undefined> {
    // symbolic-ref exits 1 (quietly, with -q) when HEAD is detached; an unborn branch still has a name.
    const r = await this.run(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    if (r.exitCode === 0) return r.stdout.trim();
    if (r.exitCode === 1) return undefined;
    throw new GitCommandError(["symbolic-ref", "--quiet", "--short", "HEAD"], r.exitCode, r.stderr);
  }

  async isDetached(): Promise<boolean> {
    return (await this.currentBranch()) === undefined;
  }

  async revParse(rev: string): Promise<string> {
    return (await this.must(["rev-parse", "--verify", "--end-of-options", `${rev}^{object}`])).trim();
  }

  async tryRevParse(rev: string): Promise<string | undefined> {
    const r = await this.run(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{object}`]);
    return r.exitCode === 0 ? r.stdout.trim() : undefined;
  }

  async isAncestor(ancestor: string, rev: string): Promise<boolean> {
    const args = ["merge-base", "--is-ancestor", ancestor, rev];
    const r = await this.run(args);
    if (r.exitCode === 0 || r.exitCode === 1) return r.exitCode === 0;
    throw new GitCommandError(args, r.exitCode, r.stderr);
  }

  async showFiles(versions: readonly { rev: string; path: string }[]): Promise<Array<string | undefined>> {
    return readBlobs(
      (args, opts) => this.run(args, opts),
      versions.map((v) => `${v.rev}:${v.path}`),
    );
  }

  async laminarTrailers(rev: string): Promise<string[]> {
    return parseLaminarTrailers(await this.must(["log", "-1", `--format=${LAMINAR_TRAILER_FORMAT}`, rev]));
  }

  async isShallow(): Promise<boolean> {
    return (await this.must(["rev-parse", "--is-shallow-repository"])).trim() === "true";
  }

  async diffNameOnly(
    options: { from?: string; to?: string; cached?: boolean; paths?: readonly string[] } = {},
  ): Promise<string[]> {
    // --no-renames: a rename must list both paths, callers want every file that changed.
    const args = ["diff", "--name-only", "-z", "--no-renames"];
    if (options.cached) args.push("--cached");
    if (options.from) args.push(options.from);
    if (options.to) args.push(options.to);
    args.push("--", ...(options.paths ?? []));
    return splitZ(await this.must(args));
  }

  async fileModes(paths: readonly string[]): Promise<Map<string, string>> {
    const modes = new Map<string, string>();
    if (!paths.length) return modes;
    for (const entry of splitZ(await this.must(["ls-files", "--stage", "-z", "--", ...paths]))) {
      // "<mode> <sha> <stage>\t<path>"
      const tab = entry.indexOf("\t");
      const mode = entry.slice(0, entry.indexOf(" "));
      modes.set(entry.slice(tab + 1), mode);
    }
    return modes;
  }

  async lsRemote(refs: readonly string[], remote?: string): Promise<Map<string, string>> {
    const out = await this.must(["ls-remote", "--", remote ?? (await this.remote()), ...refs], { network: true });
    const wanted = new Set(refs);
    const found = new Map<string, string>();
    for (const line of out.split("\n")) {
      const [sha, ref] = line.split("\t");
      // ls-remote patterns match on a path-component suffix (`main` matches `refs/heads/x/main`):
      // keep exact names only.
      if (sha && ref && (wanted.size === 0 || wanted.has(ref))) found.set(ref, sha);
    }
    return found;
  }

  async remoteBranchSha(branch: string, remote?: string): Promise<string | undefined> {
    const ref = `refs/heads/${branch}`;
    return (await this.lsRemote([ref], remote)).get(ref);
  }

  async fetch(options: FetchOptions): Promise<void> {
    const args = ["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"];
    if (options.depth === "unshallow") {
      if (await this.isShallow()) args.push("--unshallow");
    } else if (typeof options.depth === "number") {
      args.push(`--depth=${options.depth}`);
    } else if (await this.isShallow()) {
      args.push("--depth=1");
    }
    args.push("--", options.remote ?? (await this.remote()), ...options.refspecs);
    await this.must(args, { network: true });
  }

  async add(paths: readonly string[]): Promise<void> {
    if (!paths.length) return;
    // --all: a path that was deleted is staged as a deletion too.
    await this.must(["add", "--all", "--", ...paths]);
  }

  async commit(options: CommitOptions): Promise<string> {
    const env = {
      ...identityEnv("AUTHOR", options.author),
      ...identityEnv("COMMITTER", options.committer ?? options.author),
    };
    // Message on stdin: no length limit, and it never shows in a process list or the debug log.
    // --cleanup=whitespace keeps lines starting with '#' (a user template may produce them) that
    // the default "strip" mode would silently drop.
    const args = ["commit", "--file=-", "--cleanup=whitespace", "--no-edit"];
    if (options.allowEmpty) args.push("--allow-empty");
    await this.must(args, { env, input: options.message });
    return this.revParse("HEAD");
  }

  async push(options: PushOptions): Promise<PushResult> {
    const ref = `refs/heads/${options.branch}`;
    const args = ["push", "--porcelain"];
    if (options.expectedSha !== undefined) {
      args.push(`--force-with-lease=${ref}:${options.expectedSha ?? ""}`);
    }
    args.push("--", options.remote ?? (await this.remote()), `${options.source ?? "HEAD"}:${ref}`);
    const r = await this.run(args, { network: true });
    return classifyPush(r.exitCode, r.stdout, r.stderr);
  }

  async deleteRemoteBranch(
    branch: string,
    options: { remote?: string; expectedSha?: string } = {},
  ): Promise<PushResult> {
    const ref = `refs/heads/${branch}`;
    const args = ["push", "--porcelain"];
    if (options.expectedSha) args.push(`--force-with-lease=${ref}:${options.expectedSha}`);
    args.push("--", options.remote ?? (await this.remote()), `:${ref}`);
    const r = await this.run(args, { network: true });
    return classifyPush(r.exitCode, r.stdout, r.stderr);
  }

  async resetHard(rev: string): Promise<void> {
    await this.must(["reset", "--hard", "--quiet", rev, "--"]);
  }

  async checkoutBranch(branch: string, startPoint?: string): Promise<void> {
    const args = ["checkout", "--quiet", "-B", branch];
    if (startPoint) args.push(startPoint);
    // Trailing "--": a branch that happens to share a file's name must not be read as a path.
    args.push("--");
    await this.must(args);
  }

  async restore(paths: readonly string[], options: RestoreOptions = {}): Promise<void> {
    if (!paths.length) return;
    const args = ["restore"];
    if (options.source) args.push(`--source=${options.source}`);
    if (options.staged) args.push("--staged");
    if (options.worktree || !options.staged) args.push("--worktree");
    args.push("--", ...paths);
    await this.must(args);
  }
}

/**
 * Async factory: checks git is there and new enough before anything relies on it.
 * The working directory must be inside a work tree.
 */
export async function createGitCommandManager(
  workingDirectory: string,
  options: GitCommandManagerOptions = {},
): Promise<GitCommandManager> {
  const v = await execGit(["version"], { cwd: workingDirectory });
  if (v.exitCode !== 0) throw new Error(`git is not usable in ${workingDirectory}: ${v.stderr.trim()}`);
  const version = parseVersion(v.stdout);
  if (!atLeast(version, MINIMUM_VERSION)) {
    throw new Error(`git ${version.join(".")} is too old: Laminar needs git ${MINIMUM_VERSION.join(".")} or newer`);
  }
  return new GitCli(workingDirectory, version, options, options.log ?? (() => undefined));
}

export { GitCommandError } from "./exec-git.js";
export type { PushResult } from "./push-result.js";
export type { HttpCredentials } from "./http-auth.js";
