import { readdir, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ReadBuffer, readText } from "./file-scan.js";
import { FluxSetterScan } from "./flux-scan.js";
import { scanFiles } from "./parallel.js";
import type { FoundReference } from "./scan.js";
import { matchesAny } from "./select.js";

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
  /**
   * Threads that read and scan files (this one included). Default: one per CPU, at most 4, and only
   * for repositories big enough to repay starting a worker (see parallel.ts). 1: this thread only.
   */
  readonly threads?: number;
  /** Called after each file is read, for progress displays. */
  readonly onFile?: (path: string) => void;
}

/** What {@link scanRepository} found: the files with references, and what it could not read. */
export interface RepositoryScan {
  readonly files: readonly ScannedFile[];
  readonly warnings: readonly ScanWarning[];
  /** Every file the selectors chose (repo-relative, sorted), with or without references. */
  readonly paths: readonly string[];
  /** Files read, bytes scanned and threads that did it, for the logs and the benchmarks. */
  readonly stats: { readonly files: number; readonly bytes: number; readonly threads: number };
}

/** Directories that never hold deployment files and would only slow the walk. */
const SKIP_DIRS = new Set([".git", "node_modules", ".laminar-cache"]);

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
  const { outcomes, threads } = await scanFiles(rootReal, paths, options);
  for (const o of outcomes) {
    if (o.kind === "too-big")
      warnings.push({
        file: o.path,
        message: `skipped: ${o.size} bytes is over the ${options.maxFileSize}-byte limit (scan.maxFileSize)`,
      });
    if (o.kind !== "text") continue;
    bytes += o.size;
    for (const message of o.warnings) warnings.push({ file: o.path, message });
    if (o.sites.length) files.push({ path: o.path, references: o.sites });
    if (o.flux) {
      // Rare (Flux setter or image objects): read again here, where the repository-wide state lives.
      const r = readText(join(rootReal, o.path), options.maxFileSize, new ReadBuffer());
      if (r.kind === "text") flux.note(o.path, r.data);
    }
  }
  if (flux.wanted && options.include) await noteFluxObjectsOutside(rootReal, new Set(paths), flux, options);
  files = flux.resolve(files);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // The walk and the reads finish in any order; the report must not.
  warnings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return { files, warnings, paths, stats: { files: paths.length, bytes, threads } };
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
