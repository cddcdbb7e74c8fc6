/**
 * Scan throughput in a process of its own (no benchmark heap around it):
 *
 *   node --import tsx bench/scan-child.ts DIR
 *
 * Reads commands from stdin, one per line, and answers each with one JSON line on stdout, so the
 * parent can run ripgrep between two scans (bench/scan-bench.ts):
 * - `scan`: walks, reads and scans DIR the way `laminar plan` does (scanRepository) → {@link ScanRun};
 * - `text RUNS`: to tell file handling from scanning, the same files read into memory first and only
 *   scanText timed, RUNS times → `{ "runsMs": [...] }`.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DEFAULT_MAX_FILE_SIZE } from "../src/config/types.js";
import { scanRepository } from "../src/scan/repository.js";
import { scanText } from "../src/scan/scan.js";

/** One `scan`: scanRepository's time (walk + read + scan) and what it found. */
export interface ScanRun {
  readonly ms: number;
  readonly files: number;
  readonly bytes: number;
  readonly references: number;
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

const [dir] = process.argv.slice(2);
if (!dir) throw new Error("usage: scan-child.ts DIR (commands on stdin: scan | text RUNS)");
const scanOnce = async (): Promise<ScanRun> => {
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
const textOnly = async (runs: number): Promise<{ runsMs: number[] }> => {
  const buffers = await Promise.all((await filesUnder(dir)).map((f) => readFile(f)));
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    for (const b of buffers) scanText(b);
    runsMs.push(performance.now() - t);
  }
  return { runsMs };
};
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(/\s+/);
  const answer = cmd === "scan" ? await scanOnce() : cmd === "text" ? await textOnly(Number(arg ?? 3)) : undefined;
  if (!answer) throw new Error(`scan-child: unknown command ${JSON.stringify(line)}`);
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
