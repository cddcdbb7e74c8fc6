import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Edit, PlanChange } from "../plan/types.js";
import { writeFileAtomic } from "../files/atomic-write.js";
import { applyEdits } from "./edits.js";

export interface RewriteResult {
  /** Repo-relative paths that were written. */
  readonly files: readonly string[];
  /** The bytes each file had before, so a failed step can put them back. */
  readonly originals: ReadonlyMap<string, Buffer>;
}

/**
 * Writes the plan's changes into the files under `root`. All new contents are computed (and every
 * edit checked against the bytes on disk) before the first write, so a stale plan changes nothing.
 */
export async function rewriteFiles(root: string, changes: readonly PlanChange[]): Promise<RewriteResult> {
  const byFile = new Map<string, Edit[]>();
  for (const c of changes) {
    const list = byFile.get(c.file) ?? [];
    list.push(...c.edits);
    byFile.set(c.file, list);
  }
  const originals = new Map<string, Buffer>();
  const updated = new Map<string, Buffer>();
  for (const [file, edits] of byFile) {
    const before = await readFile(join(root, file));
    originals.set(file, before);
    updated.set(file, applyEdits(before, edits));
  }
  const written: string[] = [];
  try {
    for (const [file, data] of updated) {
      await writeFileAtomic(join(root, file), data);
      written.push(file);
    }
  } catch (e) {
    await restoreFiles(root, new Map(written.map((f) => [f, originals.get(f) as Buffer])));
    throw e;
  }
  return { files: [...updated.keys()].sort(), originals };
}

export async function restoreFiles(root: string, originals: ReadonlyMap<string, Buffer>): Promise<void> {
  for (const [file, data] of originals) await writeFileAtomic(join(root, file), data);
}
