import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { git, gitAsync, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { laminarAsync as laminar } from "./helpers/cli.js";

isolateGitConfig();
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

/** A bare remote holding the manifests, and a fresh clone of it to run in. */
function manifests(files: Record<string, string>): { bare: string; workspace: string } {
  const base = mkdtempSync(join(tmpdir(), "laminar-cli-push-"));
  const bare = join(base, "remote.git");
  initBareRepo(bare, files);
  const workspace = join(base, "workspace");
  git(base, ["clone", "--quiet", bare, workspace]);
  return { bare, workspace };
}
const log = (bare: string, format = "%s"): string[] =>
  git(bare, ["log", `--format=${format}`, "main"])
    .trim()
    .split("\n");

describe("laminar apply --push / --pull-request: the Action's delivery from any CI", () => {
  let registry: RunningRegistry;
  let cache: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
      { repository: "acme/app", tag: "develop-3", created: day(3) },
    ]);
    cache = mkdtempSync(join(tmpdir(), "laminar-cli-push-cache-"));
  });
  after(async () => registry?.stop());
  const servers: GitHubApiServer[] = [];
  after(async () => Promise.all(servers.map((s) => s.close())));

  const config = (extra = "") => `updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n${extra}`;
  const apply = (workspace: string, extra: string[], env: NodeJS.ProcessEnv = {}) =>
    laminar(["apply", "--dir", workspace, "--cache", join(cache, "registry.json"), ...extra], env);

  it("--push commits as Laminar with the default message, pushes to origin, and a rerun pushes nothing", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = await apply(workspace, ["--push"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(log(bare, "%s|%an <%ae>"), [
      `k8s/app.yaml: ${h}/acme/app:develop-3|Laminar <laminar@localhost>`,
      "initial|Fixture <fixture@example.test>",
    ]);
    assert.equal(git(bare, ["show", "main:k8s/app.yaml"]), `image: ${h}/acme/app:develop-3\n`);
    const sha = git(bare, ["rev-parse", "main"]).trim();
    assert.match(r.stdout, new RegExp(`Pushed ${sha.slice(0, 12)} to main: 1 image tag\\(s\\) moved\\.`));
    assert.equal(git(workspace, ["rev-parse", "HEAD"]).trim(), sha, "the checkout ends on the pushed commit");

    const again = await apply(workspace, ["--push", "--json"]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).commitSha, undefined);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), sha);
  });

  it("--push: the branch moves on the remote during the run; it fetches, plans again and retries", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-cli-race-"));
    const marker = join(base, "raced");
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(`commands:\n  - sh race.sh\n`),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      "race.sh": `# A teammate pushes while Laminar works (once).\nif [ ! -e "${marker}" ]; then touch "${marker}"; git clone -q "$REMOTE" "${base}/other" && cd "${base}/other" && echo hi > NOTES && git add NOTES && git -c user.name=T -c user.email=t@e commit -qm "teammate" && git push -q origin HEAD:main; fi\n`,
    });
    const r = await apply(workspace, ["--push", "--json"], { REMOTE: bare });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /push rejected: main moved on the remote; fetching it and planning again \(attempt 2 of 3\)/,
    );
    assert.deepEqual(log(bare), [`k8s/app.yaml: ${h}/acme/app:develop-3`, "teammate", "initial"]);
    assert.equal(JSON.parse(r.stdout).commitSha, git(bare, ["rev-parse", "main"]).trim());
  });

  it("--push with a failing command: exit 1, nothing committed or pushed, branch and files as they were", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(`commands:\n  - echo oops >&2; exit 4\n`),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const before = git(bare, ["rev-parse", "main"]).trim();
    const r = await apply(workspace, ["--push"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /command `echo oops >&2; exit 4` failed with exit code 4/);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), before);
    assert.equal(git(workspace, ["rev-parse", "HEAD"]).trim(), before);
    assert.equal(git(workspace, ["status", "--porcelain"]), "");
    assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), `image: ${h}/acme/app:develop-1\n`);
  });

  it("--push in a clone whose remote is `upstream` (no origin): pushes there; with two remotes and no upstream it names them; --remote chooses", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-cli-upstream-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, { ".laminar.yaml": config(), "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const workspace = join(base, "workspace");
    git(base, ["clone", "--quiet", "--origin", "upstream", bare, workspace]);
    const r = await apply(workspace, ["--push"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(git(bare, ["show", "main:k8s/app.yaml"]), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(git(workspace, ["rev-parse", "refs/remotes/upstream/main"]), git(bare, ["rev-parse", "main"]));

    // A second remote, and main no longer tracks one: nothing says which; the error names both.
    const fork = join(base, "fork.git");
    git(base, ["clone", "--quiet", "--bare", bare, fork]);
    git(workspace, ["remote", "add", "fork", fork]);
    git(workspace, ["branch", "--unset-upstream"]);
    // A new file at an old tag (not a rollback of app.yaml, which would be held): something to push.
    writeFileSync(join(workspace, "k8s/second.yaml"), `image: ${h}/acme/app:develop-1\n`);
    git(workspace, ["add", "k8s/second.yaml"]);
    git(workspace, ["-c", "user.name=P", "-c", "user.email=p@e", "commit", "-qm", "second"]);
    git(workspace, ["push", "--quiet", "upstream", "main"]);
    git(workspace, ["push", "--quiet", "fork", "main"]);
    const undecided = await apply(workspace, ["--push"]);
    assert.equal(undecided.status, 1);
    assert.match(
      undecided.stderr,
      /cannot tell which git remote to use: main has no upstream, there is no "origin" and there are several remotes \(fork, upstream\)/,
    );
    const missing = await apply(workspace, ["--push", "--remote", "nope"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /--remote: there is no git remote "nope" \(remotes: fork, upstream\)/);
    const before = git(bare, ["rev-parse", "main"]);
    const chosen = await apply(workspace, ["--push", "--remote", "fork"]);
    assert.equal(chosen.status, 0, chosen.stderr);
    assert.equal(git(fork, ["show", "main:k8s/second.yaml"]), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(git(bare, ["rev-parse", "main"]), before, "the other remote is untouched");
  });

  it("--push refuses a dirty work tree: Laminar commits only its own edits", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const before = git(bare, ["rev-parse", "main"]).trim();
    writeFileSync(join(workspace, "stray.txt"), "left over by an earlier step\n");
    const r = await apply(workspace, ["--push"]);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /the working tree has uncommitted changes \(stray\.txt\); Laminar commits only its own edits/,
    );
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), before);
  });

  it("usage errors: --push with --pull-request, --pull-request without a token or repository", async () => {
    const { workspace } = manifests({ ".laminar.yaml": config() });
    const both = await apply(workspace, ["--push", "--pull-request"]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /--push and --pull-request exclude each other/);
    const onPlan = await laminar(["plan", "--dir", workspace, "--pull-request"]);
    assert.equal(onPlan.status, 2);
    assert.match(onPlan.stderr, /--pull-request works with `apply` only/);
    const noToken = await apply(workspace, ["--pull-request"], { GITHUB_REPOSITORY: "acme/manifests" });
    assert.equal(noToken.status, 2);
    assert.match(noToken.stderr, /--pull-request needs a token: --github-token or GITHUB_TOKEN/);
    const noRepo = await apply(workspace, ["--pull-request", "--github-token", "t0ken-for-test"]);
    assert.equal(noRepo.status, 2);
    assert.match(noRepo.stderr, /--pull-request needs the repository as owner\/name/);
  });

  it("--pull-request opens the pull request through the REST API, then finds it unchanged on rerun", async () => {
    const h = registry.host;
    const s = await startGitHubApiServer({
      files: { ".laminar.yaml": config(), "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` },
    });
    servers.push(s);
    const base = mkdtempSync(join(tmpdir(), "laminar-cli-pr-"));
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    const workspace = join(base, "ws");
    const mainBefore = git(s.bareRepoPath, ["rev-parse", "main"]).trim();
    const env = {
      GITHUB_TOKEN: s.token,
      GITHUB_REPOSITORY: `${s.repository.owner}/${s.repository.repo}`,
      GITHUB_SERVER_URL: s.url,
    };

    const r = await apply(workspace, ["--pull-request", "--github-api-url", s.apiUrl], env);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Pull request #\d+ created: 1 image tag\(s\) move\./);
    const [pr] = s.state.openPullRequests();
    assert.ok(pr);
    assert.equal(pr.head, "laminar/updates");
    assert.equal(pr.base, "main");
    assert.equal(pr.title, `k8s/app.yaml: ${h}/acme/app:develop-3`);
    assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(
      git(s.bareRepoPath, ["log", "-1", "--format=%an <%ae>", "laminar/updates"]).trim(),
      "Laminar <laminar@localhost>",
    );
    assert.equal(git(s.bareRepoPath, ["rev-parse", "main"]).trim(), mainBefore, "the base branch is untouched");
    assert.equal(git(workspace, ["rev-parse", "HEAD"]).trim(), mainBefore, "the checkout is back on the base");
    assert.ok(!(r.stdout + r.stderr).includes(s.token), "the token is never printed");

    const again = await apply(workspace, ["--pull-request", "--json"], { ...env, GITHUB_API_URL: s.apiUrl });
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).pullRequest, {
      operation: "unchanged",
      number: pr.number,
      url: `${s.url}/acme/manifests/pull/${pr.number}`,
    });
    assert.equal(s.state.openPullRequests().length, 1);
  });
  it("--pull-request: a concurrent run pushes the same change to the branch mid-run; Laminar retries and finds nothing to push", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-cli-pr-race-"));
    const marker = join(base, "raced");
    const s = await startGitHubApiServer({
      files: {
        ".laminar.yaml": config(`commands:\n  - sh race.sh\n`),
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        // Another run of Laminar (once) pushes its pull-request branch with the very same tree.
        "race.sh": `if [ ! -e "${marker}" ]; then touch "${marker}"; git clone -q "$REMOTE" "${base}/other" && cd "${base}/other" && echo "image: ${h}/acme/app:develop-3" > k8s/app.yaml && git -c user.name=L -c user.email=l@e commit -qam "other run" && git push -q origin HEAD:laminar/updates; fi\n`,
      },
    });
    servers.push(s);
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    const r = await apply(join(base, "ws"), ["--pull-request", "--json", "--github-api-url", s.apiUrl], {
      GITHUB_TOKEN: s.token,
      GITHUB_REPOSITORY: `${s.repository.owner}/${s.repository.repo}`,
      GITHUB_SERVER_URL: s.url,
      REMOTE: s.bareRepoPath,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /laminar\/updates was pushed to by someone else; fetching main and laminar\/updates and planning again \(attempt 2 of 3\)/,
    );
    assert.match(r.stderr, /laminar\/updates already has these changes; not pushing/);
    const theirs = git(s.bareRepoPath, ["rev-parse", "laminar/updates"]).trim();
    assert.equal(git(s.bareRepoPath, ["log", "-1", "--format=%s", theirs]).trim(), "other run", "their commit stays");
    const out = JSON.parse(r.stdout);
    assert.equal(out.commitSha, theirs);
    assert.equal(out.pullRequest.operation, "created");
    const [pr] = s.state.openPullRequests();
    assert.equal(pr?.head, "laminar/updates");
    assert.equal(pr?.title, `k8s/app.yaml: ${h}/acme/app:develop-3`);
  });
  it("--pull-request: the branch moves on every attempt; after 3 it fails, nothing of ours pushed, checkout as it was", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-cli-pr-busy-"));
    const s = await startGitHubApiServer({
      files: {
        ".laminar.yaml": config(`commands:\n  - sh race.sh\n`),
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        // Someone pushes to the pull-request branch during every attempt.
        "race.sh": `d=$(mktemp -d "${base}/other-XXXXXX") && git clone -q "$REMOTE" "$d" && cd "$d" && date +%s%N > BUSY && git add BUSY && git -c user.name=P -c user.email=p@e commit -qm busy && git push -qf origin HEAD:laminar/updates\n`,
      },
    });
    servers.push(s);
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    const workspace = join(base, "ws");
    const start = git(workspace, ["rev-parse", "HEAD"]).trim();
    const r = await apply(workspace, ["--pull-request", "--github-api-url", s.apiUrl], {
      GITHUB_TOKEN: s.token,
      GITHUB_REPOSITORY: `${s.repository.owner}/${s.repository.repo}`,
      GITHUB_SERVER_URL: s.url,
      REMOTE: s.bareRepoPath,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /\(attempt 3 of 3\)/);
    assert.match(
      r.stderr,
      /updating the pull-request branch laminar\/updates failed 3 times because main or laminar\/updates kept moving; nothing was pushed/,
    );
    assert.equal(git(s.bareRepoPath, ["log", "-1", "--format=%s", "laminar/updates"]).trim(), "busy");
    assert.equal(s.state.pullRequests.size, 0);
    assert.equal(git(workspace, ["rev-parse", "HEAD"]).trim(), start);
    assert.equal(git(workspace, ["status", "--porcelain"]), "");
    assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), `image: ${h}/acme/app:develop-1\n`);
  });
});
