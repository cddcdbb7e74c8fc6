import type { ApiObjects, Urls } from "./api-objects.js";
import type { AppState } from "./github-app.js";
import type { BareRepo, PersonStamp, TreeEdit } from "./bare-repo.js";
import { nodeId, now, type EmulatedPullRequest, type EmulatorState } from "./emulator-state.js";

/**
 * The REST operations the emulator implements, keyed by OpenAPI operationId. Requests reach these
 * only after the OpenAPI validator accepted them, so handlers check GitHub's *semantic* rules
 * (branch exists, PR already open, fast-forward, protected branch…) and answer with GitHub's
 * status codes and messages — the ones our client code branches on.
 */

export interface EmulatorConfig {
  readonly owner: string;
  readonly repo: string;
  /** Login of the token's identity (author of PRs and API commits). */
  readonly login: string;
  readonly commitIdentity: { readonly name: string; readonly email: string };
  readonly protectedBranches: ReadonlySet<string>;
  /** When set, only these users may be requested as reviewers. */
  readonly collaborators: ReadonlySet<string> | undefined;
  /** When set, only these team slugs exist. */
  readonly teams: ReadonlySet<string> | undefined;
  readonly autoMergeAllowed: boolean;
}

export interface RestContext {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly urls: Urls;
  readonly state: EmulatorState;
  readonly repo: BareRepo;
  readonly objects: ApiObjects;
  readonly config: EmulatorConfig;
  /** The GitHub App, when the server emulates one (github-app.ts). */
  readonly app?: AppState;
}

export interface RestResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export type RestHandler = (ctx: RestContext) => Promise<RestResult>;

const DOCS = "https://docs.github.com/rest";

export function errorBody(status: number, message: string, errors?: readonly object[]): RestResult {
  return {
    status,
    body: { message, ...(errors ? { errors } : {}), documentation_url: DOCS, status: String(status) },
  };
}

const notFound = (): RestResult => errorBody(404, "Not Found");
const unprocessable = (message: string): RestResult => errorBody(422, message);
const validationFailed = (...errors: object[]): RestResult => errorBody(422, "Validation Failed", errors);

type Body = Record<string, unknown>;

function asBody(b: unknown): Body {
  return b && typeof b === "object" && !Array.isArray(b) ? (b as Body) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function isOurRepo(ctx: RestContext): boolean {
  return ctx.params.owner === ctx.config.owner && ctx.params.repo === ctx.config.repo;
}

/** Wraps a handler with the repository check every route of ours shares. */
function repoRoute(handler: RestHandler): RestHandler {
  return async (ctx) => (isOurRepo(ctx) ? handler(ctx) : notFound());
}

async function refreshShas(ctx: RestContext, pr: EmulatedPullRequest): Promise<void> {
  const head = await ctx.repo.refSha(`refs/heads/${pr.head}`);
  if (head) pr.headSha = head;
  const base = await ctx.repo.refSha(`refs/heads/${pr.base}`);
  if (base) pr.baseSha = base;
}

async function fullPull(ctx: RestContext, pr: EmulatedPullRequest): Promise<unknown> {
  await refreshShas(ctx, pr);
  return ctx.objects.pullRequest(
    ctx.urls,
    pr,
    pr.labels.map((n) => ctx.state.labelFor(n)),
  );
}

async function simplePull(ctx: RestContext, pr: EmulatedPullRequest): Promise<unknown> {
  await refreshShas(ctx, pr);
  return ctx.objects.pullRequestSimple(
    ctx.urls,
    pr,
    pr.labels.map((n) => ctx.state.labelFor(n)),
  );
}

function pullByNumber(ctx: RestContext, param: string): EmulatedPullRequest | undefined {
  return ctx.state.pullRequests.get(Number(ctx.params[param]));
}

/** `owner:branch` or `branch` → branch of this repository, undefined for another owner (forks). */
function headBranch(ctx: RestContext, head: string): string | undefined {
  const colon = head.indexOf(":");
  if (colon < 0) return head;
  return head.slice(0, colon) === ctx.config.owner ? head.slice(colon + 1) : undefined;
}

function openDuplicate(ctx: RestContext, head: string, base: string, except?: number): EmulatedPullRequest | undefined {
  return ctx.state.openPullRequests().find((p) => p.head === head && p.base === base && p.number !== except);
}

const pullsList: RestHandler = async (ctx) => {
  const state = ctx.query.get("state") ?? "open";
  const head = ctx.query.get("head");
  const base = ctx.query.get("base");
  let pulls = [...ctx.state.pullRequests.values()].filter((p) => state === "all" || p.state === state);
  // GitHub applies `head` only in its documented `owner:branch` form; a bare branch name is ignored
  // (every PR comes back). Reproduced on purpose: clients must not rely on the bare form.
  if (head && head.includes(":")) {
    const [owner, branch] = [head.slice(0, head.indexOf(":")), head.slice(head.indexOf(":") + 1)];
    pulls = pulls.filter((p) => owner === ctx.config.owner && p.head === branch);
  }
  if (base) pulls = pulls.filter((p) => p.base === base);
  pulls.sort((a, b) => b.number - a.number);
  const perPage = Number(ctx.query.get("per_page") ?? 30);
  const page = Number(ctx.query.get("page") ?? 1);
  const slice = pulls.slice((page - 1) * perPage, page * perPage);
  return { status: 200, body: await Promise.all(slice.map((p) => simplePull(ctx, p))) };
};

const pullsCreate: RestHandler = async (ctx) => {
  const b = asBody(ctx.body);
  const title = str(b.title);
  const base = str(b.base) ?? "";
  const head = headBranch(ctx, str(b.head) ?? "");
  if (b.issue !== undefined) return unprocessable("Converting issues is not emulated");
  if (!title) return validationFailed({ resource: "PullRequest", field: "title", code: "missing_field" });
  const baseSha = await ctx.repo.refSha(`refs/heads/${base}`);
  if (!baseSha) return validationFailed({ resource: "PullRequest", field: "base", code: "invalid" });
  const headSha = head ? await ctx.repo.refSha(`refs/heads/${head}`) : undefined;
  if (!head || !headSha) return validationFailed({ resource: "PullRequest", field: "head", code: "invalid" });
  const existing = openDuplicate(ctx, head, base);
  if (existing) {
    return validationFailed({
      resource: "PullRequest",
      code: "custom",
      message: `A pull request already exists for ${ctx.config.owner}:${head}.`,
    });
  }
  if (await ctx.repo.isAncestor(headSha, baseSha)) {
    return validationFailed({
      resource: "PullRequest",
      code: "custom",
      message: `No commits between ${base} and ${head}`,
    });
  }
  const number = ctx.state.allocateNumber();
  const at = now();
  const pr: EmulatedPullRequest = {
    id: ctx.state.allocateId(),
    number,
    nodeId: nodeId("PR", number),
    title,
    body: str(b.body) ?? null,
    head,
    base,
    state: "open",
    draft: b.draft === true,
    author: ctx.config.login,
    labels: [],
    requestedReviewers: [],
    requestedTeams: [],
    autoMerge: undefined,
    headSha,
    baseSha,
    createdAt: at,
    updatedAt: at,
    closedAt: null,
    maintainerCanModify: b.maintainer_can_modify !== false,
  };
  ctx.state.pullRequests.set(number, pr);
  return {
    status: 201,
    body: await fullPull(ctx, pr),
    headers: { Location: `${ctx.urls.api}/repos/${ctx.config.owner}/${ctx.config.repo}/pulls/${number}` },
  };
};

const pullsGet: RestHandler = async (ctx) => {
  const pr = pullByNumber(ctx, "pull_number");
  return pr ? { status: 200, body: await fullPull(ctx, pr) } : notFound();
};

const pullsUpdate: RestHandler = async (ctx) => {
  const pr = pullByNumber(ctx, "pull_number");
  if (!pr) return notFound();
  const b = asBody(ctx.body);
  if (typeof b.base === "string") {
    if (!(await ctx.repo.refSha(`refs/heads/${b.base}`)))
      return validationFailed({ resource: "PullRequest", field: "base", code: "invalid" });
    pr.base = b.base;
  }
  if (b.state === "open" && pr.state === "closed") {
    if (!(await ctx.repo.refSha(`refs/heads/${pr.head}`)))
      return unprocessable("state cannot be changed. The head branch was deleted.");
    if (openDuplicate(ctx, pr.head, pr.base, pr.number)) {
      return validationFailed({
        resource: "PullRequest",
        code: "custom",
        message: `A pull request already exists for ${ctx.config.owner}:${pr.head}.`,
      });
    }
    pr.state = "open";
    pr.closedAt = null;
  } else if (b.state === "closed" && pr.state === "open") {
    pr.state = "closed";
    pr.closedAt = now();
    pr.autoMerge = undefined;
  }
  if (typeof b.title === "string") pr.title = b.title;
  if (typeof b.body === "string") pr.body = b.body;
  if (typeof b.maintainer_can_modify === "boolean") pr.maintainerCanModify = b.maintainer_can_modify;
  pr.updatedAt = now();
  return { status: 200, body: await fullPull(ctx, pr) };
};

const issuesAddLabels: RestHandler = async (ctx) => {
  const pr = pullByNumber(ctx, "issue_number");
  if (!pr) return notFound();
  const raw = Array.isArray(ctx.body) ? ctx.body : ((asBody(ctx.body).labels as unknown[] | undefined) ?? []);
  const names = raw.map((l) => (typeof l === "string" ? l : (str(asBody(l).name) ?? ""))).filter((n) => n.length > 0);
  for (const name of names) {
    const label = ctx.state.labelFor(name);
    if (!pr.labels.some((l) => l.toLowerCase() === label.name.toLowerCase())) pr.labels.push(label.name);
  }
  pr.updatedAt = now();
  return { status: 200, body: pr.labels.map((n) => ctx.objects.label(ctx.urls, ctx.state.labelFor(n))) };
};

const pullsRequestReviewers: RestHandler = async (ctx) => {
  const pr = pullByNumber(ctx, "pull_number");
  if (!pr) return notFound();
  const b = asBody(ctx.body);
  const users = ((b.reviewers as unknown[] | undefined) ?? []).filter((x): x is string => typeof x === "string");
  const teams = ((b.team_reviewers as unknown[] | undefined) ?? []).filter((x): x is string => typeof x === "string");
  if (users.includes(pr.author)) return unprocessable("Review cannot be requested from pull request author.");
  const strangers = users.filter((u) => ctx.config.collaborators && !ctx.config.collaborators.has(u));
  const unknownTeams = teams.filter((t) => ctx.config.teams && !ctx.config.teams.has(t));
  if (strangers.length || unknownTeams.length) {
    return unprocessable(
      `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${ctx.config.owner}/${ctx.config.repo} repository.`,
    );
  }
  for (const u of users) if (!pr.requestedReviewers.includes(u)) pr.requestedReviewers.push(u);
  for (const t of teams) if (!pr.requestedTeams.includes(t)) pr.requestedTeams.push(t);
  pr.updatedAt = now();
  return { status: 201, body: await simplePull(ctx, pr) };
};

const gitGetRef: RestHandler = async (ctx) => {
  const ref = `refs/${ctx.params.ref ?? ""}`;
  const sha = await ctx.repo.refSha(ref);
  return sha ? { status: 200, body: ctx.objects.gitRef(ctx.urls, ref, sha) } : notFound();
};

function protectedRef(ctx: RestContext, ref: string): boolean {
  return ref.startsWith("refs/heads/") && ctx.config.protectedBranches.has(ref.slice("refs/heads/".length));
}

const gitCreateRef: RestHandler = async (ctx) => {
  const b = asBody(ctx.body);
  const ref = str(b.ref) ?? "";
  const sha = str(b.sha) ?? "";
  // "If it doesn't start with 'refs' and have at least two slashes, it will be rejected."
  if (!/^refs\/[^/]+\/.+/.test(ref))
    return unprocessable("Reference name must start with 'refs/' and contain at least two slashes");
  if ((await ctx.repo.objectType(sha)) !== "commit") return unprocessable("Object does not exist");
  if (await ctx.repo.refSha(ref)) return unprocessable("Reference already exists");
  if (protectedRef(ctx, ref)) return unprocessable(`Protected branch update failed for ${ref}.`);
  await ctx.repo.updateRef(ref, sha, "");
  return {
    status: 201,
    body: ctx.objects.gitRef(ctx.urls, ref, sha),
    headers: { Location: `${ctx.urls.api}/repos/${ctx.config.owner}/${ctx.config.repo}/git/${ref}` },
  };
};

const gitUpdateRef: RestHandler = async (ctx) => {
  const ref = `refs/${ctx.params.ref ?? ""}`;
  const b = asBody(ctx.body);
  const sha = str(b.sha) ?? "";
  const current = await ctx.repo.refSha(ref);
  if (!current) return unprocessable("Reference does not exist");
  if ((await ctx.repo.objectType(sha)) !== "commit") return unprocessable("Object does not exist");
  if (protectedRef(ctx, ref)) return unprocessable(`Protected branch update failed for ${ref}.`);
  if (b.force !== true && !(await ctx.repo.isAncestor(current, sha)))
    return unprocessable("Update is not a fast forward");
  await ctx.repo.updateRef(ref, sha, current);
  return { status: 200, body: ctx.objects.gitRef(ctx.urls, ref, sha) };
};

const gitDeleteRef: RestHandler = async (ctx) => {
  const ref = `refs/${ctx.params.ref ?? ""}`;
  if (!(await ctx.repo.refSha(ref))) return unprocessable("Reference does not exist");
  if (protectedRef(ctx, ref)) return unprocessable(`Protected branch update failed for ${ref}.`);
  await ctx.repo.deleteRef(ref);
  return { status: 204 };
};

const gitCreateBlob: RestHandler = async (ctx) => {
  const b = asBody(ctx.body);
  const encoding = str(b.encoding) ?? "utf-8";
  if (encoding !== "utf-8" && encoding !== "utf8" && encoding !== "base64")
    return unprocessable(`encoding must be "utf-8" or "base64"`);
  const content = Buffer.from(str(b.content) ?? "", encoding === "base64" ? "base64" : "utf8");
  const sha = await ctx.repo.writeBlob(content);
  return {
    status: 201,
    body: ctx.objects.shortBlob(ctx.urls, sha),
    headers: { Location: `${ctx.urls.api}/repos/${ctx.config.owner}/${ctx.config.repo}/git/blobs/${sha}` },
  };
};

const TYPE_OF_MODE: Record<string, string> = {
  "100644": "blob",
  "100755": "blob",
  "120000": "blob",
  "040000": "tree",
  "160000": "commit",
};

const gitCreateTree: RestHandler = async (ctx) => {
  const b = asBody(ctx.body);
  const baseTree = str(b.base_tree);
  if (baseTree) {
    const type = await ctx.repo.objectType(baseTree);
    // GitHub accepts a commit sha here as well (and peels it), which create-pull-request relies on.
    if (type !== "tree" && type !== "commit") return unprocessable("base_tree is not a valid tree oid");
  }
  const edits: TreeEdit[] = [];
  for (const raw of (b.tree as unknown[] | undefined) ?? []) {
    const e = asBody(raw);
    const path = str(e.path) ?? "";
    const mode = str(e.mode) ?? "100644";
    if (e.sha !== undefined && e.content !== undefined)
      return unprocessable("Must supply either tree.sha or tree.content, not both");
    if (typeof e.content === "string") {
      edits.push({ path, mode, sha: await ctx.repo.writeBlob(Buffer.from(e.content, "utf8")) });
    } else if (e.sha === null) {
      edits.push({ path, mode, sha: null });
    } else if (typeof e.sha === "string") {
      const type = await ctx.repo.objectType(e.sha);
      if (!type || (TYPE_OF_MODE[mode] && type !== TYPE_OF_MODE[mode]))
        return unprocessable(`tree.sha ${e.sha} is not a valid ${TYPE_OF_MODE[mode] ?? "object"}`);
      edits.push({ path, mode, sha: e.sha });
    } else {
      return unprocessable("Must supply tree.sha or tree.content");
    }
  }
  const base = baseTree ? (await ctx.repo.git(["rev-parse", `${baseTree}^{tree}`])).toString().trim() : undefined;
  const sha = await ctx.repo.writeTree(base, edits);
  return {
    status: 201,
    body: ctx.objects.gitTree(ctx.urls, sha, await ctx.repo.lsTree(sha)),
    headers: { Location: `${ctx.urls.api}/repos/${ctx.config.owner}/${ctx.config.repo}/git/trees/${sha}` },
  };
};

function person(raw: unknown, fallback: PersonStamp): PersonStamp {
  const p = asBody(raw);
  const name = str(p.name);
  const email = str(p.email);
  if (!name || !email) return fallback;
  return { name, email, date: str(p.date) ?? fallback.date };
}

const gitCreateCommit: RestHandler = async (ctx) => {
  const b = asBody(ctx.body);
  const tree = str(b.tree) ?? "";
  if ((await ctx.repo.objectType(tree)) !== "tree") return unprocessable("Tree SHA does not exist");
  const parents = ((b.parents as unknown[] | undefined) ?? []).filter((p): p is string => typeof p === "string");
  for (const p of parents)
    if ((await ctx.repo.objectType(p)) !== "commit")
      return unprocessable("Parent SHA does not exist or is not a commit object");
  const at = now();
  const me: PersonStamp = { ...ctx.config.commitIdentity, date: at };
  const author = person(b.author, me);
  // With no committer (and no signature of the caller's own), GitHub commits as "GitHub" and signs:
  // that is what makes API commits "Verified".
  const signed = b.committer === undefined && b.signature === undefined;
  const committer = signed ? { name: "GitHub", email: "noreply@github.com", date: at } : person(b.committer, author);
  const sha = await ctx.repo.commitTree(tree, parents, str(b.message) ?? "", author, committer);
  if (signed) ctx.state.signedCommits.add(sha);
  return {
    status: 201,
    body: ctx.objects.gitCommit(ctx.urls, await ctx.repo.readCommit(sha), signed),
    headers: { Location: `${ctx.urls.api}/repos/${ctx.config.owner}/${ctx.config.repo}/git/commits/${sha}` },
  };
};

const gitGetCommit: RestHandler = async (ctx) => {
  const sha = ctx.params.commit_sha ?? "";
  if ((await ctx.repo.objectType(sha)) !== "commit") return notFound();
  return {
    status: 200,
    body: ctx.objects.gitCommit(ctx.urls, await ctx.repo.readCommit(sha), ctx.state.signedCommits.has(sha)),
  };
};

export const REST_HANDLERS: Readonly<Record<string, RestHandler>> = {
  "pulls/list": repoRoute(pullsList),
  "pulls/create": repoRoute(pullsCreate),
  "pulls/get": repoRoute(pullsGet),
  "pulls/update": repoRoute(pullsUpdate),
  "pulls/request-reviewers": repoRoute(pullsRequestReviewers),
  "issues/add-labels": repoRoute(issuesAddLabels),
  "git/get-ref": repoRoute(gitGetRef),
  "git/create-ref": repoRoute(gitCreateRef),
  "git/update-ref": repoRoute(gitUpdateRef),
  "git/delete-ref": repoRoute(gitDeleteRef),
  "git/create-blob": repoRoute(gitCreateBlob),
  "git/create-tree": repoRoute(gitCreateTree),
  "git/create-commit": repoRoute(gitCreateCommit),
  "git/get-commit": repoRoute(gitGetCommit),
};
