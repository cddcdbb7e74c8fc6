/**
 * Scan throughput of Laminar's scanner against ripgrep on the same files, in the same run.
 *
 * ripgrep is given a regex for what the scanner accepts: a name with a `/` and a tag or digest, or
 * the value of an image key. It is not the scanner's exact grammar (no reference parsing, no
 * comment or template rules), which only makes ripgrep's job easier: the ratio is a fair upper
 * bound. Both read from the page cache (one warm-up each) and the median of the runs is reported.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./measure.js";
import type { ScanChildResult } from "./scan-child.js";

export const RG = process.env.LAMINAR_BENCH_RG ?? "/usr/bin/rg";

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const TAGGED = `[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?(?:/${COMPONENT})+(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})`;
const KEYED = `(?i:image|imagename|newname|[a-z0-9]*[_-]?image)["']?[ \\t]*[:=][ \\t]*["']?[A-Za-z0-9][A-Za-z0-9._/:@-]*`;
export const RG_PATTERN = `${TAGGED}|${KEYED}`;

export interface ToolScan {
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  readonly mbPerS: number;
  readonly matches: number;
}

export interface ScanComparison {
  readonly bytes: number;
  readonly files: number;
  /** scanRepository (walk, read, scan), as `laminar plan` runs it. */
  readonly laminar: ToolScan;
  /** scanText alone over the same bytes already in memory: the scanner without the file handling. */
  readonly laminarTextOnly: ToolScan;
  readonly rg?: ToolScan;
  /** ripgrep with one thread: the scanner runs on one thread too. */
  readonly rgOneThread?: ToolScan;
  /** rg MB/s ÷ Laminar MB/s (lower is better; the target is ≤ 3). */
  readonly ratio?: number;
  readonly rgMissing?: string;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

function run(cmd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }),
    );
  });
}

async function rgOnce(dir: string, threads?: number): Promise<{ ms: number; matches: number }> {
  // -uu: no ignore files, hidden files too (Laminar reads every file); binary files are skipped by both.
  const args = [
    "--no-config",
    "-uu",
    "--count-matches",
    "--no-messages",
    ...(threads ? ["-j", String(threads)] : []),
    "-e",
    RG_PATTERN,
    dir,
  ];
  const t = performance.now();
  const r = await run(RG, args);
  const ms = performance.now() - t;
  if (r.code !== 0 && r.code !== 1) throw new Error(`rg exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  let matches = 0;
  for (const line of r.stdout.split("\n")) {
    const n = Number(line.slice(line.lastIndexOf(":") + 1));
    if (line && Number.isFinite(n)) matches += n;
  }
  return { ms, matches };
}

async function rgScan(dir: string, runs: number, bytes: number, threads?: number): Promise<ToolScan> {
  await rgOnce(dir, threads); // warm-up
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await rgOnce(dir, threads));
  const runsMs = results.map((r) => r.ms);
  const medianMs = median(runsMs);
  return { medianMs, runsMs, mbPerS: bytes / 1e6 / (medianMs / 1000), matches: results[0]?.matches ?? 0 };
}

export async function compareScan(dir: string, runs: number): Promise<ScanComparison> {
  const r = await run(process.execPath, ["--import", "tsx", join(BENCH_DIR, "scan-child.ts"), dir, String(runs)]);
  if (r.code !== 0) throw new Error(`scan-child exited ${r.code}: ${r.stderr.slice(0, 2000)}`);
  const s = JSON.parse(r.stdout) as ScanChildResult;
  const medianMs = median(s.runsMs);
  const laminar: ToolScan = {
    medianMs,
    runsMs: s.runsMs,
    mbPerS: s.bytes / 1e6 / (medianMs / 1000),
    matches: s.references,
  };
  const textMs = median(s.textOnlyRunsMs);
  const laminarTextOnly: ToolScan = {
    medianMs: textMs,
    runsMs: s.textOnlyRunsMs,
    mbPerS: s.bytes / 1e6 / (textMs / 1000),
    matches: s.references,
  };
  if (!existsSync(RG))
    return {
      bytes: s.bytes,
      files: s.files,
      laminar,
      laminarTextOnly,
      rgMissing: `${RG} not found (apt-get install ripgrep)`,
    };
  const rg = await rgScan(dir, runs, s.bytes);
  const rgOneThread = await rgScan(dir, runs, s.bytes, 1);
  return {
    bytes: s.bytes,
    files: s.files,
    laminar,
    laminarTextOnly,
    rg,
    rgOneThread,
    ratio: rg.mbPerS / laminar.mbPerS,
  };
}
