/**
 * A targeted run (`--image`, the Action's `images`, issue #15) that updates a pull request keeps the
 * changes the pull request already had for the other images (src/delivery/carry-over.ts): a dispatch
 * for image A adds A to the pull request a scheduled run opened for B and C, instead of dropping
 * them. The CLI as a user runs it, real git, the real registry, the GitHub API emulator.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LaminarConfig } from "../src/config/types.js";
import { carriedChanges, carryFile } from "../src/delivery/carry-over.js";
import { createGitCommandManager } from "../src/git/git-command-manager.js";
import { repoKey } from "../src/plan/classify.js";
import type { PlanUnchanged } from "../src/plan/types.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanFile } from "../src/scan/structured/index.js";
import { runAction } from "./helpers/action-runner.js";
import { commitFiles, git, gitAsync, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { laminarAsync as laminar } from "./helpers/cli.js";

isolateGitConfig();
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("targeted runs keep the pull request's other changes (issue #15)", () => {
  let registry: RunningRegistry;
  const servers: GitHubApiServer[] = [];
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/a", tag: "develop-1", created: day(1) },
      { repository: "acme/b", tag: "develop-1", created: day(1) },
      { repository: "acme/b", tag: "develop-2", created: day(2) },
      { repository: "acme/c", tag: "develop-1", created: day(1) },
      { repository: "acme/c", tag: "develop-2", created: day(2) },
    ]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await registry?.stop();
  });

  /** A new build of A: what the dispatch names (the registry is shared: each test starts A at the newest). */
  let aTag = 1;
  const pushA = async (): Promise<string> => {
    aTag++;
    const tag = `develop-${aTag}`;
    await seedImages(registry, [{ repository: "acme/a", tag, created: day(2 + aTag) }]);
    return tag;
  };

  /** A (up to date) and B in one file (two containers), C in another; the cache is shared by a test's runs. */
  const files = (h: string, group?: string) => ({
    ".laminar.yaml": `${group ? `pullRequests:\n  group: ${group}\n` : ""}updates:\n  - name: apps\n    pattern: glob:develop-*\n    files: [k8s]\n`,
    "k8s/apps.yaml": `containers:\n  - image: ${h}/acme/a:develop-${aTag}\n  - image: ${h}/acme/b:develop-1\n`,
    "k8s/c.yaml": `image: ${h}/acme/c:develop-1\n`,
  });

  /** A repository on the emulator and a runner of `laminar apply --pull-request` in fresh clones of it. */
  async function setup(group?: string) {
    const h = registry.host;
    const s = await startGitHubApiServer({ files: files(h, group) });
    servers.push(s);
    const cache = join(mkdtempSync(join(tmpdir(), "laminar-targeted-cache-")), "registry.json");
    const run = async (extra: string[] = []) => {
      const base = mkdtempSync(join(tmpdir(), "laminar-targeted-"));
      const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
      const r = await laminar(
        [
          "apply",
          "--dir",
          join(base, "ws"),
          "--cache",
          cache,
          "--pull-request",
          "--github-api-url",
          s.apiUrl,
          ...extra,
        ],
        {
          GITHUB_TOKEN: s.token,
          GITHUB_REPOSITORY: `${s.repository.owner}/${s.repository.repo}`,
          GITHUB_SERVER_URL: s.url,
        },
      );
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r;
    };
    const show = (branch: string, path: string) => git(s.bareRepoPath, ["show", `${branch}:${path}`]);
    const sha = (branch: string) => git(s.bareRepoPath, ["rev-parse", branch]).trim();
    return { h, s, run, show, sha };
  }

  for (const group of [undefined, "all"]) {
    it(`one pull request (${group ? `group: ${group}` : "default grouping"}): a dispatch for A adds A and keeps B and C; the body lists all three`, async () => {
      const { h, s, run, show, sha } = await setup(group);
      await run();
      const [pr] = s.state.openPullRequests();
      assert.ok(pr);
      assert.equal(pr.head, "laminar/updates");
      assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2\n`);
      assert.equal(
        show("laminar/updates", "k8s/apps.yaml"),
        `containers:\n  - image: ${h}/acme/a:develop-${aTag}\n  - image: ${h}/acme/b:develop-2\n`,
        "the scheduled run: B and C",
      );

      const tag = await pushA();
      const r = await run(["--image", `${h}/acme/a:${tag}`]);
      assert.match(r.stderr + r.stdout, /keeping 2 change\(s\) the pull request already has/);
      assert.equal(
        show("laminar/updates", "k8s/apps.yaml"),
        `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-2\n`,
      );
      assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2\n`);
      assert.equal(sha("laminar/updates^"), sha("main"), "still one commit on the base");
      const trailers = git(s.bareRepoPath, ["log", "-1", "--format=%B", "laminar/updates"]);
      assert.match(trailers, /Laminar-Update: apps/);
      const open = s.state.openPullRequests();
      assert.equal(open.length, 1);
      assert.equal(open[0]?.number, pr.number, "the same pull request");
      // One row per change: the image, then its move on the same line.
      const rows = (open[0]?.body ?? "").split("\n");
      for (const [image, to] of [
        ["acme/a", tag],
        ["acme/b", "develop-2"],
        ["acme/c", "develop-2"],
      ] as const)
        assert.ok(
          rows.some((row) => row.includes(`${h}/${image}`) && row.includes(`→ \`${to}\``)),
          `the body lists ${image} → ${to}`,
        );

      // The same dispatch again: nothing to push, the pull request stays as it is (B and C still kept).
      const again = await run(["--image", `${h}/acme/a:${tag}`, "--json"]);
      assert.equal(JSON.parse(again.stdout).pullRequest.operation, "unchanged");
      assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2\n`);

      // A build of A outside the channel: it moves nothing, and A's earlier move stays in the pull request.
      // (Grouped runs visit only the groups a targeted plan changes: none here. The default rebuilds the
      // same tree; the body is rewritten, as carried rows show no build time.)
      await seedImages(registry, [{ repository: "acme/a", tag: `release-${aTag}`, created: day(30) }]);
      const head = sha("laminar/updates");
      const outside = await run(["--image", `${h}/acme/a:release-${aTag}`, "--json"]);
      assert.equal(JSON.parse(outside.stdout).pullRequest.operation, group ? "none" : "updated");
      assert.equal(sha("laminar/updates"), head, "nothing pushed");
      assert.equal(s.state.openPullRequests().length, 1);
      assert.equal(
        show("laminar/updates", "k8s/apps.yaml"),
        `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-2\n`,
      );
    });
  }

  it("group: image: a dispatch for A opens A's pull request; B's and C's are untouched", async () => {
    const { h, s, run, show, sha } = await setup("image");
    await run();
    const slug = h.replace(":", "-");
    const branch = (image: string) => `laminar/image-${slug}-acme-${image}`;
    assert.deepEqual(
      s.state
        .openPullRequests()
        .map((p) => p.head)
        .sort(),
      [branch("b"), branch("c")],
    );
    const before = { b: sha(branch("b")), c: sha(branch("c")) };

    const tag = await pushA();
    await run(["--image", `${h}/acme/a:${tag}`]);
    assert.deepEqual(
      s.state
        .openPullRequests()
        .map((p) => p.head)
        .sort(),
      [branch("a"), branch("b"), branch("c")],
    );
    assert.equal(
      show(branch("a"), "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-1\n`,
      "only A's change on A's branch",
    );
    assert.deepEqual({ b: sha(branch("b")), c: sha(branch("c")) }, before);
  });

  it("the base moved: a value a person changed on the base since wins over the pull request's", async () => {
    const { h, s, run, show } = await setup();
    await run();
    // A person sets C by hand on main (to the build the pull request had: the base now has it).
    const dir = mkdtempSync(join(tmpdir(), "laminar-targeted-person-"));
    await gitAsync(dir, ["clone", "--quiet", s.bareRepoPath, "w"]);
    writeFileSync(join(dir, "w", "k8s/c.yaml"), `image: ${h}/acme/c:develop-1 # pinned by hand\n`);
    await gitAsync(join(dir, "w"), ["-c", "user.name=P", "-c", "user.email=p@e", "commit", "-qam", "pin c"]);
    await gitAsync(join(dir, "w"), ["push", "--quiet", "origin", "HEAD:main"]);

    const tag = await pushA();
    await run(["--image", `${h}/acme/a:${tag}`]);
    assert.equal(
      show("laminar/updates", "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-2\n`,
    );
    // C's base value equals the pull request's "from" (develop-1): still carried, the comment kept.
    assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2 # pinned by hand\n`);

    // Now the base moves B itself: the base's value is kept, the pull request's B change is dropped.
    const w = join(dir, "w");
    await gitAsync(w, ["pull", "--quiet"]);
    writeFileSync(
      join(w, "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:develop-1\n  - image: ${h}/acme/b:develop-0\n`,
    );
    await gitAsync(w, ["-c", "user.name=P", "-c", "user.email=p@e", "commit", "-qam", "roll b back"]);
    await gitAsync(w, ["push", "--quiet", "origin", "HEAD:main"]);
    const next = await pushA();
    await run(["--image", `${h}/acme/a:${next}`]);
    assert.equal(
      show("laminar/updates", "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:${next}\n  - image: ${h}/acme/b:develop-0\n`,
    );
    assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2 # pinned by hand\n`);
  });

  it("a person's commit on the pull-request branch: rebuilt from the base as any run does (nothing carried from it)", async () => {
    const { h, s, run, show, sha } = await setup();
    await run();
    const dir = mkdtempSync(join(tmpdir(), "laminar-targeted-person-"));
    await gitAsync(dir, ["clone", "--quiet", "--branch", "laminar/updates", s.bareRepoPath, "w"]);
    writeFileSync(join(dir, "w", "NOTES"), "a person's note\n");
    await gitAsync(join(dir, "w"), ["add", "NOTES"]);
    await gitAsync(join(dir, "w"), ["-c", "user.name=P", "-c", "user.email=p@e", "commit", "-qm", "note"]);
    await gitAsync(join(dir, "w"), ["push", "--quiet", "origin", "HEAD:laminar/updates"]);

    const tag = await pushA();
    const r = await run(["--image", `${h}/acme/a:${tag}`]);
    assert.match(r.stderr + r.stdout, /rebuilding it from main \(the branch is Laminar's own/);
    assert.doesNotMatch(r.stderr + r.stdout, /keeping \d+ change/);
    assert.equal(sha("laminar/updates^"), sha("main"));
    assert.throws(() => show("laminar/updates", "NOTES"), "the person's commit is replaced, as documented");
    assert.equal(
      show("laminar/updates", "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-1\n`,
    );
  });

  it("the Action's `images` input (what a repository_dispatch starts): the built bundle keeps B and C", async () => {
    const { h, s, show } = await setup();
    const cache = join(mkdtempSync(join(tmpdir(), "laminar-targeted-action-cache-")), "r.json");
    const action = async (inputs: Record<string, string> = {}) => {
      const base = mkdtempSync(join(tmpdir(), "laminar-targeted-action-"));
      const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
      const r = await runAction({
        workspace: join(base, "ws"),
        inputs: { token: s.token, mode: "pull-request", cache, ...inputs },
        env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r;
    };
    await action();
    const tag = await pushA();
    const r = await action({ images: `${h}/acme/a:${tag}` });
    assert.equal(r.outputs["pull-request-operation"], "updated");
    assert.equal(r.outputs.changes, "3");
    assert.equal(
      show("laminar/updates", "k8s/apps.yaml"),
      `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-2\n`,
    );
    assert.equal(show("laminar/updates", "k8s/c.yaml"), `image: ${h}/acme/c:develop-2\n`);
  });

  it("--push: a targeted run changes only A", async () => {
    const h = registry.host;
    const base = mkdtempSync(join(tmpdir(), "laminar-targeted-push-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, files(h));
    git(base, ["clone", "--quiet", bare, "ws"]);
    const cache = join(base, "registry.json");
    const tag = await pushA();
    const r = await laminar([
      "apply",
      "--dir",
      join(base, "ws"),
      "--cache",
      cache,
      "--push",
      "--image",
      `${h}/acme/a:${tag}`,
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(
      git(bare, ["show", "main:k8s/apps.yaml"]),
      `containers:\n  - image: ${h}/acme/a:${tag}\n  - image: ${h}/acme/b:develop-1\n`,
    );
    assert.equal(git(bare, ["show", "main:k8s/c.yaml"]), `image: ${h}/acme/c:develop-1\n`);
    assert.deepEqual(git(bare, ["diff", "--name-only", "main^", "main"]).trim().split("\n"), ["k8s/apps.yaml"]);
  });
});

const config = { updates: [{ name: "apps", policy: { source: "glob:*" } }] } as unknown as LaminarConfig;
/** Every site of `now` as the plan leaves it in a targeted run about none of them. */
const idle = (file: string, now: string): PlanUnchanged[] =>
  scanFile(now, file).sites.map((s) => ({
    file,
    line: s.line,
    column: s.column,
    form: s.form,
    image: s.name,
    repository: repoKey(s.reference),
    tag: s.reference.tag ?? null,
    reason: "not-targeted",
    detail: "",
    rule: "apps",
  }));

describe("carriedChanges (real git): the pull request's versions of all its files in one git process", () => {
  it("three files carried from Laminar's commit: one `git cat-file --batch`, no `git show`", async () => {
    const base = mkdtempSync(join(tmpdir(), "laminar-carry-git-"));
    const bare = join(base, "remote.git");
    const main = {
      "k8s/a.yaml": "image: r.example/acme/a:1\n",
      "k8s/b.yaml": "containers:\n  - image: r.example/acme/b:1\n  - image: r.example/acme/c:1\n",
      "k8s/ünï code.yaml": "image: r.example/acme/d:1\n",
      "k8s/e.yaml": "image: r.example/acme/e:1\n",
    };
    initBareRepo(bare, main);
    git(bare, ["branch", "laminar/updates", "main"]);
    const sha = commitFiles(
      bare,
      "laminar/updates",
      {
        "k8s/a.yaml": "image: r.example/acme/a:2\n",
        "k8s/b.yaml": "containers:\n  - image: r.example/acme/b:2\n  - image: r.example/acme/c:1\n",
        "k8s/ünï code.yaml": "image: r.example/acme/d:3\n",
      },
      "Update 3 images\n\nLaminar-Update: apps",
    );
    const ws = join(base, "ws");
    git(base, ["clone", "--quiet", bare, ws]);

    // Every git process the manager starts goes through this wrapper, which notes its arguments.
    const wrapper = join(base, "bin");
    const calls = join(base, "git-calls.log");
    mkdirSync(wrapper);
    const realGit = git(base, ["--exec-path"]).trim() + "/git";
    writeFileSync(join(wrapper, "git"), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${calls}'\nexec '${realGit}' "$@"\n`);
    chmodSync(join(wrapper, "git"), 0o755);
    writeFileSync(calls, "");
    const manager = await createGitCommandManager(ws, {
      environment: { PATH: `${wrapper}:${process.env.PATH ?? ""}` },
    });

    const unchanged = Object.entries(main).flatMap(([file, text]) => idle(file, text));
    const plan = { changes: [], unchanged, failures: [], warnings: [] };
    const carried = await carriedChanges(
      { git: manager, dir: ws, branch: "laminar/updates", sha, targets: [] },
      plan,
      config,
    );
    assert.deepEqual(
      carried.map((c) => [c.file, c.repository, c.from, c.to]),
      [
        ["k8s/a.yaml", "r.example/acme/a", "1", "2"],
        ["k8s/b.yaml", "r.example/acme/b", "1", "2"],
        ["k8s/ünï code.yaml", "r.example/acme/d", "1", "3"],
      ],
    );
    const commands = readFileSync(calls, "utf8").trim().split("\n");
    assert.ok(
      commands.some((c) => c.startsWith("fetch")),
      `the wrapper saw the manager's commands: ${commands}`,
    );
    assert.deepEqual(
      commands.filter((c) => /^(cat-file|show)\b/.test(c)),
      ["cat-file --batch"],
      "both versions of the three files in one process",
    );
  });
});

describe("carryFile (pure): which values a targeted run carries over from Laminar's commit", () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;

  it("a Helm values tag (kept a string) and a pinned reference's tag and digest; the byte edits write them", () => {
    const file = "values.yaml";
    const before = `app:\n  image:\n    repository: r.example/acme/b\n    tag: 1.9\nsidecar: r.example/acme/c:1@${d("a")}\n`;
    const after = `app:\n  image:\n    repository: r.example/acme/b\n    tag: "1.10"\nsidecar: r.example/acme/c:2@${d("b")}\n`;
    // The base gained a line above since: positions differ, values are what Laminar moved from.
    const now = `# owned by team x\n${before}`;
    const carried = carryFile(file, { before, after, now }, idle(file, now), config);
    assert.deepEqual(
      carried.map((c) => [c.repository, c.from, c.to, c.toDigest, c.rule, c.pattern]),
      [
        ["r.example/acme/b", "1.9", "1.10", undefined, "apps", "glob:*"],
        ["r.example/acme/c", "1", "2", d("b"), "apps", "glob:*"],
      ],
    );
    const written = applyEdits(
      Buffer.from(now, "latin1"),
      carried.flatMap((c) => c.edits),
    ).toString("latin1");
    assert.equal(written, `# owned by team x\n${after}`);
  });

  it("nothing where the base moved the value, where the site is not idle, or where Laminar did not move it", () => {
    const file = "k8s.yaml";
    const before = "a: r.example/acme/b:1\nb: r.example/acme/c:1\nc: r.example/acme/d:1\n";
    const after = "a: r.example/acme/b:2\nb: r.example/acme/c:2\nc: r.example/acme/d:1\n";
    const now = "a: r.example/acme/b:0\nb: r.example/acme/c:1\nc: r.example/acme/d:1\n";
    const records = idle(file, now).filter((r) => r.repository !== "r.example/acme/c");
    assert.deepEqual(carryFile(file, { before, after, now }, records, config), []);
    // Sites that differ between the two versions of Laminar's commit: not Laminar's edits alone.
    const other = "a: r.example/acme/b:2\n";
    assert.deepEqual(carryFile(file, { before, after: other, now: before }, idle(file, before), config), []);
  });
});
