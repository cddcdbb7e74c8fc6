/**
 * The contract between orchestration and GitHub. Orchestration depends on `GitHubApi` only;
 * `github-api.ts` implements it over Octokit (REST + one GraphQL mutation), tests may pass fakes —
 * or, better, the real implementation against test/helpers/github-api (an OpenAPI-checked emulator).
 */

export interface RepositoryId {
  readonly owner: string;
  readonly repo: string;
}

/** The fields of a pull request orchestration uses, from either the full or the "simple" REST shape. */
export interface PullRequest {
  readonly number: number;
  /** GraphQL global id, needed for auto-merge. */
  readonly nodeId: string;
  readonly htmlUrl: string;
  readonly state: "open" | "closed";
  readonly title: string;
  readonly body: string;
  /** Branch name without `refs/heads/`. */
  readonly headRef: string;
  readonly headSha: string;
  readonly baseRef: string;
  readonly draft: boolean;
  readonly labels: readonly string[];
}

export interface PullRequestInput {
  /** Branch in this repository, without owner prefix or `refs/heads/`. */
  readonly head: string;
  readonly base: string;
  readonly title: string;
  readonly body: string;
  readonly draft?: boolean;
}

export interface PullRequestResult extends PullRequest {
  /** False when one was already open for the branch and it was updated instead. */
  readonly created: boolean;
}

export interface ReviewRequest {
  /** User logins. */
  readonly users?: readonly string[];
  /** Team slugs; an `org/` prefix is accepted and stripped (the API wants the bare slug). */
  readonly teams?: readonly string[];
}

export type MergeMethod = "MERGE" | "SQUASH" | "REBASE";

export type AutoMergeResult =
  | { readonly kind: "enabled"; readonly mergeMethod: MergeMethod }
  /**
   * GitHub refused, e.g. "Auto merge is not allowed for this repository", or the pull request is
   * already mergeable ("clean status"). Not an error for the run: the PR exists, only the merge waits.
   */
  | { readonly kind: "refused"; readonly message: string };

/** A file of a commit made through the API. */
export type FileChange =
  | {
      readonly path: string;
      readonly content: string | Uint8Array;
      /** Default `100644`; keep `100755`/`120000` from the index (GitCommandManager.fileModes). */
      readonly mode?: "100644" | "100755" | "120000";
    }
  | { readonly path: string; readonly deleted: true };

export interface SignedCommitInput {
  /** Sha of the parent commit; it must exist on GitHub. */
  readonly parent: string;
  /** Tree of the parent, when the caller knows it (saves one request). */
  readonly parentTree?: string;
  readonly files: readonly FileChange[];
  readonly message: string;
  /**
   * Author to record. Leave it out for a commit GitHub signs as the token's identity
   * (the "Verified" badge); the committer is always GitHub's choice.
   */
  readonly author?: { readonly name: string; readonly email: string };
}

export interface SignedCommit {
  readonly sha: string;
  readonly treeSha: string;
  /** GitHub's verification verdict (`verification.verified`). */
  readonly verified: boolean;
  readonly reason: string;
}

/** Outcome of moving a branch through the API, typed like git pushes (see src/git/push-result.ts). */
export type RefUpdateResult =
  | { readonly kind: "created"; readonly sha: string }
  | { readonly kind: "updated"; readonly sha: string }
  | { readonly kind: "rejected-non-fast-forward"; readonly message: string }
  | { readonly kind: "rejected-protected"; readonly message: string };

/**
 * Every GitHub call the delivery modes make (pull requests, labels, reviewers, auto-merge, signed
 * commits, branch updates), for one repository. The modes take it as an argument, so they never
 * build their own client; {@link createGitHubApi} gives the Octokit-backed one.
 */
export interface GitHubApi {
  readonly repository: RepositoryId;

  /** The open pull request whose head is `branch` (in this repository), optionally into `base`. */
  findOpenPullRequest(branch: string, base?: string): Promise<PullRequest | undefined>;
  getPullRequest(number: number): Promise<PullRequest>;
  /**
   * Creates the pull request; when GitHub answers that one already exists for the branch (422),
   * updates that one's title and body instead — idempotent across re-runs and concurrent runs.
   */
  createOrUpdatePullRequest(input: PullRequestInput): Promise<PullRequestResult>;
  updatePullRequest(number: number, update: { title?: string; body?: string; base?: string }): Promise<PullRequest>;
  /** Adds labels (GitHub creates missing ones); existing labels stay. */
  addLabels(number: number, labels: readonly string[]): Promise<void>;
  requestReviewers(number: number, request: ReviewRequest): Promise<void>;
  /** Closes the pull request and, unless told not to, deletes its head branch. */
  closePullRequest(number: number, options?: { deleteBranch?: boolean }): Promise<void>;
  /** Deletes `refs/heads/<branch>`; false when it did not exist. */
  deleteBranch(branch: string): Promise<boolean>;
  /** Turns on auto-merge (GraphQL `enablePullRequestAutoMerge`) for the pull request with this node id. */
  enableAutoMerge(pullRequestNodeId: string, mergeMethod: MergeMethod): Promise<AutoMergeResult>;

  /** Sha the branch points at, undefined when it does not exist. */
  getBranchSha(branch: string): Promise<string | undefined>;
  /** Blobs → tree (on the parent's tree) → commit: a commit GitHub signs. Does not move any branch. */
  createSignedCommit(input: SignedCommitInput): Promise<SignedCommit>;
  /**
   * Points `refs/heads/<branch>` at `sha`, creating it when missing. `force` for a PR branch;
   * without it only a fast-forward is accepted (the push-mode equivalent of a plain `git push`).
   */
  updateBranch(branch: string, sha: string, options: { force: boolean }): Promise<RefUpdateResult>;
}
