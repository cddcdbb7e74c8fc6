import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createGitCommandManager, type GitCommandManager } from "../src/git/git-command-manager.js";
import { basicCredential } from "../src/git/http-auth.js";
import { classifyPush } from "../src/git/push-result.js";
import { chooseRemote, RemoteError } from "../src/git/remote.js";
import { fetchBranch } from "../src/delivery/remote-branch.js";
import { serveGitHttp } from "./helpers/github-api/git-http-backend.js";
import {
  clone,
  commitFiles,
  git,
  gitAsync,
  initBareRepo,
  isolateGitConfig,
  tempDir,
  writeFile,
  type TempDir,
} from "./helpers/github-api/git-fixtures.js";

isolateGitConfig();

const bot = { name: "laminar[bot]", email: "laminar@example.test", date: new Date("2024-05-01T12:00:00Z") };

/** A bare "origin" and a clone of it, both in a fresh temp dir. */
async function setup(files: Record<string, string> = { "deploy.yaml": "image: nginx:1.25.3\n" }) {
  const tmp = tempDir();
  const remote = join(tmp.path, "origin.git");
  const base = initBareRepo(remote, files);
  const work = clone(remote, join(tmp.path, "work"));
  const g = await createGitCommandManager(work);
  return { tmp, remote, work, base, git: g };
}

async function commitEdit(g: GitCommandManager, work: string, content: string, message = "edit"): Promise<string> {
  writeFile(work, "deploy.yaml", content);
  await g.add(["deploy.yaml"]);
  return g.commit({ message, author: bot });
}

describe("GitCommandManager: local state", () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => (ctx = await setup()));
  after(() => ctx.tmp.remove());

  it("reports its version and refuses nothing on a modern git", () => {
    assert.ok(ctx.git.version[0] >= 2);
  });

  it("detects a dirty tree: modified, untracked, staged; and restores it", async () => {
    const g = ctx.git;
    assert.equal(await g.isDirty(), false);
    writeFile(ctx.work, "deploy.yaml", "image: nginx:9\n");
    writeFile(ctx.work, "new/file.txt", "x");
    const status = await g.status();
    assert.deepEqual(
      status.map((s) => [s.index, s.worktree, s.path]),
      [
        [" ", "M", "deploy.yaml"],
        ["?", "?", "new/file.txt"],
      ],
    );
    assert.equal(await g.isDirty(["deploy.yaml"]), true);
    assert.deepEqual(await g.diffNameOnly(), ["deploy.yaml"]);

    await g.add(["deploy.yaml"]);
    assert.deepEqual(await g.diffNameOnly({ cached: true }), ["deploy.yaml"]);
    await g.restore(["deploy.yaml"], { staged: true, worktree: true, source: "HEAD" });
    assert.equal(readFileSync(join(ctx.work, "deploy.yaml"), "utf8"), "image: nginx:1.25.3\n");
    git(ctx.work, ["clean", "-fdq"]);
    assert.equal(await g.isDirty(), false);
  });

  it("detects a detached HEAD and leaves it with checkout -B", async () => {
    const g = ctx.git;
    assert.equal(await g.currentBranch(), "main");
    assert.equal(await g.isDetached(), false);
    git(ctx.work, ["checkout", "--quiet", "--detach", "HEAD"]);
    assert.equal(await g.currentBranch(), undefined);
    assert.equal(await g.isDetached(), true);
    await g.checkoutBranch("laminar/update", "HEAD");
    assert.equal(await g.currentBranch(), "laminar/update");
    await g.checkoutBranch("main");
  });

  it("rev-parses, and tells a missing revision apart", async () => {
    const g = ctx.git;
    assert.equal(await g.revParse("HEAD"), ctx.base);
    assert.equal(await g.revParse("origin/main"), ctx.base);
    assert.equal(await g.tryRevParse("refs/heads/does-not-exist"), undefined);
    await assert.rejects(g.revParse("nope"), /GitCommandError|failed/);
  });

  it("commits with the given author and committer and returns the sha", async () => {
    const g = ctx.git;
    writeFile(ctx.work, "deploy.yaml", "image: nginx:1.25.4\n");
    await g.add(["deploy.yaml"]);
    const sha = await g.commit({
      message: "deploy.yaml: nginx:1.25.4\n\n# a line starting with a hash is kept\n",
      author: bot,
      committer: { name: "Committer", email: "c@example.test" },
    });
    assert.equal(sha, await g.revParse("HEAD"));
    const info = git(ctx.work, ["log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%B"]);
    assert.equal(
      info,
      "laminar[bot] <laminar@example.test>|Committer <c@example.test>|1714564800|deploy.yaml: nginx:1.25.4\n\n# a line starting with a hash is kept\n\n",
    );
    assert.deepEqual(await g.diffNameOnly({ from: "HEAD~1", to: "HEAD" }), ["deploy.yaml"]);
    assert.equal((await g.fileModes(["deploy.yaml"])).get("deploy.yaml"), "100644");
    await g.resetHard(ctx.base);
    assert.equal(await g.revParse("HEAD"), ctx.base);
  });
});

describe("GitCommandManager: push results", () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  before(async () => (ctx = await setup()));
  after(() => ctx.tmp.remove());

  it("pushes: ok / fast-forward, and the remote has the commit", async () => {
    const sha = await commitEdit(ctx.git, ctx.work, "image: nginx:1.25.4\n");
    const r = await ctx.git.push({ branch: "main" });
    assert.deepEqual(r, { kind: "ok", ref: "refs/heads/main", status: "fast-forward" });
    assert.equal(git(ctx.remote, ["rev-parse", "main"]).trim(), sha);
    assert.equal(await ctx.git.remoteBranchSha("main"), sha);
    assert.deepEqual((await ctx.git.push({ branch: "main" })).kind, "ok");
  });

  it("is rejected as non-fast-forward when the branch moved, and succeeds after fetch + redo", async () => {
    const other = commitFiles(ctx.remote, "main", { "other.txt": "someone else\n" }, "concurrent");
    await commitEdit(ctx.git, ctx.work, "image: nginx:1.25.5\n");
    const r = await ctx.git.push({ branch: "main" });
    assert.equal(r.kind, "rejected-non-fast-forward");
    assert.ok(r.kind === "rejected-non-fast-forward" && r.reason === "fetch first", JSON.stringify(r));

    await ctx.git.fetch({ refspecs: ["+refs/heads/main:refs/remotes/origin/main"] });
    assert.equal(await ctx.git.revParse("origin/main"), other);
    await ctx.git.resetHard("origin/main");
    await commitEdit(ctx.git, ctx.work, "image: nginx:1.25.5\n");
    assert.equal((await ctx.git.push({ branch: "main" })).kind, "ok");
  });

  it("is rejected as non-fast-forward (not fetch first) when we know the newer remote commit", async () => {
    commitFiles(ctx.remote, "main", { "other.txt": "again\n" }, "concurrent 2");
    await ctx.git.fetch({ refspecs: ["+refs/heads/main:refs/remotes/origin/main"] });
    await commitEdit(ctx.git, ctx.work, "image: nginx:1.26.0\n");
    const r = await ctx.git.push({ branch: "main" });
    assert.equal(r.kind, "rejected-non-fast-forward");
    assert.ok(r.kind === "rejected-non-fast-forward" && r.reason === "non-fast-forward");
    await ctx.git.resetHard("origin/main");
  });

  it("reports a pre-receive hook refusal as rejected-protected with the server's words", async () => {
    const hook = join(ctx.remote, "hooks", "pre-receive");
    writeFileSync(
      hook,
      '#!/bin/sh\necho "GH006: Protected branch update failed for refs/heads/main." >&2\necho "error: Changes must be made through a pull request." >&2\nexit 1\n',
    );
    chmodSync(hook, 0o755);
    try {
      await commitEdit(ctx.git, ctx.work, "image: nginx:1.27.0\n");
      const r = await ctx.git.push({ branch: "main" });
      assert.equal(r.kind, "rejected-protected", JSON.stringify(r));
      if (r.kind !== "rejected-protected") return;
      assert.equal(r.reason, "pre-receive hook declined");
      assert.deepEqual(r.remoteMessages, [
        "GH006: Protected branch update failed for refs/heads/main.",
        "error: Changes must be made through a pull request.",
      ]);
    } finally {
      writeFileSync(hook, "#!/bin/sh\nexit 0\n");
    }
  });

  it("force-with-lease: creates a PR branch only if absent, rewrites it only from the expected sha", async () => {
    const g = ctx.git;
    const branch = "laminar/nginx";
    await g.resetHard("origin/main");
    const first = await commitEdit(g, ctx.work, "image: nginx:2.0.0\n");
    assert.deepEqual(await g.push({ branch, expectedSha: null }), {
      kind: "ok",
      ref: `refs/heads/${branch}`,
      status: "created",
    });
    // Pushing the same commit again is simply up to date: nothing to protect.
    assert.deepEqual(await g.push({ branch, expectedSha: null }), {
      kind: "ok",
      ref: `refs/heads/${branch}`,
      status: "up-to-date",
    });

    // Rewrite the branch (the usual "reset to base, re-apply, force push" of a PR branch).
    await g.resetHard("origin/main");
    const second = await commitEdit(g, ctx.work, "image: nginx:2.0.1\n");
    // A second "create" of different content must not clobber what is now there.
    assert.equal((await g.push({ branch, expectedSha: null })).kind, "rejected-stale-lease");
    assert.deepEqual(await g.push({ branch, expectedSha: first }), {
      kind: "ok",
      ref: `refs/heads/${branch}`,
      status: "forced",
    });
    assert.equal(git(ctx.remote, ["rev-parse", branch]).trim(), second);

    // Someone else pushed to the PR branch meanwhile: our stale lease must lose.
    const theirs = commitFiles(ctx.remote, branch, { "extra.txt": "human fix\n" }, "review fixup");
    await g.resetHard("origin/main");
    await commitEdit(g, ctx.work, "image: nginx:2.0.2\n");
    const r = await g.push({ branch, expectedSha: second });
    assert.equal(r.kind, "rejected-stale-lease");
    assert.equal(git(ctx.remote, ["rev-parse", branch]).trim(), theirs);
  });

  it("lists remote refs exactly and deletes a remote branch (with a lease)", async () => {
    const g = ctx.git;
    const refs = await g.lsRemote(["refs/heads/laminar/nginx", "refs/heads/main", "refs/heads/missing"]);
    assert.deepEqual([...refs.keys()].sort(), ["refs/heads/laminar/nginx", "refs/heads/main"]);
    const sha = refs.get("refs/heads/laminar/nginx");
    assert.ok(sha);
    assert.equal(
      (await g.deleteRemoteBranch("laminar/nginx", { expectedSha: "0".repeat(40) })).kind,
      "rejected-stale-lease",
    );
    assert.deepEqual(await g.deleteRemoteBranch("laminar/nginx", { expectedSha: sha }), {
      kind: "ok",
      ref: "refs/heads/laminar/nginx",
      status: "deleted",
    });
    assert.equal(await g.remoteBranchSha("laminar/nginx"), undefined);
  });

  it("returns kind error (with git's stderr) when the remote is unreachable", async () => {
    git(ctx.work, ["remote", "add", "nowhere", join(ctx.tmp.path, "missing.git")]);
    const r = await ctx.git.push({ branch: "main", remote: "nowhere" });
    assert.equal(r.kind, "error");
    assert.ok(
      r.kind === "error" && /does not appear to be a git repository|Could not read/.test(r.stderr),
      JSON.stringify(r),
    );
  });
});

describe("the remote: not always origin", () => {
  it("chooses the setting, else the branch's upstream, else origin, else the only one; names the remotes otherwise", () => {
    const remotes = ["fork", "origin", "upstream"];
    assert.equal(chooseRemote({ remotes, setting: { name: "fork", from: "--remote" }, upstream: "upstream" }), "fork");
    assert.equal(chooseRemote({ remotes, branch: "main", upstream: "upstream" }), "upstream");
    assert.equal(chooseRemote({ remotes, branch: "main", upstream: "." }), "origin", "a local upstream is no remote");
    assert.equal(chooseRemote({ remotes, branch: "main" }), "origin");
    assert.equal(chooseRemote({ remotes: ["upstream"] }), "upstream");
    assert.throws(
      () => chooseRemote({ remotes, setting: { name: "nope", from: "input `remote`" } }),
      (e: Error) =>
        e instanceof RemoteError &&
        e.message === 'input `remote`: there is no git remote "nope" (remotes: fork, origin, upstream)',
    );
    assert.throws(
      () => chooseRemote({ remotes: ["fork", "upstream"] }),
      /HEAD is detached, there is no "origin" and there are several remotes \(fork, upstream\); set the remote/,
    );
    assert.throws(() => chooseRemote({ remotes: [] }), /the checkout has no git remote/);
  });

  it("a clone whose remote is `upstream`: fetch, ls-remote and push go there; its upstream wins over an added origin", async () => {
    const tmp = tempDir();
    try {
      const remote = join(tmp.path, "remote.git");
      initBareRepo(remote, { "deploy.yaml": "image: nginx:1.25.3\n" });
      const work = join(tmp.path, "work");
      await gitAsync(tmp.path, ["clone", "--quiet", "--origin", "upstream", remote, work]);
      const g = await createGitCommandManager(work);
      assert.equal(await g.remote(), "upstream");
      assert.equal(await fetchBranch(g, "main"), "refs/remotes/upstream/main");
      const sha = await commitEdit(g, work, "image: nginx:1.25.4\n");
      assert.equal((await g.push({ branch: "main" })).kind, "ok");
      assert.equal(git(remote, ["rev-parse", "main"]).trim(), sha);
      assert.equal(await g.remoteBranchSha("main"), sha);

      // An `origin` elsewhere does not take over: main tracks upstream.
      const other = join(tmp.path, "other.git");
      initBareRepo(other, { "x.txt": "x\n" });
      git(work, ["remote", "add", "origin", other]);
      const again = await createGitCommandManager(work);
      assert.equal(await again.remote(), "upstream");
    } finally {
      tmp.remove();
    }
  });
});

describe("classifyPush", () => {
  it("classifies GitHub's ruleset refusal and a 403 without ref lines", () => {
    const r = classifyPush(
      1,
      "To https://github.com/a/b\n!\trefs/heads/main:refs/heads/main\t[remote rejected] (push declined due to repository rule violations)\nDone\n",
      "remote: error: GH013: Repository rule violations found for refs/heads/main.\nerror: failed to push some refs\n",
    );
    assert.equal(r.kind, "rejected-protected");
    assert.ok(r.kind === "rejected-protected" && r.reason === "push declined due to repository rule violations");
    const denied = classifyPush(
      128,
      "",
      "remote: Permission to a/b.git denied to github-actions[bot].\nfatal: unable to access 'https://github.com/a/b/': The requested URL returned error: 403\n",
    );
    assert.equal(denied.kind, "error");
  });
});

describe("GitCommandManager: fetch in a shallow clone", () => {
  let ctx: Awaited<ReturnType<typeof setup>>;
  let shallow: GitCommandManager;
  let shallowDir: string;
  before(async () => {
    ctx = await setup();
    for (let i = 0; i < 3; i++) commitFiles(ctx.remote, "main", { [`f${i}`]: `${i}\n` }, `c${i}`);
    commitFiles(ctx.remote, "feature", { "feature.txt": "x\n" }, "feature");
    shallowDir = clone(`file://${ctx.remote}`, join(ctx.tmp.path, "shallow"), 1);
    shallow = await createGitCommandManager(shallowDir);
  });
  after(() => ctx.tmp.remove());

  it("stays shallow when fetching another branch (depth 1 by default)", async () => {
    assert.equal(await shallow.isShallow(), true);
    await shallow.fetch({ refspecs: ["+refs/heads/feature:refs/remotes/origin/feature"] });
    assert.equal(git(shallowDir, ["rev-list", "--count", "origin/feature"]).trim(), "1");
  });

  it("fetches more history with depth, and all of it with unshallow", async () => {
    await shallow.fetch({ refspecs: ["+refs/heads/main:refs/remotes/origin/main"], depth: 2 });
    assert.equal(git(shallowDir, ["rev-list", "--count", "origin/main"]).trim(), "2");
    await shallow.fetch({ refspecs: ["+refs/heads/main:refs/remotes/origin/main"], depth: "unshallow" });
    assert.equal(await shallow.isShallow(), false);
    assert.equal(git(shallowDir, ["rev-list", "--count", "origin/main"]).trim(), "4");
  });
});

/**
 * Pushes over HTTP to `git http-backend`, behind a server that insists on
 * `Authorization: Basic base64(x-access-token:<token>)` — as github.com does.
 */
describe("GitCommandManager: HTTPS credentials", () => {
  const token = "ghs_testTOKEN1234567890";
  let tmp: TempDir;
  let server: Server;
  let url: string;
  const seenAuth: string[][] = [];

  before(async () => {
    tmp = tempDir();
    initBareRepo(join(tmp.path, "srv", "acme", "manifests.git"), { "deploy.yaml": "image: nginx:1\n" });
    server = createServer((req, res) => {
      const values = req.headersDistinct.authorization ?? [];
      seenAuth.push(values);
      if (values.length !== 1 || values[0] !== `basic ${basicCredential(token)}`) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitHub"' }).end();
        return;
      }
      const path = new URL(req.url ?? "/", "http://x").pathname;
      serveGitHttp(req, res, { projectRoot: join(tmp.path, "srv"), pathInfo: path, remoteUser: "x-access-token" });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    tmp.remove();
  });

  it("pushes with the token, overriding a header actions/checkout persisted, and leaves .git/config as it was", async () => {
    // Clone with a header on the command line, then persist a (stale) checkout-style header.
    const work = join(tmp.path, "work");
    await gitAsync(tmp.path, [
      "-c",
      `http.${url}/.extraheader=AUTHORIZATION: basic ${basicCredential(token)}`,
      "clone",
      "--quiet",
      `${url}/acme/manifests.git`,
      work,
    ]);
    git(work, ["config", "--local", `http.${url}/.extraheader`, "AUTHORIZATION: basic c3RhbGU="]);
    const configBefore = readFileSync(join(work, ".git", "config"), "utf8");

    const logged: string[] = [];
    const g = await createGitCommandManager(work, {
      credentials: { serverUrl: url, token },
      log: (l) => logged.push(l),
    });
    seenAuth.length = 0;
    await commitEdit(g, work, "image: nginx:2\n");
    const r = await g.push({ branch: "main" });
    assert.equal(r.kind, "ok", JSON.stringify(r));
    // Exactly one Authorization header per request: ours, not checkout's as well.
    assert.ok(
      seenAuth.length > 0 && seenAuth.every((v) => v.length === 1 && v[0] === `basic ${basicCredential(token)}`),
      JSON.stringify(seenAuth),
    );
    assert.equal(await g.remoteBranchSha("main"), await g.revParse("HEAD"));
    await g.fetch({ refspecs: ["+refs/heads/main:refs/remotes/origin/main"] });

    const configAfter = readFileSync(join(work, ".git", "config"), "utf8");
    assert.equal(configAfter, configBefore);
    assert.ok(!configAfter.includes(basicCredential(token)) && !configAfter.includes(token));
    assert.ok(logged.length > 0 && logged.every((l) => !l.includes(token) && !l.includes(basicCredential(token))));
  });

  it("fails fast (no prompt) without credentials, and never prints the token", async () => {
    const work = join(tmp.path, "work");
    git(work, ["config", "--local", "--unset-all", `http.${url}/.extraheader`]);
    const g = await createGitCommandManager(work);
    await commitEdit(g, work, "image: nginx:3\n");
    // It must not hang on a prompt: the test's own timeout bounds it (no wall-clock assertion).
    const r = await g.push({ branch: "main" });
    assert.equal(r.kind, "error");
    assert.ok(
      r.kind === "error" && /terminal prompts disabled|Authentication failed|could not read Username/i.test(r.stderr),
      JSON.stringify(r),
    );

    g.setCredentials({ serverUrl: url, token: "wrong-token" });
    const wrong = await g.push({ branch: "main" });
    assert.equal(wrong.kind, "error");
    assert.ok(wrong.kind === "error" && !wrong.stderr.includes("wrong-token"));
    assert.ok(!readFileSync(join(work, ".git", "config"), "utf8").includes("extraheader"));
  });
});
