import { buildCommitMessage, renderTemplate } from "../git/commit-message.js";
import type { GitCommandManager, GitIdentity } from "../git/git-command-manager.js";
import type { Plan } from "../plan/types.js";
import { pullRequestBody } from "../report/markdown.js";
import { toImageChange } from "../sync/push.js";
import { updatePass, type UpdateOptions } from "../sync/update.js";
import { actionGitHub } from "./github.js";
import type { ActionSettings } from "./inputs.js";
import { commitThroughApi } from "./signed-push.js";

export interface PullRequestOutcome {
  readonly operation: "created" | "updated" | "unchanged" | "closed" | "none";
  readonly number?: number;
  readonly url?: string;
}

export interface PullRequestModeOptions extends UpdateOptions {
  readonly git: GitCommandManager;
  readonly settings: ActionSettings;
  readonly base: string;
  readonly author: GitIdentity;
  readonly messageTemplate?: string;
  readonly log: (message: string) => void;
}

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
  const { git, settings: s } = o;
  const gh = actionGitHub(s);
  const baseSha = await git.revParse("HEAD");
  const prBranch = s.prBranch;
  const remotePr = await git.remoteBranchSha(prBranch);
  const existing = await gh.findOpenPullRequest(prBranch, o.base);

  const pass = await updatePass(o);
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
    const message = buildCommitMessage(changes, o.messageTemplate);
    const title = renderTemplate(s.prTitle, changes).trim() || "Update image tags";
    const body = s.prBody ? renderTemplate(s.prBody, changes) : pullRequestBody(pass.plan);
    await git.add(["."]);
    // A local commit always: it fixes the tree we compare with the remote branch (idempotent reruns).
    const local = await git.commit({ message, author: o.author });
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
      const r = await gh.enableAutoMerge(pr.nodeId, s.autoMerge.toUpperCase() as "MERGE" | "SQUASH" | "REBASE");
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
  await git.fetch({ refspecs: [`+refs/heads/${branch}:refs/remotes/origin/${branch}`], depth: 2 });
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
