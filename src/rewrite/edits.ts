import type { Edit } from "../plan/types.js";

/** The file changed since it was scanned: an edit no longer reads what it expects. */
export class StaleEditError extends Error {
  override readonly name = "StaleEditError";
}

/**
 * Applies byte edits and returns the new bytes; every byte outside the edited spans is copied as is
 * (line endings, BOM, comments, templates, non-UTF-8 text). Pure. Edits must not overlap and must
 * still read what they expect, or nothing is changed.
 *
 * The same edit may come twice: one YAML anchor (`tag: &v 1.2.3`) read through several aliases is
 * one span shared by several sites, and each change carries its edit. Identical edits are one
 * edit; two different replacements of one span still fail as overlapping.
 */
export function applyEdits(bytes: Uint8Array, edits: readonly Edit[]): Buffer {
  const src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  const parts: Buffer[] = [];
  let pos = 0;
  let last: Edit | undefined;
  for (const e of sorted) {
    if (last && sameEdit(last, e)) continue;
    last = e;
    if (e.start < pos) throw new StaleEditError(`overlapping edits at byte ${e.start}`);
    if (e.end < e.start || e.end > src.length)
      throw new StaleEditError(`edit [${e.start}, ${e.end}) is outside the file`);
    const current = src.subarray(e.start, e.end).toString("latin1");
    if (current !== e.expect)
      throw new StaleEditError(
        `expected ${JSON.stringify(e.expect)} at byte ${e.start}, found ${JSON.stringify(current)}`,
      );
    parts.push(src.subarray(pos, e.start), Buffer.from(e.replace, "latin1"));
    pos = e.end;
  }
  parts.push(src.subarray(pos));
  return Buffer.concat(parts);
}

const sameEdit = (a: Edit, b: Edit): boolean =>
  a.start === b.start && a.end === b.end && a.expect === b.expect && a.replace === b.replace;
