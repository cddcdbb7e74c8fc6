import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAction } from "./helpers/action-runner.js";
import { git, gitAsync, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("the action in pull-request mode against a GitHub emulator checked by GitHub's OpenAPI description", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
  });
  after(async () => registry?.stop());

  const config = "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n";
  const servers: GitHubApiServer[] = [];
  after(async () => Promise.all(servers.map((s) => s.close())));

  async function github(
    files: Record<string, string>,
    extra: Parameters<typeof startGitHubApiServer>[0] = {},
  ): Promise<GitHubApiServer> {
    const s = await startGitHubApiServer({
      files,
      collaborators: ["octocat"],
      teams: ["platform"],
      autoMergeAllowed: true,
      ...extra,
    });
    servers.push(s);
    return s;
  }
  async function checkout(s: GitHubApiServer): Promise<string> {
    const base = mkdtempSync(join(tmpdir(), "laminar-pr-"));
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    return join(base, "ws");
  }
  const cache = mkdtempSync(join(tmpdir(), "laminar-pr-cache-"));
  const run = (s: GitHubApiServer, workspace: string, inputs: Record<string, string> = {}, apiUrl = s.apiUrl) =>
    runAction({
      workspace,
      inputs: { token: s.token, mode: "pull-request", cache: join(cache, "r.json"), ...inputs },
      env: { GITHUB_API_URL: apiUrl, GITHUB_SERVER_URL: s.url },
    });
  const branchSha = (s: GitHubApiServer, branch: string): string | undefined => {
    try {
      return git(s.bareRepoPath, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]).trim();
    } catch {
      return undefined;
    }
  };

  it("creates the pull request, then updates the same one on rerun, leaves it alone when nothing changed, and closes it when obsolete", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const mainBefore = branchSha(s, "main");

    // 1. Create.
    const r1 = await run(s, await checkout(s), {
      labels: "automated, deploy",
      reviewers: "octocat",
      "team-reviewers": "platform",
      "auto-merge": "squash",
    });
    assert.equal(r1.status, 0, r1.stdout + r1.stderr);
    assert.equal(r1.outputs["pull-request-operation"], "created");
    const number = Number(r1.outputs["pull-request-number"]);
    const pr = s.state.pullRequests.get(number);
    assert.ok(pr);
    assert.equal(pr.head, "laminar/updates");
    assert.equal(pr.base, "main");
    assert.equal(pr.title, `k8s/app.yaml: ${h}/acme/app:develop-2`);
    assert.match(pr.body ?? "", /\| `develop-1` → `develop-2` \|/);
    assert.deepEqual([...pr.labels].sort(), ["automated", "deploy"]);
    assert.deepEqual(pr.requestedReviewers, ["octocat"]);
    assert.deepEqual(pr.requestedTeams, ["platform"]);
    assert.equal(pr.autoMerge?.mergeMethod, "SQUASH");
    assert.equal(r1.outputs["pull-request-url"], `${s.url}/acme/manifests/pull/${number}`);
    assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]), `image: ${h}/acme/app:develop-2\n`);
    assert.equal(branchSha(s, "main"), mainBefore, "the base branch is untouched");
    assert.match(r1.summary, /Pull request #\d+ created/);

    // 2. A new build: the same pull request is updated (branch rewritten with a lease, title and body).
    await seedImages(registry, [{ repository: "acme/app", tag: "develop-3", created: day(3) }]);
    const r2 = await run(s, await checkout(s));
    assert.equal(r2.status, 0, r2.stdout);
    assert.equal(r2.outputs["pull-request-operation"], "updated");
    assert.equal(Number(r2.outputs["pull-request-number"]), number);
    assert.equal(s.state.openPullRequests().length, 1);
    assert.equal(pr.title, `k8s/app.yaml: ${h}/acme/app:develop-3`);
    assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(git(s.bareRepoPath, ["rev-list", "--count", "main..laminar/updates"]).trim(), "1");

    // 3. Nothing new: no push, nothing rewritten on GitHub.
    const headBefore = branchSha(s, "laminar/updates");
    const seen = s.requests.length;
    const r3 = await run(s, await checkout(s));
    assert.equal(r3.status, 0, r3.stdout);
    assert.equal(r3.outputs["pull-request-operation"], "unchanged", r3.stdout);
    assert.equal(branchSha(s, "laminar/updates"), headBefore);
    const writes = s.requests.slice(seen).filter((q) => q.surface === "rest" && q.method !== "GET");
    assert.deepEqual(
      writes.map((q) => q.operationId),
      [],
      "no REST write on an unchanged rerun",
    );

    // 4. Someone updated main by hand: the pull request is obsolete, closed, its branch deleted.
    const ws = await checkout(s);
    await import("node:fs/promises").then((fs) =>
      fs.writeFile(join(ws, "k8s/app.yaml"), `image: ${h}/acme/app:develop-3\n`),
    );
    git(ws, ["-c", "user.name=T", "-c", "user.email=t@e", "commit", "-qam", "manual bump"]);
    // Async: the emulator runs in this process, a synchronous git would block it.
    await gitAsync(ws, [
      "-c",
      `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`,
      "push",
      "-q",
      "origin",
      "HEAD:main",
    ]);
    const r4 = await run(s, await checkout(s));
    assert.equal(r4.status, 0, r4.stdout);
    assert.equal(r4.outputs["pull-request-operation"], "closed");
    assert.equal(pr.state, "closed");
    assert.equal(branchSha(s, "laminar/updates"), undefined);
    assert.deepEqual(s.violations, []);
  });

  it("set in pull-request mode: the given tag arrives as a pull request, marked Laminar-Set (#14)", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-2\n` });
    const r = await run(s, await checkout(s), { set: `${h}/acme/app:develop-1` });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.outputs["pull-request-operation"], "created");
    const pr = s.state.pullRequests.get(Number(r.outputs["pull-request-number"]));
    assert.equal(pr?.head, "laminar/updates");
    assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]), `image: ${h}/acme/app:develop-1\n`);
    assert.match(git(s.bareRepoPath, ["log", "-1", "--format=%B", "laminar/updates"]), /Laminar-Set: /);
  });

  it("signed commits: the pull-request commit is made by the API, verified, and fetchable", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const r = await run(s, await checkout(s), { "sign-commits": "true" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const sha = r.outputs["commit-sha"] as string;
    assert.ok(s.state.signedCommits.has(sha), "the commit was created through POST /git/commits");
    assert.equal(branchSha(s, "laminar/updates"), sha);
    assert.equal(git(s.bareRepoPath, ["show", `${sha}:k8s/app.yaml`]), `image: ${h}/acme/app:develop-3\n`);
    assert.ok(
      s.requests.some((q) => q.operationId === "git/create-tree") &&
        s.requests.some((q) => q.operationId === "git/create-blob"),
    );
    assert.deepEqual(s.violations, []);
  });

  it("signed commits in push mode move the branch through the API", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const r = await run(s, await checkout(s), { mode: "push", "sign-commits": "true" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const sha = r.outputs["commit-sha"] as string;
    assert.ok(s.state.signedCommits.has(sha));
    assert.equal(branchSha(s, "main"), sha);
    assert.deepEqual(s.violations, []);
  });

  it("signed push race: main moves while Laminar works; the shared loop fetches, re-plans and retries", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-signed-race-"));
    const marker = join(base, "raced");
    const s = await github({
      ".laminar.yaml": `${config}commands:\n  - sh race.sh\n`,
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      // A teammate pushes to main (once) between Laminar's plan and its ref update.
      "race.sh": `if [ ! -e "${marker}" ]; then touch "${marker}"; git clone -q "$REMOTE" "${base}/other" && cd "${base}/other" && echo hi > NOTES && git add NOTES && git -c user.name=T -c user.email=t@e commit -qm teammate && git push -q origin HEAD:main; fi\n`,
    });
    const r = await runAction({
      workspace: await checkout(s),
      inputs: { token: s.token, mode: "push", "sign-commits": "true", cache: join(cache, "r.json") },
      env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url, REMOTE: s.bareRepoPath },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /main moved on the remote; planning again on its new head \(attempt 2 of 3\)/);
    const sha = r.outputs["commit-sha"] as string;
    assert.ok(s.state.signedCommits.has(sha));
    assert.equal(branchSha(s, "main"), sha);
    assert.equal(git(s.bareRepoPath, ["log", "-1", "--format=%s", `${sha}^`]).trim(), "teammate");
    assert.equal(git(s.bareRepoPath, ["show", "main:NOTES"]), "hi\n");
    assert.deepEqual(s.violations, []);
  });

  /**
   * A config whose command (run once, marked by a file) lets someone else push while Laminar works:
   * between its look at the remote and its push. `then` runs in a fresh clone of the bare remote.
   */
  function racing(then: string): { config: string; script: string; base: string } {
    const base = mkdtempSync(join(tmpdir(), "laminar-pr-race-"));
    const marker = join(base, "raced");
    return {
      base,
      config: "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\ncommands:\n  - sh race.sh\n",
      script: `if [ ! -e "${marker}" ]; then touch "${marker}"; git clone -q "$REMOTE" "${base}/other" && cd "${base}/other" && ${then}; fi\n`,
    };
  }
  const commitAs = "git -c user.name=Person -c user.email=person@example.test commit -qm";
  async function racedRun(s: GitHubApiServer, inputs: Record<string, string> = {}) {
    return runAction({
      workspace: await checkout(s),
      inputs: { token: s.token, mode: "pull-request", cache: join(cache, "r.json"), ...inputs },
      env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url, REMOTE: s.bareRepoPath },
    });
  }

  for (const sign of [false, true]) {
    it(`pull-request branch race${sign ? " (signed commits)" : ""}: someone pushes to it mid-run; Laminar fetches, plans again and replaces it`, async () => {
      const h = registry.host;
      await seedImages(registry, [
        { repository: "acme/race", tag: "develop-1", created: day(1) },
        { repository: "acme/race", tag: "develop-2", created: day(2) },
      ]);
      const race = racing(
        `git checkout -qb laminar/updates && echo mine > PERSON && git add PERSON && ${commitAs} "by hand" && git push -q origin laminar/updates`,
      );
      const s = await github({
        ".laminar.yaml": race.config,
        "k8s/app.yaml": `image: ${h}/acme/race:develop-1\n`,
        "race.sh": race.script,
      });
      const mainBefore = branchSha(s, "main");
      const r = await racedRun(s, sign ? { "sign-commits": "true" } : {});
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /laminar\/updates was pushed to by someone else; fetching main and laminar\/updates and planning again \(attempt 2 of 3\)/,
      );
      // The rule of the current code, said in the log: the branch is Laminar's, a person's commit is replaced.
      assert.match(
        r.stdout,
        /laminar\/updates is at [0-9a-f]{12}; rebuilding it from main \(the branch is Laminar's own/,
      );
      assert.equal(r.outputs["pull-request-operation"], "created");
      assert.match(r.summary, /Pull request #\d+ created: 1 image tag\(s\) move \(after 2 attempts\)\./);
      const head = branchSha(s, "laminar/updates");
      assert.equal(r.outputs["commit-sha"], head);
      assert.equal(git(s.bareRepoPath, ["rev-parse", "laminar/updates^"]).trim(), mainBefore);
      assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]), `image: ${h}/acme/race:develop-2\n`);
      assert.equal(git(s.bareRepoPath, ["ls-tree", "--name-only", "laminar/updates"]).includes("PERSON"), false);
      if (sign) assert.ok(s.state.signedCommits.has(head ?? ""));
      const [pr] = s.state.openPullRequests();
      assert.equal(pr?.head, "laminar/updates");
      assert.equal(pr?.title, `k8s/app.yaml: ${h}/acme/race:develop-2`);
      assert.equal(branchSha(s, "main"), mainBefore, "the base branch is untouched");
      assert.deepEqual(s.violations, []);
    });
  }

  it("base race: main moves mid-run; the pull request is planned again on main's new head", async () => {
    const h = registry.host;
    await seedImages(registry, [
      { repository: "acme/base-race", tag: "develop-1", created: day(1) },
      { repository: "acme/base-race", tag: "develop-2", created: day(2) },
    ]);
    // The teammate adds a second manifest: only a plan on the new main can see it.
    const race = racing(
      `echo "image: ${h}/acme/base-race:develop-1" > k8s/other.yaml && git add k8s/other.yaml && ${commitAs} teammate && git push -q origin HEAD:main`,
    );
    const s = await github({
      ".laminar.yaml": race.config,
      "k8s/app.yaml": `image: ${h}/acme/base-race:develop-1\n`,
      "race.sh": race.script,
    });
    const r = await racedRun(s);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /main moved on the remote; fetching main and laminar\/updates and planning again \(attempt 2 of 3\)/,
    );
    assert.equal(r.outputs["pull-request-operation"], "created");
    assert.equal(git(s.bareRepoPath, ["log", "-1", "--format=%s", "main"]).trim(), "teammate");
    assert.equal(git(s.bareRepoPath, ["rev-parse", "laminar/updates^"]).trim(), branchSha(s, "main"));
    for (const f of ["k8s/app.yaml", "k8s/other.yaml"])
      assert.equal(git(s.bareRepoPath, ["show", `laminar/updates:${f}`]), `image: ${h}/acme/base-race:develop-2\n`);
    assert.deepEqual(JSON.parse(r.outputs["changed-files"] ?? "[]").sort(), ["k8s/app.yaml", "k8s/other.yaml"]);
    assert.deepEqual(s.violations, []);
  });

  it("GitHub Enterprise: the API under /api/v3 from GITHUB_API_URL", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const r = await run(s, await checkout(s), {}, s.enterpriseApiUrl);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // The one masker hands the token to the runner once; the GitHub client does not mask it again.
    assert.equal(r.stdout.split("\n").filter((l) => l === `::add-mask::${s.token}`).length, 1);
    assert.ok(!r.stdout.split("\n").some((l) => !l.startsWith("::add-mask::") && l.includes(s.token)));
    assert.equal(r.outputs["pull-request-operation"], "created");
    assert.ok(s.requests.filter((q) => q.surface === "rest").every((q) => q.enterprise));
    assert.deepEqual(s.violations, []);
  });

  it("a bad pr-title template is an input error before any git work: no branch pushed, no pull request", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const ws = await checkout(s);
    const r = await run(s, ws, { "pr-title": "Bump {{cout}} images" });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /::error::input `pr-title`: unknown variable \{\{cout\}\}/);
    // The point of the fix: the branch used to be pushed before the title was rendered.
    assert.equal(branchSha(s, "laminar/updates"), undefined, "the pull-request branch was not pushed");
    assert.equal(s.state.pullRequests.size, 0);
    assert.equal(git(ws, ["status", "--porcelain"]), "");
    // Nothing reached the API either: the input check runs before git and before any request.
    assert.equal(s.requests.filter((q) => q.surface === "rest" && q.method !== "GET").length, 0);
    assert.deepEqual(s.violations, []);
  });

  it("a bad pr-body or commit-message template names its input, and pushes nothing", async () => {
    const h = registry.host;
    const s = await github({ ".laminar.yaml": config, "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const body = await run(s, await checkout(s), { "pr-body": "{{#changes}}{{file}}" });
    assert.equal(body.status, 1);
    assert.match(body.stdout, /::error::input `pr-body`: \{\{#changes\}\} is not closed/);
    const msg = await run(s, await checkout(s), { "commit-message": "{{#changes}}{{count}}{{/changes}}" });
    assert.equal(msg.status, 1);
    assert.match(msg.stdout, /::error::input `commit-message`: unknown variable \{\{count\}\} inside/);
    assert.equal(branchSha(s, "laminar/updates"), undefined);
    assert.equal(s.state.pullRequests.size, 0);
  });

  it("a bad global.gitMessage in the config is a config error naming the key; nothing pushed", async () => {
    const h = registry.host;
    const s = await github({
      ".laminar.yaml": `global:\n  gitMessage: "Bump {{imgs}}"\n${config}`,
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = await run(s, await checkout(s));
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /::error::config error: \.laminar\.yaml:2:\d+: global\.gitMessage: unknown variable \{\{imgs\}\}/,
    );
    assert.equal(branchSha(s, "laminar/updates"), undefined);
    assert.equal(s.state.pullRequests.size, 0);
  });

  it("the config's global gitUser, gitEmail and gitMessage apply in pull-request mode when no input is given", async () => {
    const h = registry.host;
    const s = await github({
      ".laminar.yaml": `global:\n  gitUser: Config Bot\n  gitEmail: config-bot@example.test\n  gitMessage: "chore: bump {{images}}"\n${config}`,
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = await run(s, await checkout(s));
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const commit = git(s.bareRepoPath, ["log", "-1", "--format=%B%n--%an <%ae>", "laminar/updates"]);
    assert.match(commit, new RegExp(`^chore: bump ${h.replace(/[.]/g, "\\.")}/acme/app:develop-\\d\n`));
    assert.match(commit, /--Config Bot <config-bot@example\.test>/);

    assert.deepEqual(s.violations, []);

    // The inputs still win over the config, in this mode as in push mode (a fresh repository, so
    // the shared registry is not reseeded under the other tests).
    const s2 = await github({
      ".laminar.yaml": `global:\n  gitUser: Config Bot\n  gitMessage: "chore: bump {{images}}"\n${config}`,
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r2 = await run(s2, await checkout(s2), {
      author: "Input Bot <input@example.test>",
      "commit-message": "{{summary}}",
    });
    assert.equal(r2.status, 0, r2.stdout + r2.stderr);
    const fromInputs = git(s2.bareRepoPath, ["log", "-1", "--format=%B%n--%an <%ae>", "laminar/updates"]);
    assert.match(fromInputs, /^k8s\/app\.yaml: .*acme\/app:develop-\d\n/);
    assert.match(fromInputs, /--Input Bot <input@example\.test>/);
    assert.deepEqual(s2.violations, []);
  });

  it("a failing command opens nothing and pushes nothing", async () => {
    const h = registry.host;
    const s = await github({
      ".laminar.yaml": `${config}commands:\n  - exit 9\n`,
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const ws = await checkout(s);
    const r = await run(s, ws);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /::error::command `exit 9` failed with exit code 9/);
    assert.equal(s.state.pullRequests.size, 0);
    assert.equal(branchSha(s, "laminar/updates"), undefined);
    assert.equal(git(ws, ["status", "--porcelain"]), "");
    assert.deepEqual(s.violations, []);
  });
});
