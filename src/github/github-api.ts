import { createOctokit, type LaminarOctokit, type OctokitClientOptions, type OctokitLog } from "./octokit-client.js";
import { errorMessage, graphqlFailure, httpFailure, isHttpError } from "./request-errors.js";
import type {
  AutoMergeResult,
  FileChange,
  GitHubApi,
  MergeMethod,
  PullRequest,
  PullRequestInput,
  PullRequestResult,
  RefUpdateResult,
  RepositoryId,
  ReviewRequest,
  SignedCommit,
  SignedCommitInput,
} from "./types.js";

// GitHub's 422 texts we branch on (stable for years; create-pull-request matches the same ones).
const PR_ALREADY_EXISTS = "A pull request already exists";
const REF_ALREADY_EXISTS = "Reference already exists";
const REF_DOES_NOT_EXIST = "Reference does not exist";
const NOT_FAST_FORWARD = /not a fast.forward/i;
// Branch protection (GH006) and rulesets (GH013) refuse ref updates through the API with 422 too.
const PROTECTED = /protected branch|rule violation|GH006|GH013|Cannot update this protected ref/i;

/** The subset of REST pull-request shapes (full and simple) we read. */
interface RestPull {
  readonly number: number;
  readonly node_id: string;
  readonly html_url: string;
  readonly state: string;
  readonly title: string;
  readonly body?: string | null;
  readonly draft?: boolean;
  readonly head: { readonly ref: string; readonly sha: string };
  readonly base: { readonly ref: string };
  readonly labels: ReadonlyArray<{ readonly name?: string | null } | string>;
}

function toPullRequest(p: RestPull): PullRequest {
  return {
    number: p.number,
    nodeId: p.node_id,
    htmlUrl: p.html_url,
    state: p.state === "closed" ? "closed" : "open",
    title: p.title,
    body: p.body ?? "",
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    draft: p.draft ?? false,
    labels: p.labels.map((l) => (typeof l === "string" ? l : (l.name ?? ""))).filter((n) => n.length > 0),
  };
}

function blobContent(file: Extract<FileChange, { content: unknown }>): string {
  // Always base64: a manifest may be any encoding, and blobs must be byte-exact.
  return Buffer.from(file.content).toString("base64");
}

const ENABLE_AUTO_MERGE = `mutation LaminarEnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
    pullRequest { number autoMergeRequest { mergeMethod enabledAt } }
  }
}`;

/** Options of {@link createGitHubApi}: the token and API root (see OctokitClientOptions) and the repository. */
export interface GitHubApiOptions extends OctokitClientOptions {
  readonly repository: RepositoryId;
}

/** `GitHubApi` over Octokit: REST for everything, GraphQL for auto-merge (REST has no endpoint for it). */
export class OctokitGitHubApi implements GitHubApi {
  private readonly log: OctokitLog | undefined;

  constructor(
    private readonly octokit: LaminarOctokit,
    readonly repository: RepositoryId,
    log?: OctokitLog,
  ) {
    this.log = log;
  }

  private get repo(): { owner: string; repo: string } {
    return { owner: this.repository.owner, repo: this.repository.repo };
  }

  async findOpenPullRequest(branch: string, base?: string): Promise<PullRequest | undefined> {
    // `head` must be `owner:branch`: GitHub silently ignores a bare branch name and returns every
    // open pull request, which would make us update somebody else's.
    const { data } = await this.octokit.rest.pulls.list({
      ...this.repo,
      state: "open",
      head: `${this.repository.owner}:${branch}`,
      ...(base ? { base } : {}),
      per_page: 100,
    });
    const match = data.find((p) => p.head.ref === branch);
    return match ? toPullRequest(match) : undefined;
  }

  async getPullRequest(number: number): Promise<PullRequest> {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: number });
    return toPullRequest(data);
  }

  async createOrUpdatePullRequest(input: PullRequestInput): Promise<PullRequestResult> {
    try {
      const { data } = await this.octokit.rest.pulls.create({
        ...this.repo,
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
        ...(input.draft !== undefined ? { draft: input.draft } : {}),
      });
      this.log?.info(`Created pull request #${data.number} (${input.head} → ${input.base})`);
      return { ...toPullRequest(data), created: true };
    } catch (e) {
      if (!isHttpError(e, 422, PR_ALREADY_EXISTS)) throw e;
    }
    // It exists (maybe a concurrent run just made it): find it and bring title/body up to date.
    const existing = await this.findOpenPullRequest(input.head, input.base);
    if (!existing)
      throw new Error(`GitHub says a pull request exists for ${input.head}, but none is open into ${input.base}`);
    const updated = await this.updatePullRequest(existing.number, { title: input.title, body: input.body });
    this.log?.info(`Updated pull request #${updated.number} (${input.head} → ${input.base})`);
    return { ...updated, created: false };
  }

  async updatePullRequest(
    number: number,
    update: { title?: string; body?: string; base?: string },
  ): Promise<PullRequest> {
    const { data } = await this.octokit.rest.pulls.update({
      ...this.repo,
      pull_number: number,
      ...(update.title !== undefined ? { title: update.title } : {}),
      ...(update.body !== undefined ? { body: update.body } : {}),
      ...(update.base !== undefined ? { base: update.base } : {}),
    });
    return toPullRequest(data);
  }

  async addLabels(number: number, labels: readonly string[]): Promise<void> {
    if (labels.length === 0) return;
    await this.octokit.rest.issues.addLabels({ ...this.repo, issue_number: number, labels: [...labels] });
  }

  async requestReviewers(number: number, request: ReviewRequest): Promise<void> {
    const users = [...(request.users ?? [])];
    // Users write `org/team` (as in CODEOWNERS); the API wants the slug alone.
    const teams = (request.teams ?? []).map((t) => t.slice(t.lastIndexOf("/") + 1));
    if (users.length === 0 && teams.length === 0) return;
    try {
      await this.octokit.rest.pulls.requestReviewers({
        ...this.repo,
        pull_number: number,
        ...(users.length ? { reviewers: users } : {}),
        ...(teams.length ? { team_reviewers: teams } : {}),
      });
    } catch (e) {
      // The default GITHUB_TOKEN cannot see teams: GitHub answers with an unhelpful node-id error.
      if (teams.length && isHttpError(e, 422, "Could not resolve to a node")) {
        throw new Error(
          `cannot request team reviewers (${teams.join(", ")}): the token needs read access to the organization's teams — ${errorMessage(e)}`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async closePullRequest(number: number, options: { deleteBranch?: boolean } = {}): Promise<void> {
    const { data } = await this.octokit.rest.pulls.update({ ...this.repo, pull_number: number, state: "closed" });
    if (options.deleteBranch !== false) await this.deleteBranch(data.head.ref);
  }

  async deleteBranch(branch: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.deleteRef({ ...this.repo, ref: `heads/${branch}` });
      return true;
    } catch (e) {
      if (isHttpError(e, 422, REF_DOES_NOT_EXIST) || isHttpError(e, 404)) return false;
      throw e;
    }
  }

  async enableAutoMerge(pullRequestNodeId: string, mergeMethod: MergeMethod): Promise<AutoMergeResult> {
    try {
      await this.octokit.graphql(ENABLE_AUTO_MERGE, { pullRequestId: pullRequestNodeId, mergeMethod });
      return { kind: "enabled", mergeMethod };
    } catch (e) {
      const failure = graphqlFailure(e);
      if (failure) return { kind: "refused", message: failure.messages.join("; ") };
      throw e;
    }
  }

  async getBranchSha(branch: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (e) {
      if (isHttpError(e, 404)) return undefined;
      throw e;
    }
  }

  async createSignedCommit(input: SignedCommitInput): Promise<SignedCommit> {
    const baseTree =
      input.parentTree ??
      (await this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: input.parent })).data.tree.sha;

    // Sequential on purpose: the throttling plugin serialises writes anyway, and secondary rate
    // limits punish parallel content creation.
    const tree: { path: string; mode: "100644" | "100755" | "120000"; type: "blob"; sha: string | null }[] = [];
    for (const file of input.files) {
      if ("deleted" in file) {
        tree.push({ path: file.path, mode: "100644", type: "blob", sha: null });
        continue;
      }
      const { data: blob } = await this.octokit.rest.git.createBlob({
        ...this.repo,
        content: blobContent(file),
        encoding: "base64",
      });
      tree.push({ path: file.path, mode: file.mode ?? "100644", type: "blob", sha: blob.sha });
    }
    const { data: newTree } = await this.octokit.rest.git.createTree({ ...this.repo, base_tree: baseTree, tree });
    // No committer: GitHub then commits as the token's identity and signs the commit itself.
    const { data: commit } = await this.octokit.rest.git.createCommit({
      ...this.repo,
      message: input.message,
      tree: newTree.sha,
      parents: [input.parent],
      ...(input.author ? { author: { name: input.author.name, email: input.author.email } } : {}),
    });
    this.log?.info(
      `Created commit ${commit.sha} (verified: ${commit.verification.verified}, ${commit.verification.reason})`,
    );
    return {
      sha: commit.sha,
      treeSha: commit.tree.sha,
      verified: commit.verification.verified,
      reason: commit.verification.reason,
    };
  }

  async updateBranch(branch: string, sha: string, options: { force: boolean }): Promise<RefUpdateResult> {
    if ((await this.getBranchSha(branch)) === undefined) {
      try {
        await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha });
        return { kind: "created", sha };
      } catch (e) {
        // Another run created it between our read and write: fall through to an update.
        if (!isHttpError(e, 422, REF_ALREADY_EXISTS)) throw e;
      }
    }
    try {
      await this.octokit.rest.git.updateRef({ ...this.repo, ref: `heads/${branch}`, sha, force: options.force });
      return { kind: "updated", sha };
    } catch (e) {
      const f = httpFailure(e);
      if (f && f.status === 422 && NOT_FAST_FORWARD.test(f.message))
        return { kind: "rejected-non-fast-forward", message: f.message };
      if (f && (f.status === 422 || f.status === 403 || f.status === 409) && PROTECTED.test(f.message)) {
        return { kind: "rejected-protected", message: f.message };
      }
      throw e;
    }
  }
}

/** Builds the Octokit (retry, throttling, `GITHUB_API_URL`) and the helper over it. */
export function createGitHubApi(options: GitHubApiOptions): GitHubApi {
  return new OctokitGitHubApi(createOctokit(options), options.repository, options.log);
}
