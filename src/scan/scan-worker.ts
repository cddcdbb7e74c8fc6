/**
 * A worker thread of the repository scan (parallel.ts). For each scan it is sent, it takes batches
 * of files from the counter it shares with the other threads, reads and scans them, and posts back
 * what each file gave, then that no batch is left. Its own entry in the dist/ bundle
 * (scripts/bundle.mjs).
 */
import { parentPort } from "node:worker_threads";
import { ReadBuffer, scanPath, type FileOutcome } from "./file-scan.js";
import type { ScanJob, ScanWorkerMessage } from "./parallel.js";

let scratch: ReadBuffer | undefined;
parentPort?.on("message", ({ job, root, paths, maxFileSize, batch, counter }: ScanJob) => {
  const next = new Int32Array(counter);
  scratch ??= new ReadBuffer(maxFileSize);
  for (let start = Atomics.add(next, 0, batch); start < paths.length; start = Atomics.add(next, 0, batch)) {
    let message: ScanWorkerMessage;
    try {
      const outcomes: FileOutcome[] = [];
      for (const path of paths.slice(start, start + batch)) outcomes.push(scanPath(root, path, maxFileSize, scratch));
      message = { job, start, outcomes };
    } catch {
      // The main thread reads the batch again and throws the error a one-thread scan would.
      message = { job, start, failed: true };
    }
    parentPort?.postMessage(message);
  }
  parentPort?.postMessage({ job, done: true } satisfies ScanWorkerMessage);
});
