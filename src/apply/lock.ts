import { execFile } from "node:child_process";
import { open, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";

/** Who holds a run lock: written into the lock file as JSON. */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO 8601. */
  readonly started: string;
}

/** Another run holds the lock of this work tree. */
export class LockHeldError extends Error {
  override readonly name = "LockHeldError";
  constructor(
    readonly path: string,
    readonly owner: LockOwner | undefined,
  ) {
    super(
      `another laminar run is updating this work tree (${owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.started}` : "owner unreadable"}); ` +
        `wait for it to finish, or delete ${path} if that run is gone`,
    );
  }
}

/** A held lock; {@link RunLock.release} removes the file (only if it is still ours). */
export interface RunLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes the lock of the work tree at `dir`, so two `laminar apply` runs on one checkout cannot
 * both rewrite (and one undo the other) and both report success (issue #13). The file lives in the
 * git directory (`.git/laminar.lock`, per worktree) so it is never committed; outside git, `dir/.laminar.lock`.
 * A lock left by a process that is gone (same host, pid not alive) is taken over with a warning.
 */
export async function acquireRunLock(dir: string, warn: (message: string) => void): Promise<RunLock> {
  const gitDir = await gitDirOf(dir);
  const path = gitDir ? join(gitDir, "laminar.lock") : join(dir, ".laminar.lock");
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  const body = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, "wx");
      try {
        await fh.writeFile(body);
      } finally {
        await fh.close();
      }
      return {
        path,
        release: async () => {
          // Only our own file: a run that took over a lock it thought stale must not lose it to us.
          if ((await readFile(path, "utf8").catch(() => "")) === body) await rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const owner = await readOwner(path);
    if (attempt === 0 && owner && owner.host === me.host && !alive(owner.pid)) {
      warn(`taking over ${path}: its run (pid ${owner.pid}, started ${owner.started}) is no longer running`);
      await rm(path, { force: true });
      continue;
    }
    throw new LockHeldError(path, owner);
  }
}

async function gitDirOf(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)("git", ["rev-parse", "--git-dir"], { cwd: dir });
    const gitDir = stdout.trim();
    return isAbsolute(gitDir) ? gitDir : join(dir, gitDir);
  } catch {
    return undefined;
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.started === "string")
      return { pid: v.pid, host: v.host, started: v.started };
  } catch {
    // Unreadable or half-written: treated as held by an unknown run (never silently taken over).
  }
  return undefined;
}

/** Whether `pid` is a live process on this host (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
