import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
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

describe("pull-request grouping: group all | rule | image | promotion (#14), the built action against the OpenAPI-checked emulator", () => {
  let registry: RunningRegistry;
  let s: GitHubApiServer | undefined;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
      { repository: "acme/api", tag: "develop-a", created: day(1) },
      { repository: "acme/api", tag: "develop-b", created: day(2) },
    ]);
  });
  after(async () => {
    await s?.close();
    await registry?.stop();
  });

  it("one branch and pull request per group, updated on rerun, closed when obsolete or when the grouping changes", async () => {
    const h = registry.host;
    const config = (group: string) =>
      `pullRequests:\n  group: ${group}\nupdates:\n  - name: apps\n    pattern: glob:develop-*\n    files: [k8s/app.yaml]\n  - name: apis\n    pattern: glob:develop-*\n    files: [k8s/api.yaml]\n`;
    s = await startGitHubApiServer({
      files: {
        ".laminar.yaml": config("image"),
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "k8s/api.yaml": `image: ${h}/acme/api:develop-a\n`,
      },
    });
    const server = s;
    const cache = join(mkdtempSync(join(tmpdir(), "laminar-groups-cache-")), "r.json");
    const run = async (inputs: Record<string, string> = {}) => {
      const base = mkdtempSync(join(tmpdir(), "laminar-groups-"));
      const auth = `http.${server.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${server.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", server.gitUrl, "ws"]);
      const r = await runAction({
        workspace: join(base, "ws"),
        inputs: { token: server.token, mode: "pull-request", cache, ...inputs },
        env: { GITHUB_API_URL: server.apiUrl, GITHUB_SERVER_URL: server.url },
      });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r;
    };
    // A person's commit on main, pushed straight into the emulator's repository.
    const onMain = async (path: string, text: string) => {
      const dir = mkdtempSync(join(tmpdir(), "laminar-groups-person-"));
      await gitAsync(dir, ["clone", "--quiet", server.bareRepoPath, "w"]);
      writeFileSync(join(dir, "w", path), text);
      await gitAsync(join(dir, "w"), [
        "-c",
        "user.name=P",
        "-c",
        "user.email=p@e",
        "commit",
        "-qam",
        `person: ${path}`,
      ]);
      await gitAsync(join(dir, "w"), ["push", "--quiet", "origin", "HEAD:main"]);
    };
    const open = () =>
      server.state
        .openPullRequests()
        .map((p) => ({ head: p.head, number: p.number, title: p.title }))
        .sort((a, b) => (a.head < b.head ? -1 : 1));
    const show = (branch: string, path: string) => git(server.bareRepoPath, ["show", `${branch}:${path}`]);
    const slugHost = h.replace(":", "-");
    const appBranch = `laminar/image-${slugHost}-acme-app`;
    const apiBranch = `laminar/image-${slugHost}-acme-api`;

    // 1. group: image (from the config): one pull request per image repository.
    const r1 = await run();
    const first = open();
    assert.deepEqual(
      first.map((p) => [p.head, p.title]),
      [
        [apiBranch, `k8s/api.yaml: ${h}/acme/api:develop-b`],
        [appBranch, `k8s/app.yaml: ${h}/acme/app:develop-2`],
      ],
    );
    assert.equal(show(appBranch, "k8s/app.yaml"), `image: ${h}/acme/app:develop-2\n`);
    assert.equal(show(appBranch, "k8s/api.yaml"), `image: ${h}/acme/api:develop-a\n`, "only its group's change");
    assert.equal(show(apiBranch, "k8s/api.yaml"), `image: ${h}/acme/api:develop-b\n`);
    assert.equal(r1.outputs["pull-request-operation"], "created");
    assert.equal(r1.outputs.changes, "2");

    // 2. A new app build: the app's pull request is updated (same number); the api's is left as it is.
    await seedImages(registry, [{ repository: "acme/app", tag: "develop-3", created: day(3) }]);
    const apiSha = git(server.bareRepoPath, ["rev-parse", apiBranch]).trim();
    await run();
    assert.deepEqual(open(), [
      { head: apiBranch, number: first[0]?.number, title: `k8s/api.yaml: ${h}/acme/api:develop-b` },
      { head: appBranch, number: first[1]?.number, title: `k8s/app.yaml: ${h}/acme/app:develop-3` },
    ]);
    assert.equal(git(server.bareRepoPath, ["rev-parse", apiBranch]).trim(), apiSha);

    // 3. The api caught up by hand on main: its pull request is obsolete, closed, its branch deleted.
    await onMain("k8s/api.yaml", `image: ${h}/acme/api:develop-b\n`);
    await run();
    assert.deepEqual(
      open().map((p) => p.head),
      [appBranch],
    );
    assert.equal(server.state.pullRequests.get(first[0]?.number as number)?.state, "closed");
    assert.throws(() => git(server.bareRepoPath, ["rev-parse", "--verify", "--quiet", `refs/heads/${apiBranch}`]));

    // 4. The `group` input overrides the config: `rule` opens laminar/rule-apps and closes the image one.
    await run({ group: "rule" });
    assert.deepEqual(
      open().map((p) => [p.head, p.title]),
      [["laminar/rule-apps", `k8s/app.yaml: ${h}/acme/app:develop-3`]],
    );
    assert.equal(server.state.pullRequests.get(first[1]?.number as number)?.state, "closed");

    // 5. `all`: one pull request on the configured branch with every change; the rule one is closed.
    await seedImages(registry, [{ repository: "acme/api", tag: "develop-c", created: day(3) }]);
    await run({ group: "all" });
    const all = open();
    assert.deepEqual(
      all.map((p) => p.head),
      ["laminar/updates"],
    );
    assert.equal(show("laminar/updates", "k8s/app.yaml"), `image: ${h}/acme/app:develop-3\n`);
    assert.equal(show("laminar/updates", "k8s/api.yaml"), `image: ${h}/acme/api:develop-c\n`);
  });

  it("two grouped configs in one repository (and a person's pull request) never close each other's: own branches, owner marker in the body", async () => {
    const h = registry.host;
    const rule = (file: string) =>
      `pullRequests:\n  group: rule\nupdates:\n  - name: apps\n    pattern: glob:develop-*\n    files: [${file}]\n`;
    const two = await startGitHubApiServer({
      files: {
        ".laminar.yaml": rule("k8s/app.yaml"),
        "ops/second.laminar.yaml": rule("k8s/api.yaml"),
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "k8s/api.yaml": `image: ${h}/acme/api:develop-a\n`,
      },
    });
    try {
      const run = async (inputs: Record<string, string> = {}) => {
        const base = mkdtempSync(join(tmpdir(), "laminar-groups-two-"));
        const auth = `http.${two.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${two.token}`).toString("base64")}`;
        await gitAsync(base, ["-c", auth, "clone", "--quiet", two.gitUrl, "ws"]);
        const r = await runAction({
          workspace: join(base, "ws"),
          inputs: { token: two.token, mode: "pull-request", ...inputs },
          env: { GITHUB_API_URL: two.apiUrl, GITHUB_SERVER_URL: two.url },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        return r;
      };
      const heads = () =>
        two.state
          .openPullRequests()
          .map((p) => p.head)
          .sort();
      // A person's own pull request on a branch that looks like a left-over group of the default config.
      const dir = mkdtempSync(join(tmpdir(), "laminar-groups-person-"));
      await gitAsync(dir, ["clone", "--quiet", two.bareRepoPath, "w"]);
      writeFileSync(join(dir, "w", "NOTES.md"), "by hand\n");
      await gitAsync(join(dir, "w"), ["add", "NOTES.md"]);
      await gitAsync(join(dir, "w"), ["-c", "user.name=P", "-c", "user.email=p@e", "commit", "-qm", "notes"]);
      await gitAsync(join(dir, "w"), ["push", "--quiet", "origin", "HEAD:laminar/rule-notes"]);
      const made = await fetch(`${two.apiUrl}/repos/${two.repository.owner}/${two.repository.repo}/pulls`, {
        method: "POST",
        headers: { authorization: `Bearer ${two.token}`, "content-type": "application/json" },
        body: JSON.stringify({ head: "laminar/rule-notes", base: "main", title: "notes", body: "by hand" }),
      });
      assert.equal(made.status, 201, await made.text());

      const r1 = await run();
      assert.match(r1.stdout, /laminar\/rule-notes: pull request #\d+ is not this config's/);
      assert.deepEqual(heads(), ["laminar/rule-apps", "laminar/rule-notes"]);
      await run({ config: "ops/second.laminar.yaml" });
      const opened = heads();
      assert.equal(opened.length, 3, opened.join(" "));
      const second = opened.find((b) => /^laminar\/updates-[0-9a-f]{8}-rule-apps$/.test(b));
      assert.ok(second, `the second config's rule branch is its own: ${opened.join(" ")}`);
      // (The first test seeded newer builds: whichever is newest, each branch moved its own file.)
      assert.match(git(two.bareRepoPath, ["show", `${second}:k8s/api.yaml`]), /acme\/api:develop-[bc]\n/);
      assert.match(git(two.bareRepoPath, ["show", "laminar/rule-apps:k8s/app.yaml"]), /acme\/app:develop-[23]\n/);
      assert.equal(
        git(two.bareRepoPath, ["show", "laminar/rule-apps:k8s/api.yaml"]),
        `image: ${h}/acme/api:develop-a\n`,
      );
      const bodies = two.state
        .openPullRequests()
        .map((p) => /<!-- laminar-owner: ([0-9a-f]+) -->/.exec(p.body ?? "")?.[1]);
      assert.equal(new Set(bodies.filter(Boolean)).size, 2, "each config's pull request names its owner");

      // Rerunning the first config leaves the second's alone (it used to close it as a left-over).
      await run();
      assert.deepEqual(heads(), opened);
      // The second config switches to `image`: its rule pull request is closed, the others' are not.
      await run({ config: "ops/second.laminar.yaml", group: "image" });
      const after = heads();
      assert.ok(!after.includes(second), after.join(" "));
      assert.ok(after.includes("laminar/rule-apps") && after.includes("laminar/rule-notes"), after.join(" "));
      assert.ok(
        after.some((b) => /^laminar\/updates-[0-9a-f]{8}-image-/.test(b)),
        after.join(" "),
      );
      // A targeted run about another image visits none of the second config's groups (none is closed).
      const targeted = await run({ config: "ops/second.laminar.yaml", group: "image", images: `${h}/acme/app` });
      assert.deepEqual(heads(), after);
      assert.equal(targeted.outputs["pull-request-operation"], "none");
      assert.deepEqual(two.violations, []);
    } finally {
      await two.close();
    }
  });

  it("a grouping that does not exist is named: the input and the config key", async () => {
    const h = registry.host;
    const bad = await startGitHubApiServer({
      files: {
        ".laminar.yaml": `pullRequests:\n  group: env\nupdates:\n  - pattern: glob:develop-*\n    files: [k8s]\n`,
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      },
    });
    try {
      const base = mkdtempSync(join(tmpdir(), "laminar-groups-bad-"));
      const auth = `http.${bad.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${bad.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", bad.gitUrl, "ws"]);
      const env = { GITHUB_API_URL: bad.apiUrl, GITHUB_SERVER_URL: bad.url };
      const inputs = { token: bad.token, mode: "pull-request" };
      const r1 = await runAction({ workspace: join(base, "ws"), inputs: { ...inputs, group: "repo" }, env });
      assert.equal(r1.status, 1);
      assert.match(r1.stdout, /::error::input `group`: must be one of all, rule, image, promotion, got "repo"/);
      const r2 = await runAction({ workspace: join(base, "ws"), inputs, env });
      assert.equal(r2.status, 1);
      assert.match(r2.stdout, /::error::config error: \.laminar\.yaml:2:\d+: pullRequests\.group: /);
      assert.equal(bad.state.openPullRequests().length, 0);
    } finally {
      await bad.close();
    }
  });
});
