import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createGitCommandManager } from "../src/git/git-command-manager.js";
import { createGitHubApi } from "../src/github/github-api.js";
import { createOctokit } from "../src/github/octokit-client.js";
import type { GitHubApi } from "../src/github/types.js";
import { commitFiles, git, gitAsync, isolateGitConfig, tempDir } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";

isolateGitConfig();

const FILES = {
  "deploy.yaml": "image: nginx:1.25.3\n",
  "README.md": "# manifests\n",
  "apps/web/values.yaml": "tag: v1\n",
};
// Tests do not need GitHub's one-second spacing of writes; one suite below keeps it on.
const FAST = { throttle: false, retryAfterBaseMs: 5 } as const;

function apiFor(server: GitHubApiServer, baseUrl = server.apiUrl): GitHubApi {
  return createGitHubApi({ token: server.token, baseUrl, repository: server.repository, tuning: FAST });
}

function assertClean(server: GitHubApiServer): void {
  assert.deepEqual(server.violations, [], "requests that do not conform to GitHub's OpenAPI description");
  assert.deepEqual(server.responseViolations, [], "emulator responses that do not match the response schemas");
}

/** A branch with one commit on top of main, made directly in the "GitHub-side" repository. */
function branchWithChange(server: GitHubApiServer, branch: string, content: string): string {
  const main = git(server.bareRepoPath, ["rev-parse", "main"]).trim();
  git(server.bareRepoPath, ["update-ref", `refs/heads/${branch}`, main]);
  return commitFiles(server.bareRepoPath, branch, { "deploy.yaml": content }, `deploy.yaml: nginx:${content}`);
}

describe("GitHubApi: pull requests", () => {
  let server: GitHubApiServer;
  let api: GitHubApi;
  before(async () => {
    server = await startGitHubApiServer({ files: FILES, collaborators: ["alice", "bob"], teams: ["platform"] });
    api = apiFor(server);
  });
  after(async () => {
    try {
      assertClean(server);
    } finally {
      await server.close();
    }
  });

  it("creates a pull request and returns what orchestration needs", async () => {
    const head = branchWithChange(server, "laminar/nginx", "image: nginx:1.25.4\n");
    const pr = await api.createOrUpdatePullRequest({
      head: "laminar/nginx",
      base: "main",
      title: "deploy.yaml: nginx:1.25.4",
      body: "one change",
    });
    assert.equal(pr.created, true);
    assert.equal(pr.number, 1);
    assert.equal(pr.state, "open");
    assert.equal(pr.headRef, "laminar/nginx");
    assert.equal(pr.headSha, head);
    assert.equal(pr.baseRef, "main");
    assert.equal(pr.htmlUrl, `${server.url}/acme/manifests/pull/1`);
    assert.match(pr.nodeId, /^PR_/);
    assert.equal(pr.draft, false);
  });

  it("falls back to updating when GitHub says the pull request already exists (422)", async () => {
    const pr = await api.createOrUpdatePullRequest({
      head: "laminar/nginx",
      base: "main",
      title: "Update 2 images",
      body: "two changes",
    });
    assert.equal(pr.created, false);
    assert.equal(pr.number, 1);
    assert.equal(pr.title, "Update 2 images");
    assert.equal(server.state.pullRequests.get(1)?.body, "two changes");
    const trail = server.requests.slice(-3).map((r) => `${r.operationId} ${r.status}`);
    assert.deepEqual(trail, ["pulls/create 422", "pulls/list 200", "pulls/update 200"]);
  });

  it("finds the open pull request by branch, asking with owner:branch", async () => {
    const found = await api.findOpenPullRequest("laminar/nginx");
    assert.equal(found?.number, 1);
    assert.ok(server.requests.at(-1)?.query.includes("head=acme%3Alaminar%2Fnginx"), server.requests.at(-1)?.query);
    assert.equal(await api.findOpenPullRequest("laminar/other"), undefined);
    assert.equal((await api.findOpenPullRequest("laminar/nginx", "release"))?.number, undefined);
  });

  it("adds labels (existing ones stay)", async () => {
    await api.addLabels(1, ["dependencies", "laminar"]);
    await api.addLabels(1, ["laminar", "automerge"]);
    await api.addLabels(1, []);
    assert.deepEqual((await api.getPullRequest(1)).labels, ["dependencies", "laminar", "automerge"]);
  });

  it("requests user and team reviewers (org/ prefix stripped)", async () => {
    await api.requestReviewers(1, { users: ["alice"], teams: ["acme/platform"] });
    const pr = server.state.pullRequests.get(1);
    assert.deepEqual(pr?.requestedReviewers, ["alice"]);
    assert.deepEqual(pr?.requestedTeams, ["platform"]);
    const body = server.requests.at(-1)?.body;
    assert.deepEqual(body, { reviewers: ["alice"], team_reviewers: ["platform"] });
  });

  it("surfaces GitHub's refusal of a reviewer", async () => {
    await assert.rejects(
      api.requestReviewers(1, { users: ["github-actions[bot]"] }),
      /Review cannot be requested from pull request author/,
    );
    await assert.rejects(api.requestReviewers(1, { users: ["mallory"] }), /only be requested from collaborators/);
  });

  it("enables auto-merge through GraphQL with the PR's node id", async () => {
    const pr = await api.getPullRequest(1);
    assert.deepEqual(await api.enableAutoMerge(pr.nodeId, "SQUASH"), { kind: "enabled", mergeMethod: "SQUASH" });
    assert.equal(server.state.pullRequests.get(1)?.autoMerge?.mergeMethod, "SQUASH");
    const last = server.requests.at(-1);
    assert.equal(last?.surface, "graphql");
    assert.equal(last?.path, "/graphql");
    const refused = await api.enableAutoMerge("PR_doesNotExist", "MERGE");
    assert.equal(refused.kind, "refused");
    assert.match(refused.kind === "refused" ? refused.message : "", /Could not resolve to a node/);
  });

  it("closes the pull request and deletes its branch", async () => {
    await api.closePullRequest(1);
    assert.equal(server.state.pullRequests.get(1)?.state, "closed");
    assert.equal(await server.bareRepo.refSha("refs/heads/laminar/nginx"), undefined);
    assert.equal(await api.findOpenPullRequest("laminar/nginx"), undefined);
    assert.equal(await api.deleteBranch("laminar/nginx"), false);
    // The DELETE went to /git/refs/heads/laminar/nginx, slash-encoded by Octokit.
    const del = server.requests.filter((r) => r.operationId === "git/delete-ref");
    assert.equal(del.length, 2);
    assert.match(del[0]?.path ?? "", /\/git\/refs\/heads(%2F|\/)laminar(%2F|\/)nginx$/);
  });

  it("refuses to create a pull request for a branch that has nothing new", async () => {
    const main = git(server.bareRepoPath, ["rev-parse", "main"]).trim();
    git(server.bareRepoPath, ["update-ref", "refs/heads/laminar/empty", main]);
    await assert.rejects(
      api.createOrUpdatePullRequest({ head: "laminar/empty", base: "main", title: "t", body: "" }),
      /No commits between main and laminar\/empty/,
    );
  });
});

describe("GitHubApi: signed commits and branch updates", () => {
  let server: GitHubApiServer;
  let api: GitHubApi;
  before(async () => {
    server = await startGitHubApiServer({ files: FILES, protectedBranches: ["main"] });
    api = apiFor(server);
  });
  after(async () => {
    try {
      assertClean(server);
    } finally {
      await server.close();
    }
  });

  it("creates blobs, a tree on the parent's tree and a verified commit; a later git fetch sees it", async () => {
    const parent = (await api.getBranchSha("main")) ?? "";
    assert.match(parent, /^[0-9a-f]{40}$/);
    const commit = await api.createSignedCommit({
      parent,
      message: "Update 2 images\n\ndeploy.yaml: nginx 1.25.3 → 1.25.4\napps/web/values.yaml: app v1 → v2\n",
      files: [
        { path: "deploy.yaml", content: "image: nginx:1.25.4\n" },
        { path: "apps/web/values.yaml", content: Buffer.from("tag: v2\n") },
        { path: "scripts/run.sh", content: "#!/bin/sh\necho hi\n", mode: "100755" },
        { path: "README.md", deleted: true },
      ],
    });
    assert.equal(commit.verified, true);
    assert.equal(commit.reason, "valid");
    assert.deepEqual(await api.updateBranch("laminar/signed", commit.sha, { force: true }), {
      kind: "created",
      sha: commit.sha,
    });

    // Fetch it over smart HTTP with our git wrapper, as the action would.
    const tmp = tempDir();
    try {
      const work = join(tmp.path, "clone");
      await gitAsync(tmp.path, [
        "-c",
        `http.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${server.token}`).toString("base64")}`,
        "clone",
        "--quiet",
        server.gitUrl,
        work,
      ]);
      const g = await createGitCommandManager(work, { credentials: { serverUrl: server.url, token: server.token } });
      await g.fetch({ refspecs: ["+refs/heads/laminar/signed:refs/remotes/origin/laminar/signed"] });
      assert.equal(await g.revParse("origin/laminar/signed"), commit.sha);
      assert.equal(await g.revParse("origin/laminar/signed~1"), parent);
      assert.equal(await g.revParse("origin/laminar/signed^{tree}"), commit.treeSha);
      await g.checkoutBranch("laminar/signed", "origin/laminar/signed");
      assert.equal(readFileSync(join(work, "deploy.yaml"), "utf8"), "image: nginx:1.25.4\n");
      assert.equal(readFileSync(join(work, "apps/web/values.yaml"), "utf8"), "tag: v2\n");
      assert.equal(statSync(join(work, "scripts/run.sh")).mode & 0o111, 0o111);
      assert.throws(() => statSync(join(work, "README.md")));
      assert.equal(
        git(work, ["log", "-1", "--format=%an|%cn <%ce>|%B"]).trim(),
        "github-actions[bot]|GitHub <noreply@github.com>|Update 2 images\n\ndeploy.yaml: nginx 1.25.3 → 1.25.4\napps/web/values.yaml: app v1 → v2",
      );
    } finally {
      tmp.remove();
    }
  });

  it("force-updates an existing PR branch, and types fast-forward and protection refusals", async () => {
    const main = (await api.getBranchSha("main")) ?? "";
    const other = await api.createSignedCommit({
      parent: main,
      message: "other",
      files: [{ path: "x.txt", content: "x" }],
    });
    // laminar/signed exists and `other` is not its descendant.
    assert.deepEqual(await api.updateBranch("laminar/signed", other.sha, { force: false }), {
      kind: "rejected-non-fast-forward",
      message: "Update is not a fast forward - https://docs.github.com/rest",
    });
    assert.deepEqual(await api.updateBranch("laminar/signed", other.sha, { force: true }), {
      kind: "updated",
      sha: other.sha,
    });
    assert.equal(await server.bareRepo.refSha("refs/heads/laminar/signed"), other.sha);

    const onMain = await api.createSignedCommit({
      parent: main,
      message: "direct",
      files: [{ path: "y.txt", content: "y" }],
    });
    const refused = await api.updateBranch("main", onMain.sha, { force: false });
    assert.equal(refused.kind, "rejected-protected");
    assert.equal(await server.bareRepo.refSha("refs/heads/main"), main);
  });

  it("reports a missing branch as undefined and deletes branches", async () => {
    assert.equal(await api.getBranchSha("nope"), undefined);
    assert.equal(await api.deleteBranch("laminar/signed"), true);
    assert.equal(await api.getBranchSha("laminar/signed"), undefined);
  });

  it("retries a 502 (plugin-retry) and succeeds", async () => {
    server.injectFault({ operationId: "git/get-ref", status: 502, times: 1 });
    const before = server.requests.length;
    assert.match((await api.getBranchSha("main")) ?? "", /^[0-9a-f]{40}$/);
    assert.deepEqual(
      server.requests.slice(before).map((r) => r.status),
      [502, 200],
    );
  });
});

describe("GitHubApi: GitHub Enterprise Server base URL", () => {
  let server: GitHubApiServer;
  const saved = process.env.GITHUB_API_URL;
  before(async () => {
    server = await startGitHubApiServer({ files: FILES, owner: "platform", repo: "deploys" });
    process.env.GITHUB_API_URL = `${server.enterpriseApiUrl}/`;
  });
  after(async () => {
    if (saved === undefined) delete process.env.GITHUB_API_URL;
    else process.env.GITHUB_API_URL = saved;
    try {
      assertClean(server);
    } finally {
      await server.close();
    }
  });

  it("takes GITHUB_API_URL (…/api/v3), sends REST there and GraphQL to /api/graphql; throttling on", async () => {
    const masked: string[] = [];
    // No baseUrl and no tuning: production defaults (GITHUB_API_URL, retry, throttling).
    const api = createGitHubApi({
      token: server.token,
      repository: server.repository,
      maskSecret: (s) => masked.push(s),
    });
    assert.deepEqual(masked, [server.token]);
    branchWithChange(server, "laminar/ghe", "image: nginx:9\n");
    const pr = await api.createOrUpdatePullRequest({
      head: "laminar/ghe",
      base: "main",
      title: "t",
      body: "b",
      draft: true,
    });
    assert.equal(pr.draft, true);
    assert.equal(pr.htmlUrl, `${server.url}/platform/deploys/pull/1`);
    assert.deepEqual(await api.enableAutoMerge(pr.nodeId, "MERGE"), { kind: "enabled", mergeMethod: "MERGE" });
    assert.ok(server.requests.length >= 2);
    for (const r of server.requests) assert.equal(r.enterprise, true, `${r.method} ${r.path}`);
    assert.deepEqual(
      server.requests.map((r) => r.path),
      ["/api/v3/repos/platform/deploys/pulls", "/api/graphql"],
    );
  });

  it("waits out a secondary rate limit once (plugin-throttling) and succeeds", async () => {
    const warnings: string[] = [];
    const api = createGitHubApi({
      token: server.token,
      repository: server.repository,
      log: { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
    });
    server.injectFault({
      operationId: "pulls/get",
      status: 403,
      body: {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        documentation_url: "https://docs.github.com/rest",
      },
      headers: { "retry-after": "1" },
    });
    const started = Date.now();
    assert.equal((await api.getPullRequest(1)).number, 1);
    assert.ok(Date.now() - started >= 900, "waited for retry-after");
    assert.match(warnings.join("\n"), /secondary rate limit hit for GET/);
  });

  it("reports an auto-merge refusal without throwing", async () => {
    const refusing = await startGitHubApiServer({ files: FILES, autoMergeAllowed: false });
    try {
      const api = apiFor(refusing, refusing.enterpriseApiUrl);
      branchWithChange(refusing, "laminar/x", "image: nginx:10\n");
      const pr = await api.createOrUpdatePullRequest({ head: "laminar/x", base: "main", title: "t", body: "b" });
      assert.deepEqual(await api.enableAutoMerge(pr.nodeId, "SQUASH"), {
        kind: "refused",
        message: "Pull request Auto merge is not allowed for this repository",
      });
      assertClean(refusing);
    } finally {
      await refusing.close();
    }
  });
});

describe("the emulator's OpenAPI validation catches client mistakes", () => {
  let server: GitHubApiServer;
  /** Octokit without its route typings: these requests are wrong on purpose. */
  const raw = (route: string, params: Record<string, unknown>) =>
    createOctokit({ token: server.token, baseUrl: server.apiUrl, tuning: FAST }).request(route, params);
  before(async () => {
    server = await startGitHubApiServer({ files: FILES });
  });
  after(async () => {
    assert.deepEqual(server.responseViolations, []);
    await server.close();
  });

  it("a body that does not match the operation's schema: 422 and a recorded violation", async () => {
    await assert.rejects(
      raw("POST /repos/{owner}/{repo}/pulls", {
        owner: "acme",
        repo: "manifests",
        head: "x",
        base: "main",
        title: 5,
        draft: "yes",
        labels: ["x"],
      }),
      (e: unknown) => (e as { status?: number }).status === 422,
    );
    const v = server.violations.at(-1);
    assert.equal(v?.kind, "request");
    assert.equal(v?.operationId, "pulls/create");
    assert.deepEqual(v?.problems, [
      "body/title must be string",
      "body/draft must be boolean",
      'body has property "labels" that the operation does not define',
    ]);
  });

  it("a misspelt optional field GitHub would silently ignore", async () => {
    await assert.rejects(
      raw("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
        owner: "acme",
        repo: "manifests",
        pull_number: 1,
        team_reviewer: ["x"],
      }),
    );
    assert.deepEqual(server.violations.at(-1)?.problems, [
      'body has property "team_reviewer" that the operation does not define',
    ]);
  });

  it("bad path and query parameters, and a missing required body", async () => {
    await assert.rejects(
      raw("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "manifests", pull_number: "one" }),
    );
    assert.deepEqual(server.violations.at(-1)?.problems, ["path parameter pull_number=one is not an integer"]);
    await assert.rejects(
      raw("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "manifests", state: "opened", heads: "x" }),
    );
    assert.deepEqual(server.violations.at(-1)?.problems, [
      "query parameter state must be equal to one of the allowed values (open, closed, all)",
      "unknown query parameter heads",
    ]);
    await assert.rejects(raw("GET /search/code", {}));
    assert.deepEqual(server.violations.at(-1)?.problems, ["required query parameter q is missing"]);
    await assert.rejects(raw("POST /repos/{owner}/{repo}/git/refs", { owner: "acme", repo: "manifests" }));
    assert.deepEqual(server.violations.at(-1)?.problems, ["request body is required"]);
  });

  it("an unknown route and a wrong method: 404 and recorded", async () => {
    await assert.rejects(
      raw("GET /repos/{owner}/{repo}/frobnicate", { owner: "acme", repo: "manifests" }),
      (e: unknown) => (e as { status?: number }).status === 404,
    );
    assert.equal(server.violations.at(-1)?.kind, "unknown-route");
    await assert.rejects(
      raw("PUT /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "manifests" }),
      (e: unknown) => (e as { status?: number }).status === 404,
    );
    assert.equal(server.violations.at(-1)?.kind, "method-not-allowed");
  });

  it("a request without the token, and a GraphQL operation it does not know", async () => {
    const res = await fetch(`${server.apiUrl}/repos/acme/manifests/pulls`);
    assert.equal(res.status, 401);
    assert.equal(server.violations.at(-1)?.kind, "auth");
    const octokit = createOctokit({ token: server.token, baseUrl: server.apiUrl, tuning: FAST });
    await assert.rejects(
      octokit.graphql("mutation($id: ID!) { mergePullRequest(input: { pullRequestId: $id }) { clientMutationId } }", {
        id: "x",
      }),
    );
    assert.equal(server.violations.at(-1)?.kind, "graphql");
    await assert.rejects(
      octokit.graphql(
        "mutation($id: ID!) { enablePullRequestAutoMerge(input: { pullRequestId: $id, mergeMethod: $method }) { clientMutationId } }",
        { id: "x" },
      ),
    );
    assert.deepEqual(server.violations.at(-1)?.problems, ["graphql: variable $method is used but not declared"]);
  });
});
