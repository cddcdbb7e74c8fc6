import { constants as bufferConstants } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { sep } from "node:path";
import { FluxSetterScan, fluxNotes, type FluxNotes } from "./flux-scan.js";
import { mayHoldImageSite } from "./prefilter.js";
import { rareWords } from "./rare-words.js";
import { matchesAny } from "./select.js";
import type { FoundReference } from "./scan.js";
import { scanFile } from "./structured/index.js";

/** Something the scan passed over, for the plan and the logs. */
export interface ScanWarning {
  readonly file: string;
  /** 1-based, when the warning is about one place in the file (a config key). */
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** One file with the image references found in it. */
export interface ScannedFile {
  /** Repo-relative, POSIX separators. */
  readonly path: string;
  readonly references: readonly FoundReference[];
}

/** Which files {@link scanRepository} reads, and how many at once. */
export interface ScanOptions {
  /** Only files under these selectors (default: every file). */
  readonly include?: readonly string[];
  readonly exclude?: readonly string[];
  readonly maxFileSize: number;
  /**
   * Ignored: files are read one after the other since issue #12 (synchronous reads were faster than
   * any number of concurrent asynchronous ones). Kept so existing callers still type-check.
   */
  readonly concurrency?: number;
  /** Called after each file is read, for progress displays. */
  readonly onFile?: (path: string) => void;
}

/** What {@link scanRepository} found: the files with references, and what it could not read. */
export interface RepositoryScan {
  readonly files: readonly ScannedFile[];
  readonly warnings: readonly ScanWarning[];
  /** Every file the selectors chose (repo-relative, sorted), with or without references. */
  readonly paths: readonly string[];
  /** Files read and bytes scanned, for the logs and the benchmarks. */
  readonly stats: { readonly files: number; readonly bytes: number };
}

/** Directories that never hold deployment files and would only slow the walk. */
const SKIP_DIRS = new Set([".git", "node_modules", ".laminar-cache"]);
const BINARY_SNIFF = 8000;
/** Bytes read and scanned between two turns given to the event loop (about 10 ms of work). */
const YIELD_EVERY_BYTES = 1 << 20;
/** Directory entries listed between two turns given to the event loop during the walk (about 10 ms). */
const YIELD_EVERY_ENTRIES = 1000;

/**
 * Walks `root` and scans every selected text file. Skips `.git/`, binary files (a NUL byte in the
 * first 8000 bytes, as git decides), files over the size limit (with a warning) and symlinks (a link
 * may point outside the repository; the file it points to is scanned under its own path if selected).
 */
export async function scanRepository(root: string, options: ScanOptions): Promise<RepositoryScan> {
  const rootReal = await realpath(root);
  const paths: string[] = [];
  const warnings: ScanWarning[] = [];
  await walk(rootReal, paths, warnings, options);
  paths.sort();
  let files: ScannedFile[] = [];
  const flux = new FluxSetterScan();
  let bytes = 0;
  // Files are read synchronously, one after the other (issue #12): the asynchronous reads cost four
  // thread-pool round trips per file (lstat, open, read, close) and were 40% of the scan of a 10k-file
  // corpus. The event loop gets a turn after every batch, so `laminar serve` keeps answering.
  let sinceYield = 0;
  const scratch = new ReadBuffer(options.maxFileSize);
  for (const path of paths) {
    const r = scanPath(rootReal, path, options.maxFileSize, scratch);
    options.onFile?.(path);
    if (r.kind === "too-big")
      warnings.push({
        file: path,
        message: `skipped: ${r.size} bytes is over the ${options.maxFileSize}-byte limit (scan.maxFileSize)`,
      });
    else if (r.kind === "text") {
      bytes += r.bytes;
      for (const message of r.warnings) warnings.push({ file: path, message });
      if (r.sites.length) files.push({ path, references: r.sites });
      flux.add(r.flux);
    }
    // A file's open and close count as a kilobyte of scanning.
    sinceYield += 1024 + (r.kind === "text" ? r.bytes : 0);
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
  if (flux.wanted && options.include) await noteFluxObjectsOutside(rootReal, new Set(paths), flux, options);
  files = flux.resolve(files);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // The walk and the reads finish in any order; the report must not.
  warnings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files, warnings, paths, stats: { files: paths.length, bytes } };
}

/**
 * A Flux setter names an ImagePolicy that may sit in a file the selectors leave out (it usually lives
 * beside the cluster's flux-system, not the apps): read the other YAML files for those objects only.
 * Only runs when a selected file has a setter.
 */
async function noteFluxObjectsOutside(
  root: string,
  scanned: ReadonlySet<string>,
  flux: FluxSetterScan,
  options: ScanOptions,
): Promise<void> {
  const all: string[] = [];
  await walk(root, all, [], { ...options, include: undefined });
  const scratch = new ReadBuffer(options.maxFileSize);
  for (const path of all.filter((p) => !scanned.has(p) && /\.ya?ml$/i.test(p)).sort()) {
    const r = readFile(`${root}/${path}`, options.maxFileSize, scratch);
    if (r.kind === "text") flux.noteObjects(path, r.data);
  }
}

/**
 * Lists the selected regular files under `root` (repo-relative, POSIX separators, in no order) and
 * warns about symbolic links. Synchronous `readdir` (issue #12): on the bench corpus (10k directories
 * for 10k files) the asynchronous walk, one thread-pool round trip and one promise per directory, took
 * about 0.9 s against 0.2 to 0.4 s for this one. Paths are built by concatenation, not `join`/`relative`/`split`. The
 * event loop still gets a turn every thousand entries.
 */
async function walk(root: string, out: string[], warnings: ScanWarning[], options: ScanOptions): Promise<void> {
  // Directories still to list: absolute path and repo-relative path ("" for the root).
  const pending: Array<[string, string]> = [[root, ""]];
  let sinceYield = 0;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [dir, relDir] = next;
    const entries = readdirSync(dir, { withFileTypes: true });
    for (const e of entries) {
      const abs = `${dir}${sep}${e.name}`;
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name)) continue;
        if (options.exclude?.length && matchesAny(rel, options.exclude)) continue;
        pending.push([abs, rel]);
      } else if (e.isSymbolicLink()) {
        if (options.include && !matchesAny(rel, options.include)) continue;
        let target: string | undefined;
        try {
          target = realpathSync(abs);
        } catch {
          target = undefined;
        }
        const inside = target !== undefined && (target === root || target.startsWith(root + sep));
        warnings.push({
          file: rel,
          message: inside
            ? "skipped: symbolic link (its target is scanned under its own path)"
            : "skipped: symbolic link pointing outside the repository",
        });
      } else if (e.isFile()) {
        if (options.include && !matchesAny(rel, options.include)) continue;
        if (options.exclude?.length && matchesAny(rel, options.exclude)) continue;
        out.push(rel);
      }
    }
    sinceYield += entries.length + 1;
    if (sinceYield >= YIELD_EVERY_ENTRIES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
}

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

type ReadResult = { kind: "text"; data: Buffer } | { kind: "binary" } | { kind: "too-big"; size: number };

/**
 * One file: open, read, close — three system calls for a file that fits the scratch buffer (issue #12;
 * it was five: open, fstat, read, a read returning 0, close). A read of a regular file that returns
 * fewer bytes than asked has reached the end of the file. Only a read that fills the buffer asks
 * `fstat` for the size: to warn with it when the file is over the limit, or to grow the buffer.
 * `O_NOFOLLOW`: the walk chose a regular file; if it was swapped for a symbolic link since, reading
 * fails instead of following the link out of the repository. The text is in `scratch`, valid until
 * its next use.
 */
function readFile(path: string, maxSize: number, scratch: ReadBuffer): ReadResult {
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
