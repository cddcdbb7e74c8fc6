/**
 * Scan throughput in a process of its own (no benchmark heap around it):
 *
 *   node --import tsx bench/scan-child.ts DIR RUNS
 *
 * walks, reads and scans DIR the way `laminar plan` does (scanRepository), once to warm up the
 * JIT and the page cache, then RUNS times. Then, to tell file handling from scanning, the same
 * files read into memory first and only scanText timed. Prints one JSON line.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_MAX_FILE_SIZE } from "../src/config/types.js";
import { scanRepository } from "../src/scan/repository.js";
import { scanText } from "../src/scan/scan.js";

export interface ScanChildResult {
  readonly files: number;
  readonly bytes: number;
  readonly references: number;
  /** scanRepository: walk + read + scan. */
  readonly runsMs: readonly number[];
  /** scanText alone over the files already in memory. */
  readonly textOnlyRunsMs: readonly number[];
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

const [dir, runsText] = process.argv.slice(2);
if (!dir) throw new Error("usage: scan-child.ts DIR [RUNS]");
const runs = Number(runsText ?? 3);
const once = async (): Promise<{ ms: number; files: number; bytes: number; references: number }> => {
  const t = performance.now();
  const scan = await scanRepository(dir, { maxFileSize: DEFAULT_MAX_FILE_SIZE });
  const ms = performance.now() - t;
  return {
    ms,
    files: scan.stats.files,
    bytes: scan.stats.bytes,
    references: scan.files.reduce((n, f) => n + f.references.length, 0),
  };
};
let last = await once();
const runsMs: number[] = [];
for (let i = 0; i < runs; i++) {
  last = await once();
  runsMs.push(last.ms);
}
const buffers = await Promise.all((await filesUnder(dir)).map((f) => readFile(f)));
const textOnlyRunsMs: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  for (const b of buffers) scanText(b);
  textOnlyRunsMs.push(performance.now() - t);
}
const result: ScanChildResult = {
  files: last.files,
  bytes: last.bytes,
  references: last.references,
  runsMs,
  textOnlyRunsMs,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
