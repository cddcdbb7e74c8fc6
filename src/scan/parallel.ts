import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { scanFilesHere, type FileOutcome } from "./file-scan.js";

/**
 * Reading and scanning a big repository on several threads (issue #12: ripgrep searches with every
 * core). Every thread takes the next batch of files from one shared counter, so a slow file does not
 * hold up the rest. The files reach the workers while the walk lists them ({@link FileScanStream}):
 * a worker starts as soon as the walk has found enough files to repay it, and scans while this thread
 * walks on (the walk of 10k directories is ~150 ms, a worker's start 60–350 ms). This thread scans
 * once its walk is over. Results come back as plain data and are put in the order the walk found the
 * files: the output is the same, byte for byte, whatever thread read which file.
 *
 * Workers are kept between scans (`laminar serve` and `watch` scan again and again; a worker takes
 * 60–350 ms to start) and ended after {@link IDLE_MS} without a scan, so an idle daemon holds no
 * extra memory. They never keep the process alive on their own.
 */

/** Files per batch a thread takes: big enough to keep messages rare, small enough to balance. */
const BATCH = 64;
/** Files sent to the workers at a time while the walk goes on. */
const CHUNK = 4 * BATCH;
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

/**
 * What a worker (scan-worker.ts) is sent for one scan: the job with the files found so far, then
 * more files as the walk finds them, the last message with `total`, the number of files (0: the walk
 * failed, stop). A batch past the files known yet waits for more.
 */
export type ScanWorkerInput =
  | {
      readonly job: number;
      readonly root: string;
      readonly paths: readonly string[];
      readonly maxFileSize: number;
      /** Files per batch, and the shared counter (an Int32) of the next batch's first file. */
      readonly batch: number;
      readonly counter: SharedArrayBuffer;
    }
  | { readonly job: number; readonly paths: readonly string[]; readonly total?: number };

/**
 * What a worker sends back for a job: what the files of the batch at `start` gave, that it failed
 * on one of them, or that no batch is left.
 */
export type ScanWorkerMessage =
  | { readonly job: number; readonly start: number; readonly outcomes: FileOutcome[] }
  | { readonly job: number; readonly start: number; readonly failed: true }
  | { readonly job: number; readonly done: true };

/**
 * The threads asked for: `LAMINAR_SCAN_THREADS` (a shared runner may want 1), else `requested`;
 * undefined for the default.
 */
function askedThreads(requested?: number): number | undefined {
  const fromEnv = Number(process.env.LAMINAR_SCAN_THREADS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : requested;
}

/**
 * How many threads to use for `files` files: `asked` (`LAMINAR_SCAN_THREADS`, else `scan.threads`),
 * at most one per batch; else one per CPU up to {@link MAX_THREADS}, and only as many as the files
 * repay ({@link MIN_FILES_PER_THREAD}).
 */
function threadsWanted(files: number, asked: number | undefined, cpus: number): number {
  if (asked !== undefined) return Math.max(1, Math.min(asked, Math.ceil(files / BATCH)));
  return Math.max(1, Math.min(cpus, MAX_THREADS, Math.floor(files / MIN_FILES_PER_THREAD)));
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

/** How {@link streamScan} reads the files. */
export interface StreamScanOptions {
  readonly maxFileSize: number;
  /** `scan.threads`; `LAMINAR_SCAN_THREADS` wins (see {@link threadsWanted}). */
  readonly threads?: number | undefined;
  readonly onFile?: ((path: string) => void) | undefined;
}

/** A scan that is given its files one by one while the walk finds them (see the module comment). */
export interface FileScanStream {
  /** A file to read and scan (repo-relative, POSIX separators). */
  add(path: string): void;
  /**
   * The walk is over: scans what is left on this thread too. Outcomes are in the order of
   * {@link add}; `threads` counts this thread and the workers that scanned. A batch that failed on a
   * worker is read again on this thread, so its error is the one a single-threaded scan throws.
   */
  finish(): Promise<{ outcomes: FileOutcome[]; threads: number }>;
  /** The walk failed: the workers stop, and nothing is scanned here. */
  abort(): void;
}

/**
 * Starts a scan of files under `root` that the caller lists with {@link FileScanStream.add}. A worker
 * joins when the files found so far repay it ({@link threadsWanted}, asked again as they grow), so
 * the answer is the one it gives for the whole list.
 */
export function streamScan(root: string, options: StreamScanOptions): FileScanStream {
  const paths: string[] = [];
  const out: Array<FileOutcome | undefined> = [];
  const script = workerScript();
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const take = (): number => Atomics.add(counter, 0, BATCH);
  const job = ++jobs;
  const workers: Worker[] = [];
  const finished: Array<Promise<void>> = [];
  // Workers that scanned at least one batch: the thread count the scan reports.
  const worked = new Set<Worker>();
  const asked = askedThreads(options.threads);
  const cpus = availableParallelism();
  let sent = 0; // files sent to the workers so far
  let over = false;
  // `onFile` is heard only once the walk is over: a caller may change files once it hears of one, and
  // those files must have been listed as they were (test/scan-parallel.test.ts swaps one for a link).
  let walking = true;
  const place = (start: number, outcomes: readonly FileOutcome[]): void => {
    outcomes.forEach((o, k) => {
      out[start + k] = o;
      if (!walking) options.onFile?.(paths[start + k] as string);
    });
  };
  const here = async (start: number): Promise<void> => {
    place(start, await scanFilesHere(root, paths.slice(start, start + BATCH), { maxFileSize: options.maxFileSize }));
  };
  const release = (): void => {
    if (over) return;
    over = true;
    if (workers.length) {
      running--;
      endIdleWorkers();
    }
  };
  const startWorkers = (n: number): void => {
    if (!script) return;
    if (!workers.length) running++;
    for (const worker of poolWorkers(n, script).slice(workers.length)) {
      workers.push(worker);
      finished.push(
        new Promise<void>((resolve) => {
          const onMessage = (m: ScanWorkerMessage): void => {
            if (m.job !== job) return;
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
          const first: ScanWorkerInput = {
            job,
            root,
            paths: paths.slice(0, sent),
            maxFileSize: options.maxFileSize,
            batch: BATCH,
            counter: counter.buffer,
          };
          worker.postMessage(first);
        }),
      );
    }
  };
  const send = (total?: number): void => {
    const more: ScanWorkerInput = { job, paths: paths.slice(sent), ...(total !== undefined ? { total } : {}) };
    sent = paths.length;
    for (const worker of workers) worker.postMessage(more);
  };
  return {
    add(path) {
      paths.push(path);
      const wanted = threadsWanted(paths.length, asked, cpus);
      if (wanted > workers.length + 1 && script) {
        send();
        startWorkers(wanted - 1);
      } else if (workers.length && paths.length - sent >= CHUNK) send();
    },
    async finish() {
      try {
        walking = false;
        if (!workers.length) return { outcomes: await scanFilesHere(root, paths, options), threads: 1 };
        send(paths.length);
        if (options.onFile) for (let k = 0; k < out.length; k++) if (out[k]) options.onFile(paths[k] as string);
        // This thread takes batches too, with a turn for the event loop after each (the workers' messages).
        for (let start = take(); start < paths.length; start = take()) {
          await here(start);
          await yieldToLoop();
        }
        await Promise.all(finished);
      } finally {
        release();
      }
      // A batch a worker failed on (or took and died) is scanned here: its error, if any, is thrown as a
      // one-thread scan throws it.
      for (let start = 0; start < paths.length; start += BATCH) if (out[start] === undefined) await here(start);
      return { outcomes: out as FileOutcome[], threads: 1 + worked.size };
    },
    abort() {
      if (workers.length) send(0);
      release();
    },
  };
}
