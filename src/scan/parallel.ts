import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { scanFilesHere, type FileOutcome } from "./file-scan.js";

/**
 * Reading and scanning a big repository on several threads (issue #12: ripgrep searches with every
 * core). The main thread scans too; every thread takes the next batch of files from one shared
 * counter, so a slow file does not hold up the rest. Results come back as plain data and are put in
 * path order: the output is the same, byte for byte, whatever thread read which file.
 *
 * Workers are kept between scans (`laminar serve` and `watch` scan again and again; a worker takes
 * 60–350 ms to start) and ended after {@link IDLE_MS} without a scan, so an idle daemon holds no
 * extra memory. They never keep the process alive on their own.
 */

/** Files per batch a thread takes: big enough to keep messages rare, small enough to balance. */
const BATCH = 64;
/**
 * Below this many files per thread, a worker costs more than it saves: starting one takes 60 ms or
 * more and 30–40 MB, and the bench's manifests (2.5 KB each) scan at about 20 files a millisecond on
 * one thread. On the bench's 2-core machine two threads gained only ~10% even on 10k files (the
 * single thread already has the second core for its garbage collector), so only big repositories
 * (5,000 files and more for two threads) pay for a worker by default.
 */
const MIN_FILES_PER_THREAD = 2500;
/** Memory grows with every worker; past 4 threads the walk and the disk are the limit anyway. */
const MAX_THREADS = 4;
/** Idle workers are ended after this long without a scan. */
const IDLE_MS = 30_000;

/** One scan, as sent to each worker (scan-worker.ts). */
export interface ScanJob {
  readonly job: number;
  readonly root: string;
  readonly paths: readonly string[];
  readonly maxFileSize: number;
  /** Files per batch, and the shared counter (an Int32) of the next batch's first file. */
  readonly batch: number;
  readonly counter: SharedArrayBuffer;
}

/**
 * What a worker sends back for a job: what the files of the batch at `start` gave, that it failed
 * on one of them, or that no batch is left.
 */
export type ScanWorkerMessage =
  | { readonly job: number; readonly start: number; readonly outcomes: FileOutcome[] }
  | { readonly job: number; readonly start: number; readonly failed: true }
  | { readonly job: number; readonly done: true };

/**
 * How many threads to use for `files` files: `LAMINAR_SCAN_THREADS` (a shared runner may want 1),
 * else `requested` (`scan.threads`), at most one per batch; else one per CPU up to
 * {@link MAX_THREADS}, and only as many as the files repay ({@link MIN_FILES_PER_THREAD}).
 */
export function threadsFor(files: number, requested?: number): number {
  const fromEnv = Number(process.env.LAMINAR_SCAN_THREADS);
  const asked = Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : requested;
  if (asked !== undefined) return Math.max(1, Math.min(asked, Math.ceil(files / BATCH)));
  const cpus = Math.min(availableParallelism(), MAX_THREADS);
  return Math.max(1, Math.min(cpus, Math.floor(files / MIN_FILES_PER_THREAD)));
}

/**
 * The worker's script beside this module: `.ts` when running from source, `.js` in lib/ and in the
 * dist/ bundle (its own entry, scripts/bundle.mjs; a bundled chunk in dist/chunks/ looks one folder
 * up). None found: one thread.
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
function startWorker(script: URL): Worker {
  if (!script.pathname.endsWith(".ts")) return new Worker(script);
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** The process's scan workers, shared by every scan (see the module comment). */
const pool: Worker[] = [];
/**
 * Scans each worker works for: it is referenced (keeps the process alive) while this is above 0. An
 * unreferenced worker would let the process end while a scan waits for it; `ref()` does not count.
 */
const holds = new Map<Worker, number>();
function hold(worker: Worker, by: 1 | -1): void {
  const n = (holds.get(worker) ?? 0) + by;
  holds.set(worker, n);
  if (n === 1 && by === 1) worker.ref();
  if (n === 0) {
    holds.delete(worker);
    worker.unref();
  }
}
let jobs = 0;
let running = 0;
let idleTimer: NodeJS.Timeout | undefined;

/** `n` workers of the pool, started as needed. */
function poolWorkers(n: number, script: URL): Worker[] {
  clearTimeout(idleTimer);
  while (pool.length < n) {
    const worker = startWorker(script);
    worker.unref();
    // A worker that cannot start or dies leaves the pool; its batches are scanned by the caller.
    worker.on("error", () => undefined);
    worker.on("exit", () => {
      const at = pool.indexOf(worker);
      if (at >= 0) pool.splice(at, 1);
    });
    pool.push(worker);
  }
  return pool.slice(0, n);
}

function endIdleWorkers(): void {
  if (running > 0) return;
  idleTimer = setTimeout(() => {
    if (running === 0) for (const w of pool.splice(0)) void w.terminate();
  }, IDLE_MS);
  idleTimer.unref();
}

/**
 * Reads and scans `paths` (repo-relative) under `root`, on `threads` threads (see
 * {@link threadsFor}; `threads` in the answer counts this one and the workers that scanned).
 * Outcomes are in the order of `paths`. A batch that fails on a worker is read again on this
 * thread, so its error is the one a single-threaded scan throws.
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
  // work (this thread reads messages only between its own batches; a worker waiting on it idled).
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const take = (): number => Atomics.add(counter, 0, BATCH);
  const job: ScanJob = {
    job: ++jobs,
    root,
    paths,
    maxFileSize: options.maxFileSize,
    batch: BATCH,
    counter: counter.buffer,
  };
  running++;
  // Workers that scanned at least one batch: the thread count the scan reports.
  const worked = new Set<Worker>();
  try {
    const finished = poolWorkers(threads - 1, script).map(
      (worker) =>
        new Promise<void>((resolve) => {
          const onMessage = (m: ScanWorkerMessage): void => {
            if (m.job !== job.job) return;
            if ("outcomes" in m) {
              place(m.start, m.outcomes);
              worked.add(worker);
            } else if ("done" in m) finish();
          };
          const finish = (): void => {
            worker.off("message", onMessage);
            worker.off("exit", finish);
            hold(worker, -1);
            resolve();
          };
          worker.on("message", onMessage);
          worker.on("exit", finish);
          hold(worker, 1);
          worker.postMessage(job);
        }),
    );
    // This thread takes batches too, with a turn for the event loop after each (the workers' messages).
    for (let start = take(); start < paths.length; start = take()) {
      await here(start);
      await yieldToLoop();
    }
    await Promise.all(finished);
  } finally {
    running--;
    endIdleWorkers();
  }
  // A batch a worker failed on (or took and died) is scanned here: its error, if any, is thrown as a
  // one-thread scan throws it.
  for (let start = 0; start < paths.length; start += BATCH) if (out[start] === undefined) await here(start);
  return { outcomes: out as FileOutcome[], threads: 1 + worked.size };
}
