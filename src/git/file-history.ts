/**
 * The recent git history of the deployment files, as the plan needs it for issue #14: which commit
 * last changed a reference's tag (rollbacks respected) and which commit brought a tag into a
 * promotion's source files (soak time). Two git processes whatever the number of files: one
 * `git log` over all of them and one `git cat-file --batch` for every version it names, so the
 * cost does not grow with the number of references.
 */
import { readBlobs } from "./blob-batch.js";
import { LAMINAR_TRAILER_FORMAT, parseLaminarTrailers } from "./commit-message.js";
import { execGit } from "./exec-git.js";

/** A commit that touched one of the files. */
export interface HistoryCommit {
  readonly sha: string;
  readonly authorName: string;
  readonly authorEmail: string;
  /** Committer date, ISO 8601: when the change reached the branch (what a soak time counts from). */
  readonly date: string;
  /** Values of its `Laminar-Update` trailers: non-empty for Laminar's own commits. */
  readonly laminar: readonly string[];
}

/** One file's content after a commit (undefined when the commit deleted it). */
export interface FileVersion {
  readonly commit: HistoryCommit;
  readonly text: string | undefined;
}

/** A file's versions, newest first. */
export interface FileHistory {
  readonly path: string;
  readonly versions: readonly FileVersion[];
  /**
   * True when the oldest version is the file's first: the walk reached its creation. False when the
   * commit limit (or a shallow clone that could not be deepened) cut it short.
   */
  readonly complete: boolean;
}

/** The history of the files asked for; `note` says why it may be cut short (shallow clone…). */
export interface RepositoryHistory {
  readonly files: ReadonlyMap<string, FileHistory>;
  readonly note?: string;
}

/** Commits read at most: enough for months of an active manifests repository, bounded in memory. */
export const DEFAULT_HISTORY_COMMITS = 500;

/**
 * Reads the history of `paths` (relative to `dir`) on HEAD. Returns undefined when `dir` is not in
 * a git work tree (plain directories have no history: rollbacks and soak times need one). A shallow
 * clone is deepened first (`git fetch --unshallow`); when that fails the history is what the clone
 * has and `note` says why.
 */
export async function readFileHistory(
  dir: string,
  paths: readonly string[],
  options: {
    maxCommits?: number;
    /** Completes a shallow clone with the delivery's credentials (default: a plain `git fetch --unshallow`). */
    unshallow?: () => Promise<void>;
  } = {},
): Promise<RepositoryHistory | undefined> {
  const inside = await execGit(["rev-parse", "--is-inside-work-tree", "--is-shallow-repository"], { cwd: dir });
  if (inside.exitCode !== 0) return undefined;
  const [isWorkTree, isShallow] = inside.stdout.trim().split("\n");
  if (isWorkTree !== "true") return undefined;
  if ((await execGit(["rev-parse", "--verify", "--quiet", "HEAD"], { cwd: dir })).exitCode !== 0) return undefined;
  let note: string | undefined;
  if (isShallow === "true") {
    // Soak times and rollbacks need the commits that touched the files, however old: deepen to the
    // whole history once (manifests repositories are small) rather than guess a depth per file.
    let problem: string | undefined;
    if (options.unshallow)
      problem = await options.unshallow().then(
        () => undefined,
        (e: Error) => e.message,
      );
    else {
      const deepen = await execGit(["fetch", "--quiet", "--unshallow"], { cwd: dir });
      if (deepen.exitCode !== 0) problem = deepen.stderr.trim().split("\n")[0] || `exit ${deepen.exitCode}`;
    }
    if (problem !== undefined) note = `shallow clone that could not be deepened (git fetch --unshallow: ${problem})`;
  }
  const files = new Map<string, { versions: FileVersion[] }>();
  for (const p of paths) files.set(p, { versions: [] });
  if (paths.length === 0) return { files: new Map(), ...(note ? { note } : {}) };

  const max = options.maxCommits ?? DEFAULT_HISTORY_COMMITS;
  const format = `%x1e%H%x1f%an%x1f%ae%x1f%cI%x1f${LAMINAR_TRAILER_FORMAT}%x1f`;
  const log = await execGit(
    [
      "-c",
      "core.quotePath=false",
      "log",
      `-n${max}`,
      "--no-renames",
      "--name-only",
      `--format=${format}`,
      "HEAD",
      "--",
      ...paths.map(literal),
    ],
    { cwd: dir },
  );
  if (log.exitCode !== 0) throw new Error(`git log failed: ${log.stderr.trim()}`);
  const wanted: Array<{ commit: HistoryCommit; path: string }> = [];
  const records = log.stdout.split("\x1e").slice(1);
  for (const record of records) {
    const [sha, authorName, authorEmail, date, trailers, names] = record.split("\x1f") as string[];
    const commit: HistoryCommit = {
      sha: sha as string,
      authorName: authorName ?? "",
      authorEmail: authorEmail ?? "",
      date: new Date(date ?? "").toISOString(),
      laminar: parseLaminarTrailers(trailers ?? ""),
    };
    for (const name of (names ?? "").split("\n").map((n) => n.trim())) {
      if (name && files.has(name)) wanted.push({ commit, path: name });
    }
  }
  const texts = await readBlobs(
    (args, o) => execGit(args, { cwd: dir, ...o }),
    wanted.map((w) => `${w.commit.sha}:${w.path}`),
  );
  wanted.forEach((w, i) => files.get(w.path)?.versions.push({ commit: w.commit, text: texts[i] }));
  // The log is complete when it did not stop at the limit and the clone is not cut short.
  const complete = records.length < max && note === undefined;
  return {
    files: new Map([...files].map(([path, f]) => [path, { path, versions: f.versions, complete }])),
    ...(note ? { note } : {}),
  };
}

/** Paths as literal pathspecs: a file named `[a].yaml` is not a glob. */
function literal(path: string): string {
  return `:(literal)${path}`;
}
