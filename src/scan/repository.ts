import { readdirSync, realpathSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { sep } from "node:path";
import { ReadBuffer, readFile, type FileOutcome } from "./file-scan.js";
import { FluxSetterScan } from "./flux-scan.js";
import { streamScan } from "./parallel.js";
import { matchesAny } from "./select.js";
import type { FoundReference } from "./scan.js";

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
   *
   * @deprecated Use {@link ScanOptions.threads}.
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
/** Directory entries listed between two turns given to the event loop during the walk (about 10 ms). */
const YIELD_EVERY_ENTRIES = 1000;

/**
 * Walks `root` and scans every selected text file. Skips `.git/`, binary files (a NUL byte in the
 * first 8000 bytes, as git decides), files over the size limit (with a warning) and symlinks (a link
 * may point outside the repository; the file it points to is scanned under its own path if selected).
 */
export async function scanRepository(root: string, options: ScanOptions): Promise<RepositoryScan> {
  const rootReal = await realpath(root);
  const warnings: ScanWarning[] = [];
  // Files are read synchronously (issue #12): the asynchronous reads cost four thread-pool round trips
  // per file and were 40% of the scan of a 10k-file corpus. A big repository is split over threads,
  // which start reading while the walk goes on.
  const stream = streamScan(rootReal, options);
  const found: string[] = [];
  try {
    await walk(
      rootReal,
      (path) => {
        found.push(path);
        stream.add(path);
      },
      warnings,
      options,
    );
  } catch (e) {
    stream.abort();
    throw e;
  }
  const { outcomes: inWalkOrder, threads } = await stream.finish();
  // In path order: the walk lists each directory sorted, but `a/x` sorts after `a-b/x`.
  const order = found.map((_, k) => k).sort((a, b) => ((found[a] as string) < (found[b] as string) ? -1 : 1));
  const paths = order.map((k) => found[k] as string);
  const outcomes = order.map((k) => inWalkOrder[k] as FileOutcome);
  let files: ScannedFile[] = [];
  const flux = new FluxSetterScan();
  let bytes = 0;
  outcomes.forEach((r, k) => {
    const path = paths[k] as string;
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
  });
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
  await walk(root, (path) => all.push(path), [], { ...options, include: undefined });
  const scratch = new ReadBuffer(options.maxFileSize);
  for (const path of all.filter((p) => !scanned.has(p) && /\.ya?ml$/i.test(p)).sort()) {
    const r = readFile(`${root}/${path}`, options.maxFileSize, scratch);
    if (r.kind === "text") flux.noteObjects(path, r.data);
  }
}

/**
 * Gives `add` each selected regular file under `root` (repo-relative, POSIX separators), each
 * directory's entries in sorted order, and warns about symbolic links. Synchronous `readdir` (issue
 * #12): on the bench corpus (10k directories for 10k files) the asynchronous walk, one thread-pool
 * round trip and one promise per directory, took about 0.9 s against 0.2 to 0.4 s for this one. Paths
 * are built by concatenation, not `join`/`relative`/`split`. The event loop still gets a turn every
 * thousand entries: the scan's workers report while the walk goes on.
 */
async function walk(
  root: string,
  add: (path: string) => void,
  warnings: ScanWarning[],
  options: ScanOptions,
): Promise<void> {
  // Directories still to list: absolute path and repo-relative path ("" for the root).
  const pending: Array<[string, string]> = [[root, ""]];
  let sinceYield = 0;
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [dir, relDir] = next;
    // Sorted, and subdirectories listed in that order: the files come in nearly path order.
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    const subdirs = pending.length;
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
        add(rel);
      }
    }
    // The stack pops the last pushed first.
    pending.push(...pending.splice(subdirs).reverse());
    sinceYield += entries.length + 1;
    if (sinceYield >= YIELD_EVERY_ENTRIES) {
      sinceYield = 0;
      await yieldToLoop();
    }
  }
}
