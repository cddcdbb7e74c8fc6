import { createHash } from "node:crypto";
import { changedPaths } from "../apply/apply.js";
import { renderTemplate, type CommandFileChange } from "../git/commit-message.js";
import type { GitCommandManager } from "../git/git-command-manager.js";
import type { GitHubApi, MergeMethod } from "../github/types.js";
import type { LaminarConfig } from "../config/types.js";
import type { Plan } from "../plan/types.js";
import { oneLine } from "../output/one-line.js";
import { markdownCode, markdownText } from "../output/markdown.js";
import { nothingToUpdate } from "../report/format.js";
import { pullRequestBody } from "../report/markdown.js";
import { carriedChanges, withCarried } from "./carry-over.js";
import { fetchBranch } from "./remote-branch.js";
import { deliverWithRetry } from "./retry-loop.js";
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
  /**
   * Who owns the pull request (grouped-pull-requests.ts: a hash of the config's path): written as a
   * hidden marker at the end of the body, so left-over pull requests are closed only by their owner.
   */
  readonly owner?: string;
}

/** The hidden body marker naming a pull request's owner (an HTML comment: GitHub does not show it). */
function ownerMarker(owner: string): string {
  return `\n<!-- laminar-owner: ${owner} -->\n`;
}

/** The owner a pull request's body names (see {@link PullRequestSettings.owner}), or undefined. */
export function pullRequestOwnerOf(body: string | null | undefined): string | undefined {
  return /<!-- laminar-owner: ([0-9a-f]+) -->/.exec(body ?? "")?.[1];
}

/** Pull-request mode's inputs: the shared delivery options, the API client, the base and the PR's looks. */
export interface PullRequestModeOptions extends DeliveryOptions {
  readonly github: GitHubApi;
  /** The branch the pull request targets (checked out in `git`). */
  readonly base: string;
  readonly pullRequest: PullRequestSettings;
  readonly log: (message: string) => void;
  /** Attempts when the pull-request branch or the base moves during the run; default 3 (retry-loop.ts). */
  readonly maxAttempts?: number;
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
 * the branch is Laminar's own, rebuilt from the base on every run (one commit on top of it) and
 * pushed with `--force-with-lease` against the sha we saw, skipped when its content would not
 * change; commits someone else pushed to it are replaced, and the log says so. The title and body
 * follow the set of changes; the pull request is closed and its branch deleted once nothing is left
 * to change. When the pull-request branch or the base moved while Laminar worked (a concurrent run,
 * a person), the shared loop (retry-loop.ts) fetches both, plans again on the base's new head and
 * compares again, at most `maxAttempts` times. The first attempt plans on the checkout as it is; a
 * retry plans on the remote base. The local checkout is put back on the base as it was.
 */
export async function pullRequestMode(o: PullRequestModeOptions): Promise<PullRequestModeResult> {
  const { git, github: gh, pullRequest: s } = o;
  const start = await git.revParse("HEAD");
  const prBranch = s.branch;
  // What we saw on the remote; a change to either before our push means planning again.
  let seenPr = await git.remoteBranchSha(prBranch);
  let seenBase = await git.remoteBranchSha(o.base);
  let moved = "";
  const existing = await gh.findOpenPullRequest(prBranch, o.base);
  let rendered = { title: "", body: "" };
  let pushed = false;

  try {
    // A targeted run keeps what the pull request already has for the images it did not look at
    // (carry-over.ts); the branch as seen when the pass plans is the one carried from.
    const targeted = (o.targets?.length ?? 0) > 0;
    const extendPlan = async (plan: Plan, config: LaminarConfig): Promise<Plan> => {
      if (seenPr === undefined) return plan;
      const carried = await carriedChanges(
        { git, dir: o.dir, branch: prBranch, sha: seenPr, targets: o.targets ?? [] },
        plan,
        config,
      );
      if (carried.length)
        o.log(
          `${prBranch}: keeping ${carried.length} change(s) the pull request already has that this targeted run did not move`,
        );
      return withCarried(plan, carried);
    };
    const r = await deliverWithRetry(
      { ...o, branch: o.base, ...(targeted ? { extendPlan } : {}) },
      {
        publish: async ({ parent, local, message, pass }) => {
          // Everything rendered before the branch is pushed: a template that fails must not leave a
          // pushed branch without its pull request behind.
          const changes = pass.plan.changes.map(toImageChange);
          rendered = {
            // The title is one line whatever the template says; the body's values are Markdown-escaped
            // (issue #13: file names and tags are outside text).
            title: oneLine(renderTemplate(s.title, changes).trim()) || "Update image tags",
            body: s.body
              ? renderTemplate(s.body, changes, markdownText, pass.applied?.commandChanges)
              : pullRequestBody(pass.plan) + commandFilesSection(pass.applied?.commandChanges ?? []),
          };
          if (s.owner !== undefined) rendered.body += ownerMarker(s.owner);
          // The lease covers the pull-request branch only; the base is checked here, so a pull request
          // is not built on a base that moved during the run (the window left is the push itself).
          if ((await git.remoteBranchSha(o.base)) !== seenBase) {
            moved = `${o.base} moved on the remote`;
            return { kind: "moved" };
          }
          if (seenPr !== undefined && (await sameTree(git, prBranch, seenPr, parent, local))) {
            pushed = false;
            return { kind: "published", sha: seenPr };
          }
          if (seenPr !== undefined)
            o.log(
              `${prBranch} is at ${seenPr.slice(0, 12)}; rebuilding it from ${o.base} (the branch is Laminar's own: commits others pushed to it are replaced, not kept)`,
            );
          const sha = s.signCommits
            ? await publishSigned(o, { parent, local, message, expected: seenPr })
            : await publishWithLease(o, local, seenPr);
          if (sha === undefined) {
            moved = `${prBranch} was pushed to by someone else`;
            return { kind: "moved" };
          }
          pushed = true;
          return { kind: "published", sha };
        },
        refetch: async () => {
          const base = await fetchBranch(git, o.base);
          seenBase = await git.revParse(base);
          seenPr = await git.remoteBranchSha(prBranch);
          return base;
        },
        retryNote: (next, max) =>
          `${moved}; fetching ${o.base} and ${prBranch} and planning again (attempt ${next} of ${max})`,
        exhausted: (attempts) =>
          new Error(
            `updating the pull-request branch ${prBranch} failed ${attempts} times because ${o.base} or ${prBranch} kept moving; nothing was pushed`,
          ),
      },
    );
    const pass = r.pass;
    if (!pass.applied || r.commitSha === undefined) {
      // A registry that failed hid what may still be pending: the open pull request is kept then.
      if (existing && pass.plan.failures.length) {
        o.log(`no change found, but a registry failed: pull request #${existing.number} is left open`);
        return {
          plan: pass.plan,
          files: [],
          pullRequest: { operation: "unchanged", number: existing.number, url: existing.htmlUrl },
          sentence: `${nothingToUpdate(pass.plan)} Pull request #${existing.number} is left open.`,
        };
      }
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
        sentence: nothingToUpdate(pass.plan),
      };
    }
    const headSha = r.commitSha;
    o.log(
      pushed ? `pushed ${headSha.slice(0, 12)} to ${prBranch}` : `${prBranch} already has these changes; not pushing`,
    );

    const { title, body } = rendered;
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
      const m = await gh.enableAutoMerge(pr.nodeId, s.autoMerge.toUpperCase() as MergeMethod);
      if (m.kind === "refused") o.log(`auto-merge not enabled: ${m.message}`);
    }
    o.log(`pull request #${pr.number} ${operation}: ${pr.htmlUrl}`);
    return {
      plan: pass.plan,
      files: changedPaths(pass.applied),
      commitSha: headSha,
      pullRequest: { operation, number: pr.number, url: pr.htmlUrl },
      sentence: `Pull request #${pr.number} ${operation}: ${pass.plan.changes.length} image tag(s) move${r.attempts > 1 ? ` (after ${r.attempts} attempts)` : ""}.`,
    };
  } finally {
    // The workspace goes back to the base branch as checked out.
    await git.resetHard(start);
  }
}

/** The default body's list of what the configured commands changed (committed on the branch too). */
function commandFilesSection(files: readonly CommandFileChange[]): string {
  if (!files.length) return "";
  return `\nChanged by the configured commands:\n\n${files.map((f) => `- ${f.change} ${markdownCode(f.path)}`).join("\n")}\n`;
}

/** `git push --force-with-lease` of our commit; undefined when the lease was lost (the branch moved). */
async function publishWithLease(
  o: PullRequestModeOptions,
  local: string,
  expected: string | undefined,
): Promise<string | undefined> {
  const prBranch = o.pullRequest.branch;
  const r = await o.git.push({ branch: prBranch, source: local, expectedSha: expected ?? null });
  if (r.kind === "ok") return local;
  if (r.kind === "rejected-stale-lease") return undefined;
  const why =
    r.kind === "error"
      ? r.stderr.trim()
      : r.kind === "rejected-protected"
        ? r.remoteMessages.join(" ") || r.reason
        : r.reason;
  throw new Error(`could not push the pull-request branch ${prBranch}: ${why}`);
}

/**
 * GitHub creates (and signs) the commit; the branch ref is then forced onto it. The REST API has no
 * lease, so the branch is checked just before: undefined when it is no longer where we saw it.
 */
async function publishSigned(
  o: PullRequestModeOptions,
  c: { parent: string; local: string; message: string; expected: string | undefined },
): Promise<string | undefined> {
  const { git, github: gh } = o;
  const prBranch = o.pullRequest.branch;
  const files = await git.diffNameOnly({ from: c.parent, to: c.local });
  const sha = await commitThroughApi(gh, git, { parent: c.parent, files, message: c.message });
  if ((await gh.getBranchSha(prBranch)) !== c.expected) return undefined;
  const moved = await gh.updateBranch(prBranch, sha, { force: true });
  if (moved.kind !== "created" && moved.kind !== "updated")
    throw new Error(`could not move the pull-request branch ${prBranch}: ${moved.message}`);
  return sha;
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
