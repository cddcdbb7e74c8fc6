import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { scanFilesHere, type FileOutcome } from "./file-scan.js";

/**
 * Reading and scanning a big repository on several threads (issue #12: ripgrep searches with every
 * core; a scan on one thread was about 6× slower than it on 2 cores). The main thread scans too;
 * workers take batches of files from it as they free, so a slow file does not hold up the rest.
 * Results come back as plain data and are put in path order: the output is the same, byte for byte,
 * whatever thread read which file.
 */

/** Files per batch handed to a thread: big enough to keep messages rare, small enough to balance. */
const BATCH = 64;
/**
 * Below this many files per thread, a worker costs more than it saves: starting one takes about
 * 30–60 ms and 30–40 MB, about what scanning 1,000 typical manifests takes on one thread.
 */
const MIN_FILES_PER_THREAD = 1000;
/** Memory grows with every worker; past 4 threads the walk and the disk are the limit anyway. */
const MAX_THREADS = 4;

/** What a worker is given (scan-worker.ts). */
export interface ScanWorkerData {
  readonly root: string;
  readonly paths: readonly string[];
  readonly maxFileSize: number;
  /** Files per batch, and the shared counter (an Int32) of the next batch's first file. */
  readonly batch: number;
  readonly counter: SharedArrayBuffer;
}

/** What a worker sends back: what the files of the batch at `start` gave, or that it failed on one. */
export type ScanWorkerMessage =
  { readonly start: number; readonly outcomes: FileOutcome[] } | { readonly start: number; readonly failed: true };

/**
 * How many threads to use for `files` files: `LAMINAR_SCAN_THREADS` (a shared runner may want 1),
 * else `requested` (`scan.threads`), at most one per batch; else one per CPU up to {@link MAX_THREADS}, and only
 * as many as the files repay ({@link MIN_FILES_PER_THREAD}).
 */
export function threadsFor(files: number, requested?: number): number {
  const fromEnv = Number(process.env.LAMINAR_SCAN_THREADS);
  const asked = Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : requested;
  if (asked !== undefined) return Math.max(1, Math.min(asked, Math.ceil(files / BATCH)));
  const cpus = Math.min(availableParallelism(), MAX_THREADS);
  return Math.max(1, Math.min(cpus, Math.floor(files / MIN_FILES_PER_THREAD)));
}

/**
 * The worker's script beside this module: `.ts` when running from source (the worker inherits the
 * `--import tsx` of this process), `.js` in lib/ and in the dist/ bundle (its own entry,
 * scripts/bundle.mjs; a bundled chunk in dist/chunks/ looks one folder up). None found: one thread.
 */
function workerScript(): URL | undefined {
  const here = import.meta.url;
  const names = here.endsWith(".ts") ? ["./scan-worker.ts"] : ["./scan-worker.js", "../scan-worker.js"];
  for (const name of names) {
    const url = new URL(name, here);
    if (url.protocol === "file:" && existsSync(fileURLToPath(url))) return url;
  }
  return undefined;
}

/**
 * A worker on `script`. From source (tests, `npm run bench`), the worker gets no TypeScript loader:
 * Node 20 does not pass the `--import tsx` hooks on to workers, so a small bootstrap registers
 * tsx's (a dev dependency, present wherever the source runs) before loading the script.
 */
function startWorker(script: URL, data: ScanWorkerData): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script, { workerData: data });
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}

/**
 * Reads and scans `paths` (repo-relative) under `root`, on `threads` threads (see
 * {@link threadsFor}; `threads` in the answer counts this one and the workers that scanned). Outcomes are in the order of `paths`. A file that fails on a worker is read
 * again on this thread, so its error is the one a single-threaded scan throws.
 */
export async function scanFiles(
  root: string,
  paths: readonly string[],
  options: {
    readonly maxFileSize: number;
    readonly threads?: number | undefined;
    readonly onFile?: ((path: string) => void) | undefined;
  },
): Promise<{ outcomes: FileOutcome[]; threads: number }> {
  const threads = threadsFor(paths.length, options.threads);
  const script = threads > 1 ? workerScript() : undefined;
  if (!script) return { outcomes: await scanFilesHere(root, paths, options), threads: 1 };

  const out = new Array<FileOutcome | undefined>(paths.length);
  const place = (start: number, outcomes: readonly FileOutcome[]): void => {
    outcomes.forEach((o, k) => {
      out[start + k] = o;
      options.onFile?.(paths[start + k] as string);
    });
  };
  const here = async (start: number): Promise<void> => {
    place(start, await scanFilesHere(root, paths.slice(start, start + BATCH), { maxFileSize: options.maxFileSize }));
  };
  // The next batch to take, shared by every thread: a worker never waits for this thread to hand it
  // work (this thread reads messages only between its own batches, and a worker waiting on it was
  // idle half the time).
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const take = (): number => Atomics.add(counter, 0, BATCH);
  const data: ScanWorkerData = { root, paths, maxFileSize: options.maxFileSize, batch: BATCH, counter: counter.buffer };
  // Workers that scanned at least one batch: the thread count the scan reports.
  const worked = new Set<Worker>();
  const finished = Array.from({ length: threads - 1 }, () => {
    return new Promise<void>((resolve) => {
      const worker = startWorker(script, data);
      worker.on("message", (m: ScanWorkerMessage) => {
        if ("outcomes" in m) {
          place(m.start, m.outcomes);
          worked.add(worker);
        }
      });
      // A worker that cannot start or dies leaves its batches unplaced: they are scanned below.
      worker.on("error", () => undefined);
      worker.on("exit", () => resolve());
    });
  });
  // This thread takes batches too, with a turn for the event loop after each (the workers' messages).
  for (let start = take(); start < paths.length; start = take()) {
    await here(start);
    await yieldToLoop();
  }
  await Promise.all(finished);
  // A batch a worker failed on (or took and died) is scanned here: its error, if any, is thrown as a
  // one-thread scan throws it.
  for (let start = 0; start < paths.length; start += BATCH) if (out[start] === undefined) await here(start);
  return { outcomes: out as FileOutcome[], threads: 1 + worked.size };
}
