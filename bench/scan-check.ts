/**
 * Every reference `scanRepository` finds under DIR, one JSON line per file, in a form that is
 * stable from run to run (sorted keys), for comparing two versions of the scanner (issue #12: a
 * faster scan must find exactly the same references):
 *
 *   npx tsx bench/scan-check.ts DIR > before.jsonl   # on the old commit
 *   npx tsx bench/scan-check.ts DIR > after.jsonl    # on the new one
 *   cmp before.jsonl after.jsonl
 */
import { DEFAULT_MAX_FILE_SIZE } from "../src/config/types.js";
import { scanRepository } from "../src/scan/repository.js";

const [dir] = process.argv.slice(2);
if (!dir) throw new Error("usage: scan-check.ts DIR");

/** JSON with object keys sorted, so two runs print the same bytes for the same findings. */
const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  );

const scan = await scanRepository(dir, { maxFileSize: DEFAULT_MAX_FILE_SIZE });
const out: string[] = [];
for (const f of scan.files) out.push(stable(f));
for (const w of scan.warnings) out.push(stable({ warning: w }));
// Not the threads: which thread read a file must not change what is found.
out.push(stable({ stats: { files: scan.stats.files, bytes: scan.stats.bytes }, paths: scan.paths.length }));
process.stdout.write(`${out.join("\n")}\n`);
const refs = scan.files.reduce((n, f) => n + f.references.length, 0);
console.error(`${scan.paths.length} files, ${scan.files.length} with references, ${refs} references`);
