import { cp, lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";

/** One path the configured commands created, modified or deleted. */
export interface TreeChange {
  readonly path: string;
  readonly change: "created" | "modified" | "deleted";
}

/** A listing of the tree at one moment (see {@link TreeSnapshot.mark}). */
export type TreeMark = ReadonlyMap<string, FileStat>;

interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  readonly mode: number;
  readonly ino: number;
}

/**
 * A copy of the work tree (without `.git`) taken before user commands run, so a failing command's
 * half-done edits — files changed, created or deleted — can be undone exactly.
 */
export class TreeSnapshot {
  private constructor(
    private readonly root: string,
    private readonly copy: string,
    private readonly files: TreeMark,
  ) {}

  static async take(root: string): Promise<TreeSnapshot> {
    const copy = await mkdtemp(join(tmpdir(), "laminar-snapshot-"));
    await cp(root, copy, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: (src) => !isGitPath(root, src),
    });
    return new TreeSnapshot(root, copy, await listFiles(root));
  }

  /** Puts the tree back as it was: restores changed and deleted files, removes new ones. */
  async restore(): Promise<string[]> {
    const now = await listFiles(this.root);
    const touched: string[] = [];
    for (const [path, st] of now) {
      const was = this.files.get(path);
      if (!was) {
        await rm(join(this.root, path), { force: true });
        touched.push(path);
      } else if (was.size !== st.size || was.mtimeMs !== st.mtimeMs || was.mode !== st.mode) {
        await rm(join(this.root, path), { force: true });
        await cp(join(this.copy, path), join(this.root, path), { verbatimSymlinks: true, preserveTimestamps: true });
        touched.push(path);
      }
    }
    for (const path of this.files.keys()) {
      if (!now.has(path)) {
        await cp(join(this.copy, path), join(this.root, path), { verbatimSymlinks: true, preserveTimestamps: true });
        touched.push(path);
      }
    }
    return touched.sort();
  }

  /** The tree's listing now, to compare with {@link changesSince} later. */
  async mark(): Promise<TreeMark> {
    return listFiles(this.root);
  }

  /**
   * What changed since `mark`, by path: size, modification time, mode or inode (an atomic rename
   * gives a new inode even when size and time match).
   */
  async changesSince(mark: TreeMark): Promise<TreeChange[]> {
    const now = await listFiles(this.root);
    const out: TreeChange[] = [];
    for (const [path, st] of now) {
      const was = mark.get(path);
      if (!was) out.push({ path, change: "created" });
      else if (was.size !== st.size || was.mtimeMs !== st.mtimeMs || was.mode !== st.mode || was.ino !== st.ino)
        out.push({ path, change: "modified" });
    }
    for (const path of mark.keys()) if (!now.has(path)) out.push({ path, change: "deleted" });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async discard(): Promise<void> {
    await rm(this.copy, { recursive: true, force: true });
  }
}

function isGitPath(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === ".git" || rel.startsWith(`.git${sep}`);
}

async function listFiles(root: string): Promise<Map<string, FileStat>> {
  const out = new Map<string, FileStat>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (isGitPath(root, abs)) continue;
      if (e.isDirectory()) await walk(abs);
      else {
        const st = await lstat(abs);
        out.set(relative(root, abs), { size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, ino: st.ino });
      }
    }
  };
  await walk(root);
  return out;
}
