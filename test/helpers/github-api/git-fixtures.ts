import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Fixed identity for fixture commits, so tests never depend on the machine's git config. */
export const FIXTURE_ENV = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.test",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.test",
} as const;

/**
 * Makes every git process of this test file ignore the user's and the system's git config
 * (a global `commit.gpgsign`, `init.defaultBranch` or credential helper would change results).
 * Call once at the top of a test file.
 */
export function isolateGitConfig(): void {
  const dir = mkdtempSync(join(tmpdir(), "laminar-gitconfig-"));
  const file = join(dir, "gitconfig");
  writeFileSync(file, "");
  process.env.GIT_CONFIG_GLOBAL = file;
  process.env.GIT_CONFIG_NOSYSTEM = "1";
}

/** Runs git synchronously for fixtures; throws with stderr on failure. */
export function git(cwd: string, args: readonly string[], input?: string | Buffer): string {
  try {
    return execFileSync("git", args, {
      cwd,
      input,
      env: { ...process.env, ...FIXTURE_ENV, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
      stdio: ["pipe", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    }).toString("utf8");
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`fixture: git ${args.join(" ")} failed: ${err.stderr?.toString() ?? err.message}`, {
      cause: e,
    });
  }
}

/**
 * Async variant, for git talking to a server that runs in this same process (the emulator):
 * a synchronous child would block the event loop the server needs to answer it.
 */
export function gitAsync(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd,
        env: { ...process.env, ...FIXTURE_ENV, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`fixture: git ${args.join(" ")} failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

export interface TempDir {
  readonly path: string;
  remove(): void;
}

export function tempDir(prefix = "laminar-test-"): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Creates a bare repository at `path` whose `branch` holds one commit with `files`.
 * Built with plumbing (no work tree needed): hash-object, a temporary index, write-tree, commit-tree.
 */
export function initBareRepo(path: string, files: Readonly<Record<string, string>>, branch = "main"): string {
  mkdirSync(path, { recursive: true });
  git(path, ["init", "--quiet", "--bare", `--initial-branch=${branch}`]);
  return commitFiles(path, branch, files, "initial");
}

/** Adds a commit on `branch` of a bare repository (creating the branch if needed); returns its sha. */
export function commitFiles(
  bare: string,
  branch: string,
  files: Readonly<Record<string, string>>,
  message: string,
): string {
  const index = join(bare, `fixture-index-${process.pid}-${Date.now()}`);
  const env = { ...process.env, ...FIXTURE_ENV, GIT_INDEX_FILE: index };
  const run = (args: string[], input?: string) =>
    execFileSync("git", args, { cwd: bare, env, input, stdio: ["pipe", "pipe", "pipe"] })
      .toString("utf8")
      .trim();
  let parent: string | undefined;
  try {
    parent = run(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
  } catch {
    parent = undefined;
  }
  try {
    if (parent) run(["read-tree", parent]);
    for (const [file, content] of Object.entries(files)) {
      const sha = run(["hash-object", "-w", "--stdin"], content);
      run(["update-index", "--add", "--cacheinfo", `100644,${sha},${file}`]);
    }
    const tree = run(["write-tree"]);
    const commit = run(["commit-tree", tree, ...(parent ? ["-p", parent] : []), "-m", message]);
    run(["update-ref", `refs/heads/${branch}`, commit]);
    return commit;
  } finally {
    rmSync(index, { force: true });
  }
}

/** `git clone` into `dest` (created); `depth` for shallow clones (needs a file:// or http URL). */
export function clone(url: string, dest: string, depth?: number): string {
  mkdirSync(dirname(dest), { recursive: true });
  git(dirname(dest), ["clone", "--quiet", ...(depth ? [`--depth=${depth}`] : []), url, dest]);
  return dest;
}

/** Writes a file inside a work tree, creating directories. */
export function writeFile(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}
