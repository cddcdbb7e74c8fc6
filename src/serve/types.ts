/** What `laminar serve` reports about its repositories (the status API and the metrics). */

/** The last run of a repository, as the API shows it. */
export interface RunRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  /** `registry-error`: the run went through but some registry failed (its references stayed). */
  readonly result: "success" | "error" | "registry-error";
  readonly trigger: RunTrigger;
  readonly changes: readonly { file: string; line: number; image: string; from: string; to: string }[];
  readonly commit?: string;
  readonly error?: string;
}

/** Why a run started. */
/** `resume`: the run a repository missed while updates were paused. */
export type RunTrigger = "schedule" | "api" | "webhook" | "resume";

/** One image reference of the last scan: where, which tag, and what Laminar makes of it. */
export interface ReferenceStatus {
  readonly file: string;
  readonly line: number;
  readonly image: string;
  readonly repository: string;
  readonly tag: string | null;
  /** The tag it moved to in the last run. */
  readonly candidate?: string;
  /** ISO 8601 build time of the current tag, when the registry told it. */
  readonly buildTime?: string;
  /** ISO 8601 build time of `candidate`. */
  readonly candidateBuildTime?: string;
  readonly reason: string;
  readonly detail?: string;
}

/** A repository's status for `/api/v1/repos`. */
export interface RepositoryStatus {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly pollFreq: number;
  readonly cloned: boolean;
  readonly running: boolean;
  readonly consecutiveFailures: number;
  readonly nextRunAt?: string;
  readonly lastRun?: RunRecord;
  /** The last runs, newest first (at most `RECENT_RUNS`, since the process started), for the page at `/`. */
  readonly recentRuns: readonly RunRecord[];
  readonly references: readonly ReferenceStatus[];
  readonly warnings: readonly string[];
  /** Updates are paused (`POST /api/v1/pause` or a `[laminar pause]` comment) until resumed. */
  readonly paused: boolean;
  readonly pausedSince?: string;
  /** Scheduled and webhook runs skipped while paused (since the process started). */
  readonly skippedWhilePaused: number;
}
