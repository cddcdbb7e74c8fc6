import { constants as bufferConstants } from "node:buffer";
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { readdir, realpath } from "node:fs/promises";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { join, relative, sep } from "node:path";
import { FluxSetterScan } from "./flux-scan.js";
import { mayHoldImageSite } from "./prefilter.js";
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

/**
 * Walks `root` and scans every selected text file. Skips `.git/`, binary files (a NUL byte in the
 * first 8000 bytes, as git decides), files over the size limit (with a warning) and symlinks (a link
 * may point outside the repository; the file it points to is scanned under its own path if selected).
 */
export async function scanRepository(root: string, options: ScanOptions): Promise<RepositoryScan> {
  const rootReal = await realpath(root);
  const paths: string[] = [];
  const warnings: ScanWarning[] = [];
  await walk(rootReal, rootReal, paths, warnings, options);
  paths.sort();
  let files: ScannedFile[] = [];
  const flux = new FluxSetterScan();
  let bytes = 0;
  // Files are read synchronously, one after the other (issue #12): the asynchronous reads cost four
  // thread-pool round trips per file (lstat, open, read, close) and were 40% of the scan of a 10k-file
  // corpus. The event loop gets a turn after every batch, so `laminar serve` keeps answering.
  let sinceYield = 0;
  const scratch = new ReadBuffer();
  for (const path of paths) {
    const r = readText(join(rootReal, path), options.maxFileSize, scratch);
    options.onFile?.(path);
    if (r.kind === "too-big")
      warnings.push({
        file: path,
        message: `skipped: ${r.size} bytes is over the ${options.maxFileSize}-byte limit (scan.maxFileSize)`,
      });
    else if (r.kind === "text") {
      bytes += r.data.length;
      if (mayHoldImageSite(r.data)) {
        const scanned = scanFile(r.data.toString("latin1"), path);
        for (const w of scanned.warnings) warnings.push({ file: path, message: w.message });
        if (scanned.sites.length) files.push({ path, references: scanned.sites });
      }
      flux.note(path, r.data);
    }
    // A file's open and close count as a kilobyte of scanning.
    sinceYield += 1024 + (r.kind === "text" ? r.data.length : 0);
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
  await walk(root, root, all, [], { ...options, include: undefined });
  const scratch = new ReadBuffer();
  for (const path of all.filter((p) => !scanned.has(p) && /\.ya?ml$/i.test(p)).sort()) {
    const r = readText(join(root, path), options.maxFileSize, scratch);
    if (r.kind === "text") flux.noteObjects(path, r.data);
  }
}

async function walk(
  root: string,
  dir: string,
  out: string[],
  warnings: ScanWarning[],
  options: ScanOptions,
): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  await Promise.all(
    entries.map(async (e) => {
      const abs = join(dir, e.name);
      const rel = relative(root, abs).split(sep).join("/");
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name)) return;
        if (options.exclude?.length && matchesAny(rel, options.exclude)) return;
        await walk(root, abs, out, warnings, options);
      } else if (e.isSymbolicLink()) {
        if (options.include && !matchesAny(rel, options.include)) return;
        const target = await realpath(abs).catch(() => undefined);
        const inside = target !== undefined && (target === root || target.startsWith(root + sep));
        warnings.push({
          file: rel,
          message: inside
            ? "skipped: symbolic link (its target is scanned under its own path)"
            : "skipped: symbolic link pointing outside the repository",
        });
      } else if (e.isFile()) {
        if (options.include && !matchesAny(rel, options.include)) return;
        if (options.exclude?.length && matchesAny(rel, options.exclude)) return;
        out.push(rel);
      }
    }),
  );
}

/**
 * One buffer that every file of a scan is read into, grown to the largest file: a fresh buffer per
 * file was 100 MB of short-lived memory per scan of the bench corpus, for the garbage collector (#12).
 * The bytes a read returns are only valid until the next read.
 */
class ReadBuffer {
  private buffer = Buffer.allocUnsafe(64 * 1024);
  /** A buffer of at least `size` bytes. */
  get(size: number): Buffer {
    if (this.buffer.length < size)
      this.buffer = Buffer.allocUnsafe(Math.max(size, Math.min(this.buffer.length * 2, MAX_LENGTH)));
    return this.buffer;
  }
}

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

type ReadResult = { kind: "text"; data: Buffer } | { kind: "binary" } | { kind: "too-big"; size: number };

/**
 * One file: open, fstat, one read, close. `O_NOFOLLOW`: the walk chose a regular file; if it was
 * swapped for a symbolic link since, reading fails instead of following the link out of the repository.
 * The text is in `scratch`, valid until its next use.
 */
function readText(path: string, maxSize: number, scratch: ReadBuffer): ReadResult {
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
