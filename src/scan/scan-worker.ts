/**
 * A worker thread of the repository scan (parallel.ts): takes batches of files from the counter it
 * shares with the other threads, reads and scans them, and posts back what each file gave, until
 * no batch is left. Its own entry in the dist/ bundle (scripts/bundle.mjs).
 */
import { parentPort, workerData } from "node:worker_threads";
import { ReadBuffer, scanPath, type FileOutcome } from "./file-scan.js";
import type { ScanWorkerData, ScanWorkerMessage } from "./parallel.js";

const { root, paths, maxFileSize, batch, counter } = workerData as ScanWorkerData;
const next = new Int32Array(counter);
const scratch = new ReadBuffer(maxFileSize);
for (let start = Atomics.add(next, 0, batch); start < paths.length; start = Atomics.add(next, 0, batch)) {
  let message: ScanWorkerMessage;
  try {
    const outcomes: FileOutcome[] = [];
    for (const path of paths.slice(start, start + batch)) outcomes.push(scanPath(root, path, maxFileSize, scratch));
    message = { start, outcomes };
  } catch {
    // The main thread reads the batch again and throws the error a one-thread scan would.
    message = { start, failed: true };
  }
  parentPort?.postMessage(message);
}
