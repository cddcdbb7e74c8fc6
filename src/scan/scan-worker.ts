/**
 * A worker thread of the repository scan (parallel.ts): reads and scans the batches of files it is
 * sent and posts back what each file gave. Its own entry in the dist/ bundle (scripts/bundle.mjs).
 */
import { parentPort, workerData } from "node:worker_threads";
import { ReadBuffer, scanPath, type FileOutcome } from "./file-scan.js";
import type { ScanWorkerData, ScanWorkerMessage } from "./parallel.js";

const { root, paths, maxFileSize } = workerData as ScanWorkerData;
const scratch = new ReadBuffer(maxFileSize);
parentPort?.on("message", ([start, end]: readonly [number, number]) => {
  let message: ScanWorkerMessage;
  try {
    const outcomes: FileOutcome[] = [];
    for (const path of paths.slice(start, end)) outcomes.push(scanPath(root, path, maxFileSize, scratch));
    message = { start, outcomes };
  } catch {
    // The main thread reads the batch again and throws the error a one-thread scan would.
    message = { start, failed: true };
  }
  parentPort?.postMessage(message);
});
