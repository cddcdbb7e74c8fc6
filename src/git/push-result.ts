/**
 * Typed outcome of `git push --porcelain`, so orchestration can decide between "fetch and redo the
 * change" (the branch moved), "give up / fall back to a pull request" (the server refused) and a
 * plain failure, without grepping git's English itself.
 *
 * Porcelain format (git-push(1), OUTPUT): one line per ref on stdout,
 *   `<flag> \t <from>:<to> \t <summary> (<reason>)`
 * flag ` ` fast-forward, `+` forced, `-` deleted, `*` new ref, `=` up to date, `!` rejected.
 * A rejection by the server's hooks is `[remote rejected] (<reason>)`; what the hook printed comes on
 * stderr prefixed with `remote:` (GitHub: `GH006: Protected branch update failed …`,
 * `GH013: Repository rule violations found …`).
 */

export type PushResult =
  PushOk | PushRejectedNonFastForward | PushRejectedStaleLease | PushRejectedProtected | PushError;

export interface PushOk {
  readonly kind: "ok";
  /** Remote ref that was updated, e.g. `refs/heads/main`. */
  readonly ref: string;
  readonly status: "fast-forward" | "forced" | "created" | "deleted" | "up-to-date";
}

/** The remote branch has commits we do not have (`non-fast-forward` or `fetch first`): fetch, redo. */
export interface PushRejectedNonFastForward {
  readonly kind: "rejected-non-fast-forward";
  readonly ref: string;
  readonly reason: string;
  readonly stderr: string;
}

/** `--force-with-lease` found the remote ref somewhere other than the expected sha (`stale info`). */
export interface PushRejectedStaleLease {
  readonly kind: "rejected-stale-lease";
  readonly ref: string;
  readonly reason: string;
  readonly stderr: string;
}

/** The server refused the update: branch protection, rulesets, a pre-receive/update hook, permissions. */
export interface PushRejectedProtected {
  readonly kind: "rejected-protected";
  readonly ref: string;
  readonly reason: string;
  /** The lines the server printed (`remote: …`), without the prefix: this is the useful explanation. */
  readonly remoteMessages: readonly string[];
  readonly stderr: string;
}

/** Anything else (network, authentication, unknown remote): git's own words are in `stderr`. */
export interface PushError {
  readonly kind: "error";
  readonly exitCode: number;
  readonly stderr: string;
}

interface PorcelainLine {
  readonly flag: string;
  readonly from: string;
  readonly to: string;
  readonly summary: string;
}

function parsePorcelain(stdout: string): PorcelainLine[] {
  const lines: PorcelainLine[] = [];
  for (const line of stdout.split("\n")) {
    const parts = line.split("\t");
    if (parts.length < 3) continue; // "To <url>", "Done"
    const [flag = "", refs = "", summary = ""] = parts;
    if (flag.length !== 1) continue;
    const colon = refs.lastIndexOf(":");
    lines.push({ flag, from: refs.slice(0, colon), to: refs.slice(colon + 1), summary });
  }
  return lines;
}

function remoteMessages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("remote:"))
    .map((l) => l.slice("remote:".length).trim())
    .filter((l) => l.length > 0);
}

/** The text inside the last parentheses of a summary: `[rejected] (stale info)` → `stale info`. */
function reasonOf(summary: string): string {
  const m = /\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/.exec(summary);
  return m?.[1] ?? summary;
}

/**
 * Classifies one push of one ref. With several refs the first failing line decides, which is what a
 * caller pushing a single branch (our only use) wants.
 */
export function classifyPush(exitCode: number, stdout: string, stderr: string): PushResult {
  const lines = parsePorcelain(stdout);
  const rejected = lines.find((l) => l.flag === "!");
  if (rejected) {
    const reason = reasonOf(rejected.summary);
    if (rejected.summary.startsWith("[remote rejected]")) {
      return { kind: "rejected-protected", ref: rejected.to, reason, remoteMessages: remoteMessages(stderr), stderr };
    }
    if (reason === "stale info") {
      return { kind: "rejected-stale-lease", ref: rejected.to, reason, stderr };
    }
    if (reason === "non-fast-forward" || reason === "fetch first") {
      return { kind: "rejected-non-fast-forward", ref: rejected.to, reason, stderr };
    }
    // `already exists` (tags), `needs force`…: not something a retry after fetch would fix.
    return { kind: "error", exitCode: exitCode || 1, stderr };
  }
  const first = lines[0];
  if (exitCode === 0 && first) {
    const status =
      first.flag === "+"
        ? "forced"
        : first.flag === "*"
          ? "created"
          : first.flag === "-"
            ? "deleted"
            : first.flag === "="
              ? "up-to-date"
              : "fast-forward";
    return { kind: "ok", ref: first.to, status };
  }
  // No per-ref line: git never reached the ref negotiation (auth, network, missing remote) — or,
  // for GitHub's HTTP 403 "Permission to x denied", the server refused before it; that is a
  // permission problem, not branch protection, and the message says so.
  return { kind: "error", exitCode: exitCode || 1, stderr };
}
