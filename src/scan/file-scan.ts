import { constants as bufferConstants } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { FluxSetterScan } from "./flux-scan.js";
import { mayHoldImageSite } from "./prefilter.js";
import type { FoundReference } from "./scan.js";
import { scanFile } from "./structured/index.js";

/**
 * Reading and scanning one file of a repository, on whichever thread runs it: the main thread, or a
 * worker of parallel.ts (issue #12). What a file gives is plain data, so it crosses threads as is.
 */

const BINARY_SNIFF = 8000;
/** Bytes read and scanned between two turns given to the event loop (about 10 ms of work). */
const YIELD_EVERY_BYTES = 1 << 20;

/** What one file gave: plain data, so a worker thread can hand it over (scan-worker.ts). */
export type FileOutcome =
  | {
      readonly path: string;
      readonly kind: "text";
      readonly size: number;
      readonly sites: FoundReference[];
      readonly warnings: string[];
      /** The file may hold Flux setters or image objects ({@link FluxSetterScan}). */
      readonly flux: boolean;
    }
  | { readonly path: string; readonly kind: "binary"; readonly size: number }
  | { readonly path: string; readonly kind: "too-big"; readonly size: number };

/** Reads and scans one file of the repository at `root` (a real path). */
export function scanOneFile(root: string, path: string, maxFileSize: number, scratch: ReadBuffer): FileOutcome {
  const r = readText(join(root, path), maxFileSize, scratch);
  if (r.kind === "too-big") return { path, kind: "too-big", size: r.size };
  if (r.kind === "binary") return { path, kind: "binary", size: 0 };
  let sites: FoundReference[] = [];
  let warnings: string[] = [];
  if (mayHoldImageSite(r.data)) {
    const scanned = scanFile(r.data.toString("latin1"), path);
    sites = scanned.sites;
    warnings = scanned.warnings.map((w) => w.message);
  }
  return { path, kind: "text", size: r.data.length, sites, warnings, flux: FluxSetterScan.mayConcern(r.data) };
}

/**
 * Scans `paths` in order on this thread, giving the event loop a turn about every megabyte so
 * `laminar serve` keeps answering.
 */
export async function scanFilesHere(
  root: string,
  paths: readonly string[],
  options: { readonly maxFileSize: number; readonly onFile?: ((path: string) => void) | undefined },
): Promise<FileOutcome[]> {
  const out: FileOutcome[] = [];
  let sinceYield = 0;
  const scratch = new ReadBuffer();
  for (const path of paths) {
    const o = scanOneFile(root, path, options.maxFileSize, scratch);
    out.push(o);
    options.onFile?.(path);
    // A file's open and close count as a kilobyte of scanning.
    sinceYield += 1024 + (o.kind === "text" ? o.size : 0);
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return out;
}

/**
 * One buffer that every file of a scan is read into, grown to the largest file: a fresh buffer per
 * file was 100 MB of short-lived memory per scan of the bench corpus, for the garbage collector (#12).
 * The bytes a read returns are only valid until the next read.
 */
export class ReadBuffer {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** A buffer of at least `size` bytes. */
  get(size: number): Buffer {
    if (this.buffer.length < size)
      this.buffer = Buffer.allocUnsafe(Math.max(size, Math.min(this.buffer.length * 2, MAX_LENGTH)));
    return this.buffer;
  }
}

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

export type ReadResult = { kind: "text"; data: Buffer } | { kind: "binary" } | { kind: "too-big"; size: number };

/**
 * One file: open, fstat, one read, close. `O_NOFOLLOW`: the walk chose a regular file; if it was
 * swapped for a symbolic link since, reading fails instead of following the link out of the repository.
 * The text is in `scratch`, valid until its next use.
 */
export function readText(path: string, maxSize: number, scratch: ReadBuffer): ReadResult {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const size = fstatSync(fd).size;
    if (size > maxSize) return { kind: "too-big", size };
    // One byte more than the size: a file that grew since the fstat is read up to the limit.
    const want = Math.min(size + 1, maxSize + 1);
    const buffer = scratch.get(want);
    let length = 0;
    for (let n; length < want && (n = readSync(fd, buffer, length, want - length, null)) > 0;) length += n;
    if (length > maxSize) return { kind: "too-big", size: length };
    const data = buffer.subarray(0, length);
    const sniff = data.subarray(0, BINARY_SNIFF);
    if (sniff.includes(0)) return { kind: "binary" };
    return { kind: "text", data };
  } finally {
    closeSync(fd);
  }
}
