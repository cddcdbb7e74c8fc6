import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAction } from "./helpers/action-runner.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

/** A bare "GitHub" remote holding the manifests, and a fresh checkout of it as the workspace. */
function manifests(files: Record<string, string>): { bare: string; workspace: string } {
  const base = mkdtempSync(join(tmpdir(), "laminar-action-"));
  const bare = join(base, "remote.git");
  initBareRepo(bare, files);
  const workspace = join(base, "workspace");
  git(base, ["clone", "--quiet", bare, workspace]);
  return { bare, workspace };
}
const show = (bare: string, rev: string, path?: string): string => git(bare, ["show", path ? `${rev}:${path}` : rev]);
const log = (bare: string): string[] => git(bare, ["log", "--format=%s", "main"]).trim().split("\n");

describe("the action in push mode, run as the runner runs dist/index.js", () => {
  let registry: RunningRegistry;
  let cache: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
      { repository: "acme/app", tag: "develop-3", created: day(3) },
      { repository: "acme/api", tag: "develop-a", created: day(1) },
      { repository: "acme/api", tag: "develop-b", created: day(4) },
    ]);
    cache = mkdtempSync(join(tmpdir(), "laminar-action-cache-"));
  });
  after(async () => registry?.stop());

  const config = (extra = "") => `updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n${extra}`;
  const inputs = (more: Record<string, string> = {}) => ({
    token: "ghs_actiontesttoken123",
    cache: join(cache, "registry.json"),
    ...more,
  });

  it("what the configured commands change is committed and reported: changed-files and the commit message (#13)", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config("commands:\n  - echo rendered > rendered.yaml; rm old.txt\n"),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      "old.txt": "old\n",
    });
    // A cache of its own: the next test expects to find build times uncached.
    const own = join(mkdtempSync(join(tmpdir(), "laminar-own-cache-")), "registry.json");
    const r = await runAction({ workspace, inputs: inputs({ cache: own }) });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(JSON.parse(r.outputs["changed-files"] as string), ["k8s/app.yaml", "old.txt", "rendered.yaml"]);
    assert.equal(
      git(bare, ["log", "-1", "--format=%B", "main"]).trim(),
      `k8s/app.yaml: ${h}/acme/app:develop-3\n\nChanged by the configured commands:\ndeleted old.txt\ncreated rendered.yaml\n\nLaminar-Update: updates[0]`,
    );
  });

  it("commits one change per the original message format, pushes, reports, and is idempotent", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\r\n# keep\r\n`,
    });
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.deepEqual(log(bare), [`k8s/app.yaml: ${h}/acme/app:develop-3`, "initial"]);
    assert.equal(show(bare, "main", "k8s/app.yaml"), `image: ${h}/acme/app:develop-3\r\n# keep\r\n`);
    assert.equal(r.outputs.changes, "1");
    assert.deepEqual(JSON.parse(r.outputs["changed-files"] as string), ["k8s/app.yaml"]);
    assert.equal(r.outputs["commit-sha"], git(bare, ["rev-parse", "main"]).trim());
    assert.equal(r.outputs["pull-request-operation"], "none");
    const plan = JSON.parse(r.outputs.plan as string);
    assert.equal(plan.changes[0].to, "develop-3");
    assert.match(
      r.summary,
      /\| `127\.0\.0\.1:\d+\/acme\/app` \| k8s\/app\.yaml:1 \| `develop-1` → `develop-3` \| 2026-11-03T00:00:00Z \(config-blob\) \|/,
    );
    assert.match(r.stdout, /::group::/);
    // The token is masked (the runner reads ::add-mask:: lines) and printed nowhere else.
    assert.ok(r.stdout.includes("::add-mask::ghs_actiontesttoken123"));
    assert.ok(!r.stdout.split("\n").some((l) => !l.startsWith("::add-mask::") && l.includes("ghs_actiontesttoken123")));

    // A second run with nothing new makes no commit.
    const again = mkdtempSync(join(tmpdir(), "laminar-again-"));
    git(again, ["clone", "--quiet", bare, "ws"]);
    const r2 = await runAction({ workspace: join(again, "ws"), inputs: inputs() });
    assert.equal(r2.status, 0, r2.stdout);
    assert.equal(r2.outputs.changes, "0");
    assert.equal(r2.outputs["commit-sha"], "");
    assert.equal(log(bare).length, 2);
  });

  it("several changes: a summary line and one line per change", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `a: ${h}/acme/app:develop-2\nb: ${h}/acme/api:develop-a\n`,
    });
    const r = await runAction({ workspace, inputs: inputs({ author: "Bot <bot@example.test>" }) });
    assert.equal(r.status, 0, r.stdout);
    const msg = git(bare, ["log", "-1", "--format=%B%n--%an <%ae>", "main"]);
    assert.match(
      msg,
      /^Update 2 images\n\nk8s\/app\.yaml: .*acme\/app develop-2 → develop-3\nk8s\/app\.yaml: .*acme\/api develop-a → develop-b\n/,
    );
    assert.match(msg, /--Bot <bot@example\.test>/);
  });

  it("push race: another commit lands between fetch and push; it fetches, re-plans and retries", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-race-"));
    const marker = join(base, "raced");
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(`commands:\n  - sh race.sh\n`),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      "race.sh": `# Simulates a teammate pushing while Laminar works (once).\nif [ ! -e "${marker}" ]; then touch "${marker}"; git clone -q "$REMOTE" "${base}/other" && cd "${base}/other" && echo hi > NOTES && git add NOTES && git -c user.name=T -c user.email=t@e commit -qm "teammate" && git push -q origin HEAD:main; fi\n`,
    });
    const r = await runAction({ workspace, inputs: inputs(), env: { REMOTE: bare } });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /push rejected: main moved on the remote; fetching it and planning again \(attempt 2 of 3\)/,
    );
    assert.deepEqual(log(bare), [`k8s/app.yaml: ${h}/acme/app:develop-3`, "teammate", "initial"]);
    assert.equal(show(bare, "main", "NOTES"), "hi\n");
  });

  it("a remote rewritten by a force-push since the checkout is taken as it is", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    // Rewrite history on the remote: a new root commit replaces main.
    const other = mkdtempSync(join(tmpdir(), "laminar-rewrite-"));
    initBareRepo(other, {
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-2\n`,
      README: "rewritten\n",
    });
    git(bare, ["fetch", "--quiet", "--force", other, "main:main"]);
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(log(bare), [`k8s/app.yaml: ${h}/acme/app:develop-3`, "initial"]);
    assert.equal(show(bare, "main", "README"), "rewritten\n");
  });

  it("a failing command: exit 1 with its output, nothing committed, tree restored", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(`commands:\n  - echo rendering; echo oops >&2; exit 4\n`),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const before = git(bare, ["rev-parse", "main"]);
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /::error::command `echo rendering; echo oops >&2; exit 4` failed with exit code 4; the work tree was restored \(\d+ file\(s\)\); nothing was committed/,
    );
    assert.match(r.stdout, /rendering[\s\S]*oops/);
    assert.equal(git(bare, ["rev-parse", "main"]), before);
    assert.equal(git(workspace, ["status", "--porcelain"]), "");
    assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), `image: ${h}/acme/app:develop-1\n`);
  });

  it("dry-run writes and pushes nothing but reports the plan", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = await runAction({ workspace, inputs: inputs({ "dry-run": "true" }) });
    assert.equal(r.status, 0, r.stdout);
    assert.equal(r.outputs.changes, "1");
    assert.match(r.summary, /Dry run: 1 image tag\(s\) would move; nothing was written\./);
    assert.equal(log(bare).length, 1);
    assert.equal(git(workspace, ["status", "--porcelain"]), "");
  });

  it("a protected branch: a clear error suggesting pull-request mode, branch and files unchanged", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const hook = join(bare, "hooks", "pre-receive");
    writeFileSync(hook, "#!/bin/sh\necho 'GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n");
    chmodSync(hook, 0o755);
    const start = git(workspace, ["rev-parse", "HEAD"]);
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 1);
    assert.match(
      r.stdout,
      /::error::the remote refused the push to main \(.*GH006: Protected branch update failed.*\); the branch is protected: use `mode: pull-request`/,
    );
    assert.equal(git(workspace, ["rev-parse", "HEAD"]), start);
    assert.equal(git(workspace, ["status", "--porcelain"]), "");
    assert.equal(log(bare).length, 1);
  });

  it("refuses a dirty tree and a detached HEAD with clear errors", async () => {
    const h = registry.host;
    const { workspace } = manifests({ ".laminar.yaml": config(), "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    writeFileSync(join(workspace, "stray.txt"), "x");
    const dirty = await runAction({ workspace, inputs: inputs() });
    assert.equal(dirty.status, 1);
    assert.match(
      dirty.stdout,
      /::error::the working tree has uncommitted changes \(stray\.txt\); Laminar commits only its own edits/,
    );
    const { workspace: w2 } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    git(w2, ["checkout", "--quiet", "--detach"]);
    const detached = await runAction({ workspace: w2, inputs: inputs() });
    assert.equal(detached.status, 1);
    assert.match(detached.stdout, /::error::HEAD is detached .*set the `branch` input/);
    const fixed = await runAction({ workspace: w2, inputs: inputs({ branch: "main" }) });
    assert.equal(fixed.status, 0, fixed.stdout);
  });

  it("set: writes the given tag (older here) in the set-files, marks the commit Laminar-Set, and the next run respects it (#14)", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config(),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-3\n`,
      "k8s/other.yaml": `image: ${h}/acme/app:develop-3\n`,
    });
    const r = await runAction({
      workspace,
      inputs: inputs({ set: `${h}/acme/app:develop-1`, "set-files": "k8s/app.yaml" }),
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(show(bare, "main", "k8s/app.yaml"), `image: ${h}/acme/app:develop-1\n`);
    assert.equal(show(bare, "main", "k8s/other.yaml"), `image: ${h}/acme/app:develop-3\n`);
    assert.deepEqual(JSON.parse(r.outputs["changed-files"] as string), ["k8s/app.yaml"]);
    assert.match(git(bare, ["log", "-1", "--format=%B", "main"]), new RegExp(`Laminar-Set: ${h}/acme/app:develop-1`));

    // A normal run afterwards: the deliberate rollback is held, nothing is pushed.
    git(workspace, ["pull", "--quiet"]);
    const again = await runAction({ workspace, inputs: inputs() });
    assert.equal(again.status, 0, again.stdout + again.stderr);
    assert.equal(show(bare, "main", "k8s/app.yaml"), `image: ${h}/acme/app:develop-1\n`);
    const plan = JSON.parse(again.outputs.plan as string) as { unchanged: Array<{ file: string; reason: string }> };
    assert.equal(plan.unchanged.find((u) => u.file === "k8s/app.yaml")?.reason, "held-after-rollback");
  });

  it("set: a value that is not IMAGE:TAG, set-files without set, and set with images are input errors", async () => {
    const { bare, workspace } = manifests({ ".laminar.yaml": config(), "k8s/app.yaml": "image: a/b:develop-1\n" });
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ set: "a/b" }, /::error::input `set`: expected IMAGE:TAG/],
      [{ "set-files": "k8s" }, /::error::input `set-files`: needs the `set` input/],
      [{ set: "a/b:1", images: "a/b" }, /::error::input `set`: cannot be combined with `images`/],
      [{ set: "a/b:1", "set-files": "../x" }, /::error::input `set-files`: "..\/x" is outside the workspace/],
    ];
    for (const [more, error] of cases) {
      const r = await runAction({ workspace, inputs: inputs(more) });
      assert.equal(r.status, 1, JSON.stringify(more));
      assert.match(r.stdout, error);
    }
    assert.equal(log(bare).length, 1);
  });

  it("a config error names file, line and key, and nothing runs", async () => {
    const { bare, workspace } = manifests({
      ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n    comands: [x]\n",
      "k8s/app.yaml": "image: a/b:develop-1\n",
    });
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /::error::config error: \.laminar\.yaml:4:5: updates\[0\]\.comands: unknown key "comands"/);
    assert.equal(log(bare).length, 1);
  });

  it("bad inputs are named", async () => {
    const { workspace } = manifests({ ".laminar.yaml": config() });
    const r = await runAction({ workspace, inputs: inputs({ mode: "merge" }) });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /::error::input `mode`: must be one of push, pull-request, got "merge"/);
  });

  it("input `remote`: a checkout whose remotes are `upstream` and `fork` (main tracking none) pushes where it says; a missing one is named", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-action-remote-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, { ".laminar.yaml": config(), "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n` });
    const fork = join(base, "fork.git");
    git(base, ["clone", "--quiet", "--bare", bare, fork]);
    const workspace = join(base, "workspace");
    git(base, ["clone", "--quiet", "--origin", "upstream", bare, workspace]);
    git(workspace, ["remote", "add", "fork", fork]);
    git(workspace, ["branch", "--unset-upstream"]);
    const own = join(mkdtempSync(join(tmpdir(), "laminar-own-cache-")), "registry.json");
    const undecided = await runAction({ workspace, inputs: inputs({ cache: own }) });
    assert.equal(undecided.status, 1);
    assert.match(
      undecided.stdout,
      /::error::.*several remotes \(fork, upstream\); set the remote \(Action input `remote`/,
    );
    const missing = await runAction({ workspace, inputs: inputs({ cache: own, remote: "nope" }) });
    assert.equal(missing.status, 1);
    assert.match(missing.stdout, /::error::input `remote`: there is no git remote "nope" \(remotes: fork, upstream\)/);
    const before = git(bare, ["rev-parse", "main"]);
    const r = await runAction({ workspace, inputs: inputs({ cache: own, remote: "fork" }) });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(show(fork, "main", "k8s/app.yaml"), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(git(bare, ["rev-parse", "main"]), before, "upstream is untouched");
  });
});
