/**
 * Scan throughput in a process of its own (no benchmark heap around it):
 *
 *   node --import tsx bench/scan-child.ts DIR RUNS
 *
 * walks, reads and scans DIR the way `laminar plan` does (scanRepository), once to warm up the
 * JIT and the page cache, then RUNS times; prints one JSON line with each run's time.
 */
import { DEFAULT_MAX_FILE_SIZE } from "../src/config/types.js";
import { scanRepository } from "../src/scan/repository.js";

export interface ScanChildResult {
  readonly files: number;
  readonly bytes: number;
  readonly references: number;
  readonly runsMs: readonly number[];
}

const [dir, runsText] = process.argv.slice(2);
if (!dir) throw new Error("usage: scan-child.ts DIR [RUNS]");
const runs = Number(runsText ?? 3);
const once = async (): Promise<{ ms: number; files: number; bytes: number; references: number }> => {
  const t = performance.now();
  const scan = await scanRepository(dir, { maxFileSize: DEFAULT_MAX_FILE_SIZE });
  const ms = performance.now() - t;
  return { ms, files: scan.stats.files, bytes: scan.stats.bytes, references: scan.files.reduce((n, f) => n + f.references.length, 0) };
};
let last = await once();
const runsMs: number[] = [];
for (let i = 0; i < runs; i++) {
  last = await once();
  runsMs.push(last.ms);
}
const result: ScanChildResult = { files: last.files, bytes: last.bytes, references: last.references, runsMs };
process.stdout.write(`${JSON.stringify(result)}\n`);
