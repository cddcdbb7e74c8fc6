/**
 * A worker thread of the repository scan (parallel.ts). For each scan it is sent, it takes batches
 * of files from the counter it shares with the other threads, reads and scans them, and posts back
 * what each file gave, then that no batch is left. The files arrive while the walk finds them: a
 * batch past the files known yet waits for the next message. Its own entry in the dist/ bundle
 * (scripts/bundle.mjs).
 */
import { parentPort } from "node:worker_threads";
import { ReadBuffer, scanPath, type FileOutcome } from "./file-scan.js";
import type { ScanWorkerInput, ScanWorkerMessage } from "./parallel.js";

/** One scan as this worker knows it: the files so far, and the batch it took and waits to read. */
interface Job {
  readonly root: string;
  readonly maxFileSize: number;
  readonly batch: number;
  readonly next: Int32Array;
  readonly paths: string[];
  total?: number;
  taken?: number;
}

let scratch: ReadBuffer | undefined;
/** Scans in progress, by job number: two scans of one process may share this worker. */
const jobs = new Map<number, Job>();

parentPort?.on("message", (m: ScanWorkerInput) => {
  let job = jobs.get(m.job);
  if ("root" in m) {
    job = {
      root: m.root,
      maxFileSize: m.maxFileSize,
      batch: m.batch,
      next: new Int32Array(m.counter),
      paths: m.paths as string[], // a fresh copy: the message was cloned
    };
    jobs.set(m.job, job);
  } else if (job) {
    for (const path of m.paths) job.paths.push(path);
    if (m.total !== undefined) job.total = m.total;
  } else return;
  work(m.job, job);
});

/** Scans the batches it can take, until it waits for more files or none is left. */
function work(id: number, job: Job): void {
  for (;;) {
    const start = (job.taken ??= Atomics.add(job.next, 0, job.batch));
    if (job.total !== undefined && start >= job.total) {
      jobs.delete(id);
      parentPort?.postMessage({ job: id, done: true } satisfies ScanWorkerMessage);
      return;
    }
    const end = Math.min(start + job.batch, job.total ?? Infinity);
    if (job.paths.length < end) return;
    job.taken = undefined;
    let message: ScanWorkerMessage;
    try {
      scratch ??= new ReadBuffer(job.maxFileSize);
      const outcomes: FileOutcome[] = [];
      for (const path of job.paths.slice(start, end)) outcomes.push(scanPath(job.root, path, job.maxFileSize, scratch));
      message = { job: id, start, outcomes };
    } catch {
      // The main thread reads the batch again and throws the error a one-thread scan would.
      message = { job: id, start, failed: true };
    }
    parentPort?.postMessage(message);
  }
}
