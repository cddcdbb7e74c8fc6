import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { VERSION } from "../version.js";
import type { ActionSettings } from "./inputs.js";

/** A pull request as the action needs it. */
export interface PullRequestInfo {
  readonly number: number;
  readonly url: string;
  readonly nodeId: string;
  readonly title: string;
  readonly body: string;
}

/** A file for an API commit: new content, or null when the file is deleted. */
export interface ApiCommitFile {
  readonly path: string;
  readonly content: Buffer | null;
  readonly mode: string;
}

/** The GitHub operations the action's pull-request and signed-commit modes use. */
export interface GitHubPort {
  findOpenPullRequest(head: string, base: string): Promise<PullRequestInfo | undefined>;
  createPullRequest(p: { head: string; base: string; title: string; body: string }): Promise<PullRequestInfo>;
  updatePullRequest(number: number, p: { title: string; body: string }): Promise<void>;
  closePullRequest(number: number): Promise<void>;
  deleteBranch(branch: string): Promise<void>;
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  requestReviewers(number: number, users: readonly string[], teams: readonly string[]): Promise<void>;
  enableAutoMerge(nodeId: string, method: "merge" | "squash" | "rebase"): Promise<void>;
  /** Creates a commit (GitHub signs it) and returns its sha. */
  createCommit(c: { parent: string; files: readonly ApiCommitFile[]; message: string }): Promise<string>;
  /** Points `refs/heads/<branch>` at `sha`, creating it when missing; `not-fast-forward` when it moved and force is off. */
  setBranch(branch: string, sha: string, options: { force: boolean }): Promise<"ok" | "not-fast-forward">;
}

const RetryingOctokit = Octokit.plugin(retry, throttling);

/**
 * GitHub over Octokit with retries and rate-limit throttling; base URL from GITHUB_API_URL so GitHub
 * Enterprise works. All REST calls of the action go through here.
 */
export function createGitHub(s: Pick<ActionSettings, "token" | "apiUrl" | "repository">): GitHubPort {
  const octokit = new RetryingOctokit({
    auth: s.token,
    baseUrl: s.apiUrl.replace(/\/+$/, ""),
    userAgent: `laminar/${VERSION}`,
    throttle: {
      // Primary and secondary rate limits: wait and retry up to twice, then fail with GitHub's message.
      onRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
      onSecondaryRateLimit: (_after: number, _opts: object, _o: unknown, retryCount: number) => retryCount < 2,
    },
    retry: { doNotRetry: [400, 401, 403, 404, 409, 422] },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const { owner, repo } = s.repository;
  const info = (pr: { number: number; html_url: string; node_id: string; title: string; body?: string | null }): PullRequestInfo => ({
    number: pr.number,
    url: pr.html_url,
    nodeId: pr.node_id,
    title: pr.title,
    body: pr.body ?? "",
  });
  const graphqlUrl = s.apiUrl.replace(/\/+$/, "").replace(/\/api\/v3$/, "/api");

  return {
    async findOpenPullRequest(head, base) {
      const { data } = await octokit.rest.pulls.list({ owner, repo, state: "open", head: `${owner}:${head}`, base, per_page: 10 });
      const pr = data[0];
      return pr ? info(pr) : undefined;
    },
    async createPullRequest(p) {
      try {
        const { data } = await octokit.rest.pulls.create({ owner, repo, head: p.head, base: p.base, title: p.title, body: p.body, maintainer_can_modify: false });
        return info(data);
      } catch (e) {
        // Another run created it meanwhile: update that one (create-pull-request's fallback).
        if (status(e) === 422 && /already exists/i.test(String((e as Error).message))) {
          const found = await this.findOpenPullRequest(p.head, p.base);
          if (found) {
            await this.updatePullRequest(found.number, { title: p.title, body: p.body });
            return { ...found, title: p.title, body: p.body };
          }
        }
        throw e;
      }
    },
    async updatePullRequest(number, p) {
      await octokit.rest.pulls.update({ owner, repo, pull_number: number, title: p.title, body: p.body });
    },
    async closePullRequest(number) {
      await octokit.rest.pulls.update({ owner, repo, pull_number: number, state: "closed" });
    },
    async deleteBranch(branch) {
      try {
        await octokit.rest.git.deleteRef({ owner, repo, ref: `heads/${branch}` });
      } catch (e) {
        if (status(e) !== 422 && status(e) !== 404) throw e; // already gone
      }
    },
    async addLabels(number, labels) {
      await octokit.rest.issues.addLabels({ owner, repo, issue_number: number, labels: [...labels] });
    },
    async requestReviewers(number, users, teams) {
      await octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: number, reviewers: [...users], team_reviewers: [...teams] });
    },
    async enableAutoMerge(nodeId, method) {
      await octokit.graphql(
        `mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) { pullRequest { number } } }`,
        { id: nodeId, method: method.toUpperCase(), baseUrl: graphqlUrl },
      );
    },
    async createCommit(c) {
      const { data: parent } = await octokit.rest.git.getCommit({ owner, repo, commit_sha: c.parent });
      const tree = await Promise.all(
        c.files.map(async (f) => {
          if (f.content === null) return { path: f.path, mode: f.mode as "100644", type: "blob" as const, sha: null };
          const { data: blob } = await octokit.rest.git.createBlob({ owner, repo, content: f.content.toString("base64"), encoding: "base64" });
          return { path: f.path, mode: f.mode as "100644", type: "blob" as const, sha: blob.sha };
        }),
      );
      const { data: t } = await octokit.rest.git.createTree({ owner, repo, base_tree: parent.tree.sha, tree });
      // No author or committer: GitHub then signs the commit as the token's identity (verified).
      const { data: commit } = await octokit.rest.git.createCommit({ owner, repo, message: c.message, tree: t.sha, parents: [c.parent] });
      return commit.sha;
    },
    async setBranch(branch, sha, options) {
      try {
        await octokit.rest.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: options.force });
        return "ok";
      } catch (e) {
        const code = status(e);
        if (code === 422 && /fast forward/i.test(String((e as Error).message))) return "not-fast-forward";
        if (code === 422 || code === 404) {
          // Missing ref: create it.
          try {
            await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
            return "ok";
          } catch (e2) {
            if (status(e2) === 422 && /already exists/i.test(String((e2 as Error).message))) return "not-fast-forward";
            throw e2;
          }
        }
        throw e;
      }
    },
  };
}

function status(e: unknown): number | undefined {
  return typeof e === "object" && e !== null && "status" in e ? Number((e as { status: unknown }).status) : undefined;
}
