import { constants as bufferConstants } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { fluxNotes, type FluxNotes } from "./flux-scan.js";
import { mayHoldImageSite } from "./prefilter.js";
import { rareWords } from "./rare-words.js";
import type { FoundReference } from "./scan.js";
import { scanFile } from "./structured/index.js";

/**
 * Reading and scanning one file of a repository, on whichever thread runs it: the main thread, or a
 * worker of parallel.ts (issue #12). What a file gives is plain data, so it crosses threads as is.
 */

const BINARY_SNIFF = 8000;
/** Bytes read and scanned between two turns given to the event loop (about 10 ms of work). */
const YIELD_EVERY_BYTES = 1 << 20;

/** What {@link scanPath} made of one file: plain data, so the work can move to another thread. */
export type FileOutcome =
  | {
      readonly kind: "text";
      /** The file's length in bytes. */
      readonly bytes: number;
      readonly sites: readonly FoundReference[];
      /** Messages about places in the file the scan passed over (a file that is not valid YAML). */
      readonly warnings: readonly string[];
      /** Its Flux setter markers and image objects, for {@link FluxSetterScan.add}. */
      readonly flux: FluxNotes | undefined;
    }
  | { readonly kind: "binary" }
  | { readonly kind: "too-big"; readonly size: number };

/**
 * Reads and scans one file of the repository: everything done per file, in one place (issue #12), so a
 * split of the file list over worker threads only has to call this. `path` is repo-relative (POSIX);
 * `scratch` is the caller's read buffer, reused from file to file.
 */
export function scanPath(root: string, path: string, maxFileSize: number, scratch: ReadBuffer): FileOutcome {
  const r = readFile(`${root}/${path}`, maxFileSize, scratch);
  if (r.kind !== "text") return r;
  const bytes = r.data.length;
  // Every setter marker and every Flux object declaration holds a `:` (`"$imagepolicy": …`, `kind:`),
  // so a file the prefilter passes over holds no Flux notes either, and one latin1 decoding serves all.
  if (!mayHoldImageSite(r.data)) return { kind: "text", bytes, sites: [], warnings: [], flux: undefined };
  const text = r.data.toString("latin1");
  // One pass for the words that gate the marker and Flux scans, instead of a substring search each.
  const words = rareWords(text);
  const scanned = scanFile(text, path, words);
  return {
    kind: "text",
    bytes,
    sites: scanned.sites,
    warnings: scanned.warnings.map((w) => w.message),
    flux: fluxNotes(path, text, words),
  };
}

/**
 * One buffer that every file of a scan is read into, grown to the largest file: a fresh buffer per
 * file was 100 MB of short-lived memory per scan of the bench corpus, for the garbage collector (#12).
 * The bytes a read returns are only valid until the next read.
 */
export class ReadBuffer {
  private buffer: Buffer;
  /** Starts at 1 MiB (or the size limit and a byte, if smaller): most files then need no `fstat`. */
  constructor(maxFileSize: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(1, Math.min(maxFileSize + 1, 1 << 20, MAX_LENGTH)));
  }
  /** The buffer as it is. */
  get current(): Buffer {
    return this.buffer;
  }
  /** A buffer of at least `size` bytes that starts with the first `keep` bytes of the current one. */
  grow(size: number, keep: number): Buffer {
    if (this.buffer.length < size) {
      const bigger = Buffer.allocUnsafe(Math.max(size, Math.min(this.buffer.length * 2, MAX_LENGTH)));
      this.buffer.copy(bigger, 0, 0, keep);
      this.buffer = bigger;
    }
    return this.buffer;
  }
}

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

export type ReadResult = { kind: "text"; data: Buffer } | { kind: "binary" } | { kind: "too-big"; size: number };

/**
 * One file: open, read, close — three system calls for a file that fits the scratch buffer (issue #12;
 * it was five: open, fstat, read, a read returning 0, close). A read of a regular file that returns
 * fewer bytes than asked has reached the end of the file. Only a read that fills the buffer asks
 * `fstat` for the size: to warn with it when the file is over the limit, or to grow the buffer.
 * `O_NOFOLLOW`: the walk chose a regular file; if it was swapped for a symbolic link since, reading
 * fails instead of following the link out of the repository. The text is in `scratch`, valid until
 * its next use.
 */
export function readFile(path: string, maxSize: number, scratch: ReadBuffer): ReadResult {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    // Never more than a byte over the limit: that byte tells a file over it.
    const limit = maxSize + 1;
    let buffer = scratch.current;
    let length = 0;
    for (;;) {
      const want = Math.min(buffer.length, limit) - length;
      const n = readSync(fd, buffer, length, want, null);
      length += n;
      if (n < want) break;
      const size = fstatSync(fd).size;
      if (length > maxSize || size > maxSize) return { kind: "too-big", size: Math.max(size, length) };
      // The file is longer than the buffer (or exactly as long): room for all of it and the byte after.
      buffer = scratch.grow(Math.min(Math.max(size + 1, length + 1), limit), length);
    }
    const data = buffer.subarray(0, length);
    if (data.subarray(0, BINARY_SNIFF).includes(0)) return { kind: "binary" };
    return { kind: "text", data };
  } finally {
    closeSync(fd);
  }
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
  const scratch = new ReadBuffer(options.maxFileSize);
  for (const path of paths) {
    const o = scanPath(root, path, options.maxFileSize, scratch);
    out.push(o);
    options.onFile?.(path);
    // A file's open and close count as a kilobyte of scanning.
    sinceYield += 1024 + (o.kind === "text" ? o.bytes : 0);
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  return out;
}
