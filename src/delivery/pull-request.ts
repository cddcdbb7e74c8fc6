import { createHash } from "node:crypto";
import { buildCommitMessage, renderTemplate } from "../git/commit-message.js";
import type { GitCommandManager } from "../git/git-command-manager.js";
import type { GitHubApi, MergeMethod } from "../github/types.js";
import type { Plan } from "../plan/types.js";
import { updatePass } from "../pipeline.js";
import { pullRequestBody } from "../report/markdown.js";
import { fetchBranch } from "./remote-branch.js";
import { commitThroughApi } from "./signed-push.js";
import { toImageChange, type DeliveryOptions } from "./types.js";

/** The default pull-request title template. */
export const DEFAULT_PR_TITLE = "{{summary}}";

/**
 * One pull-request branch per config file, so reruns update the same pull request instead of
 * opening new ones. `given` is the config path as written (the default name keeps the short
 * branch), `relativePath` the same file relative to the repository root (what is hashed).
 */
export function defaultPullRequestBranch(given: string, relativePath: string): string {
  return given === ".laminar.yaml"
    ? "laminar/updates"
    : `laminar/updates-${createHash("sha256").update(relativePath).digest("hex").slice(0, 8)}`;
}

/** What happened to the pull request, as the Action's `pull-request-operation` output names it. */
export interface PullRequestOutcome {
  readonly operation: "created" | "updated" | "unchanged" | "closed" | "none";
  readonly number?: number;
  readonly url?: string;
}

/** How the pull request looks and who is asked; only what this mode reads. */
export interface PullRequestSettings {
  /** The pull-request branch (head). */
  readonly branch: string;
  /** Title template. */
  readonly title: string;
  /** Body template; "" = the default body (changes with build times, references left alone). */
  readonly body: string;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly teamReviewers: readonly string[];
  readonly autoMerge: false | "merge" | "squash" | "rebase";
  /** Commit through the API so GitHub signs it. */
  readonly signCommits: boolean;
}

/** Pull-request mode's inputs: the shared delivery options, the API client, the base and the PR's looks. */
export interface PullRequestModeOptions extends DeliveryOptions {
  readonly github: GitHubApi;
  /** The branch the pull request targets (checked out in `git`). */
  readonly base: string;
  readonly pullRequest: PullRequestSettings;
  readonly log: (message: string) => void;
}

/** What pull-request mode did, for the front end's report. */
export interface PullRequestModeResult {
  readonly plan: Plan;
  readonly files: readonly string[];
  readonly commitSha?: string;
  readonly pullRequest: PullRequestOutcome;
  readonly sentence: string;
}

/**
 * Pull-request mode. One deterministic branch per config, so reruns update the same pull request:
 * the branch is rebuilt from the base on every run (one commit on top of it) and pushed with
 * `--force-with-lease` against the sha we saw, skipped when its content would not change; the title
 * and body follow the set of changes; the pull request is closed and its branch deleted once nothing
 * is left to change. The local checkout is put back on the base branch afterwards.
 */
export async function pullRequestMode(o: PullRequestModeOptions): Promise<PullRequestModeResult> {
  const { git, github: gh, pullRequest: s } = o;
  const baseSha = await git.revParse("HEAD");
  const prBranch = s.branch;
  const remotePr = await git.remoteBranchSha(prBranch);
  const existing = await gh.findOpenPullRequest(prBranch, o.base);

  const pass = await updatePass({ ...o, dryRun: false });
  const changes = pass.plan.changes.map(toImageChange);
  try {
    if (!pass.applied) {
      if (existing) {
        await gh.closePullRequest(existing.number, { deleteBranch: true });
        o.log(`no change left: closed pull request #${existing.number} and deleted ${prBranch}`);
        return {
          plan: pass.plan,
          files: [],
          pullRequest: { operation: "closed", number: existing.number, url: existing.htmlUrl },
          sentence: `Nothing to update: closed the obsolete pull request #${existing.number}.`,
        };
      }
      return {
        plan: pass.plan,
        files: [],
        pullRequest: { operation: "none" },
        sentence: "Nothing to update: every image is at the newest tag its policy allows.",
      };
    }

    // Everything rendered before the branch is pushed: a template that fails must not leave a
    // pushed branch without its pull request behind.
    const message = buildCommitMessage(changes, o.commit.messageTemplate);
    const title = renderTemplate(s.title, changes).trim() || "Update image tags";
    const body = s.body ? renderTemplate(s.body, changes) : pullRequestBody(pass.plan);
    await git.add(["."]);
    // A local commit always: it fixes the tree we compare with the remote branch (idempotent reruns).
    const local = await git.commit({ message, author: o.commit.author });
    let headSha = local;
    let pushed = false;
    if (remotePr !== undefined && (await sameTree(git, prBranch, remotePr, baseSha, local))) {
      headSha = remotePr;
    } else if (s.signCommits) {
      // GitHub creates (and signs) the commit; the branch ref is then forced onto it.
      const files = await git.diffNameOnly({ from: baseSha, to: local });
      headSha = await commitThroughApi(gh, git, { parent: baseSha, files, message });
      const moved = await gh.updateBranch(prBranch, headSha, { force: true });
      if (moved.kind !== "created" && moved.kind !== "updated")
        throw new Error(`could not move the pull-request branch ${prBranch}: ${moved.message}`);
      pushed = true;
    } else {
      const r = await git.push({ branch: prBranch, source: local, expectedSha: remotePr ?? null });
      if (r.kind !== "ok") {
        const why =
          r.kind === "error"
            ? r.stderr.trim()
            : r.kind === "rejected-protected"
              ? r.remoteMessages.join(" ") || r.reason
              : r.reason;
        throw new Error(`could not push the pull-request branch ${prBranch}: ${why}`);
      }
      pushed = true;
    }
    o.log(
      pushed ? `pushed ${headSha.slice(0, 12)} to ${prBranch}` : `${prBranch} already has these changes; not pushing`,
    );

    let operation: PullRequestOutcome["operation"];
    let pr = existing;
    if (!pr) {
      const made = await gh.createOrUpdatePullRequest({ head: prBranch, base: o.base, title, body });
      pr = made;
      operation = made.created ? "created" : "updated";
    } else if (pr.title !== title || normalise(pr.body) !== normalise(body)) {
      pr = await gh.updatePullRequest(pr.number, { title, body });
      operation = "updated";
    } else operation = pushed ? "updated" : "unchanged";
    const missing = s.labels.filter((l) => !pr?.labels.includes(l));
    if (missing.length) await gh.addLabels(pr.number, missing);
    if (operation === "created" && (s.reviewers.length || s.teamReviewers.length))
      await gh.requestReviewers(pr.number, { users: s.reviewers, teams: s.teamReviewers });
    if (s.autoMerge) {
      const r = await gh.enableAutoMerge(pr.nodeId, s.autoMerge.toUpperCase() as MergeMethod);
      if (r.kind === "refused") o.log(`auto-merge not enabled: ${r.message}`);
    }
    o.log(`pull request #${pr.number} ${operation}: ${pr.htmlUrl}`);
    return {
      plan: pass.plan,
      files: pass.applied.files,
      commitSha: headSha,
      pullRequest: { operation, number: pr.number, url: pr.htmlUrl },
      sentence: `Pull request #${pr.number} ${operation}: ${pass.plan.changes.length} image tag(s) move.`,
    };
  } finally {
    // The workspace goes back to the base branch as checked out.
    await git.resetHard(baseSha);
  }
}

/**
 * Would pushing change anything? True when the remote PR branch is one commit on top of the same
 * base with the same tree as ours: then the pull request already shows exactly these changes.
 */
async function sameTree(
  git: GitCommandManager,
  branch: string,
  remoteSha: string,
  baseSha: string,
  local: string,
): Promise<boolean> {
  await fetchBranch(git, branch, 2);
  const parent = await git.tryRevParse(`${remoteSha}^`);
  if (parent !== baseSha) return false;
  const theirs = await git.revParse(`${remoteSha}^{tree}`);
  const ours = await git.revParse(`${local}^{tree}`);
  return theirs === ours;
}

/** GitHub may store a body with CRLF line endings and without the final newline: compare content only. */
function normalise(text: string): string {
  return text.replace(/\r\n/g, "\n").trim();
}
