/**
 * Runs a child process and measures its wall time (from here) and peak RSS: GNU time's `%M` when
 * /usr/bin/time exists (the kernel's ru_maxrss of the child, nothing added), otherwise the
 * in-process wrapper bench/measure-child.ts.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const GNU_TIME = "/usr/bin/time";
export const BENCH_DIR = new URL(".", import.meta.url).pathname;
export const ROOT = new URL("..", import.meta.url).pathname;
/** tsx's loader by absolute URL, so `--import` works from any working directory. */
const TSX = import.meta.resolve("tsx");

/** A Node program: a script, run plainly or through tsx. */
export interface NodeProgram {
  readonly script: string;
  readonly args: readonly string[];
  readonly tsx: boolean;
  /** The Node binary (default: this process's); the peer comparison runs both tools on Node 24. */
  readonly node?: string;
  /** Working directory (default: the repository root); Renovate's local platform works in its cwd. */
  readonly cwd?: string;
}

export interface Measured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallMs: number;
  /** Peak resident set, kB; undefined when it could not be read. */
  readonly maxRssKb: number | undefined;
  readonly rssVia: "time" | "node";
}

export type RssMode = "auto" | "time" | "node";

export function resolveRssMode(mode: RssMode): "time" | "node" {
  if (mode === "auto") return existsSync(GNU_TIME) ? "time" : "node";
  if (mode === "time" && !existsSync(GNU_TIME)) throw new Error(`--rss time: ${GNU_TIME} is not installed`);
  return mode;
}

function collect(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        wallMs: performance.now() - started,
      });
    });
  });
}

export async function runMeasured(
  program: NodeProgram,
  mode: "time" | "node",
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), "laminar-measure-"));
  const rssFile = join(dir, "rss");
  try {
    const loader = program.tsx ? ["--import", TSX] : [];
    const node = program.node ?? process.execPath;
    let r;
    if (mode === "time") {
      r = await collect(
        GNU_TIME,
        ["-f", "%M", "-o", rssFile, node, ...loader, program.script, ...program.args],
        env,
        program.cwd,
      );
    } else {
      const wrapper = join(BENCH_DIR, "measure-child.ts");
      r = await collect(
        node,
        ["--import", TSX, wrapper, program.script, ...program.args],
        { ...env, BENCH_MEASURE_OUT: rssFile },
        program.cwd,
      );
    }
    const text = await readFile(rssFile, "utf8").catch(() => "");
    // GNU time writes "Command exited with non-zero status N" before the figure when the child fails.
    const kb =
      mode === "time"
        ? Number(text.trim().split("\n").pop())
        : (JSON.parse(text || "{}") as { maxRssKb?: number }).maxRssKb;
    return { ...r, maxRssKb: kb !== undefined && Number.isFinite(kb) && kb > 0 ? kb : undefined, rssVia: mode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
