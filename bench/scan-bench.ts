/**
 * Scan throughput of Laminar's scanner against ripgrep on the same files, in the same run.
 *
 * ripgrep is given a regex for what the scanner accepts: a name with a `/` and a tag or digest, or
 * the value of an image key. It is not the scanner's exact grammar (no reference parsing, no
 * comment or template rules), which only makes ripgrep's job easier: the ratio is a fair upper
 * bound. Both read from the page cache (one warm-up each) and the median of the runs is reported.
 * The tools take turns (a Laminar scan, rg, rg -j1, again), so a slow minute of a shared machine
 * slows both rather than one: the ratio of one pair of runs is then about the tools, not the minute.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BENCH_DIR } from "./measure.js";
import type { ScanRun } from "./scan-child.js";

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
  /** rg MB/s ÷ Laminar MB/s, of the medians (lower is better; the target is ≤ 3). */
  readonly ratio?: number;
  /** The median of each turn's Laminar ms ÷ rg ms: the ratio with the machine's drift paired out. */
  readonly pairedRatio?: number;
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

/** scan-child.ts, asked one command at a time. */
function scanChild(dir: string): { ask: (command: string) => Promise<unknown>; close: () => Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(BENCH_DIR, "scan-child.ts"), dir], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const err: Buffer[] = [];
  child.stderr.on("data", (b: Buffer) => err.push(b));
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const failed = async (): Promise<Error> =>
    new Error(`scan-child exited ${await exited}: ${Buffer.concat(err).toString().slice(0, 2000)}`);
  return {
    ask: async (command) => {
      child.stdin.write(`${command}\n`);
      const next = await lines.next();
      if (next.done) throw await failed();
      return JSON.parse(next.value) as unknown;
    },
    close: async () => {
      child.stdin.end();
      if ((await exited) !== 0) throw await failed();
    },
  };
}

const toolScan = (runsMs: readonly number[], bytes: number, matches: number): ToolScan => {
  const medianMs = median(runsMs);
  return { medianMs, runsMs, mbPerS: bytes / 1e6 / (medianMs / 1000), matches };
};

export async function compareScan(dir: string, runs: number): Promise<ScanComparison> {
  const child = scanChild(dir);
  const haveRg = existsSync(RG);
  try {
    // One warm-up each: the JIT and the page cache for Laminar, the page cache for rg.
    await child.ask("scan");
    if (haveRg) {
      await rgOnce(dir);
      await rgOnce(dir, 1);
    }
    const scans: ScanRun[] = [];
    const rgRuns: Array<{ ms: number; matches: number }> = [];
    const rgOneRuns: Array<{ ms: number; matches: number }> = [];
    for (let i = 0; i < runs; i++) {
      scans.push((await child.ask("scan")) as ScanRun);
      if (haveRg) {
        rgRuns.push(await rgOnce(dir));
        rgOneRuns.push(await rgOnce(dir, 1));
      }
    }
    const text = (await child.ask(`text ${runs}`)) as { runsMs: number[] };
    const last = scans[scans.length - 1] as ScanRun;
    const laminar = toolScan(
      scans.map((s) => s.ms),
      last.bytes,
      last.references,
    );
    const laminarTextOnly = toolScan(text.runsMs, last.bytes, last.references);
    const base = { bytes: last.bytes, files: last.files, laminar, laminarTextOnly };
    if (!haveRg) return { ...base, rgMissing: `${RG} not found (apt-get install ripgrep)` };
    const rg = toolScan(
      rgRuns.map((r) => r.ms),
      last.bytes,
      rgRuns[0]?.matches ?? 0,
    );
    const rgOneThread = toolScan(
      rgOneRuns.map((r) => r.ms),
      last.bytes,
      rgOneRuns[0]?.matches ?? 0,
    );
    return {
      ...base,
      rg,
      rgOneThread,
      ratio: rg.mbPerS / laminar.mbPerS,
      pairedRatio: median(scans.map((s, k) => s.ms / (rgRuns[k] as { ms: number }).ms)),
    };
  } finally {
    await child.close();
  }
}
