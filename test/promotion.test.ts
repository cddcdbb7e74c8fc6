/**
 * Issue #14 end to end on the real registry through the real CLI: `minAge`, rollbacks respected and
 * promotions with soak times measured from real git histories whose commit dates the tests set.
 * Times are placed relative to the run's start (builds and commits "5 hours ago"); assertions only
 * compare against those seeded times, never against the wall clock.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar, writeRepo } from "./helpers/cli.js";
import { parseConfig } from "../src/config/parse.js";
import { ConfigError } from "../src/config/errors.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { git, gitAsync, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { laminarAsync } from "./helpers/cli.js";

isolateGitConfig();

const HOUR = 3_600_000;
const start = Date.now();
const ago = (hours: number): Date => new Date(Math.floor((start - hours * HOUR) / 1000) * 1000);

describe("minAge on an update rule", () => {
  let registry: RunningRegistry;
  let cacheHome: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: ago(72) },
      { repository: "acme/app", tag: "develop-2", created: ago(5) },
      { repository: "acme/app", tag: "develop-3", created: ago(0.5) },
      { repository: "acme/lib", tag: "1.0.0", created: ago(72) },
      { repository: "acme/lib", tag: "1.1.0", created: ago(1) },
    ]);
    cacheHome = await mkdtemp(join(tmpdir(), "laminar-minage-cache-"));
  });
  after(async () => registry?.stop());

  it("skips builds younger than minAge, says when the newest becomes eligible, and asks nothing more when warm", async () => {
    const h = registry.host;
    const dir = await writeRepo({
      ".laminar.yaml": `updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n    minAge: 2h\n  - pattern: "semver:^1"\n    files: [lib]\n    minAge: 1d\n`,
      "k8s/a.yaml": `image: ${h}/acme/app:develop-1\n`,
      "k8s/b.yaml": `image: ${h}/acme/app:develop-2\n`,
      "lib/c.yaml": `image: ${h}/acme/lib:1.0.0\n`,
    });
    const env = { XDG_CACHE_HOME: cacheHome };
    const r = laminar(["plan", "--dir", dir, "--json"], env);
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [c.file, c.from, c.to]),
      [["k8s/a.yaml", "develop-1", "develop-2"]],
      "develop-3 (30 minutes old) is not taken; develop-2 (5 hours) is",
    );
    const eligible = new Date(ago(0.5).getTime() + 2 * HOUR).toISOString();
    const libEligible = new Date(ago(1).getTime() + 24 * HOUR).toISOString();
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, unknown>) => [u.file, u.tag, u.reason, u.detail]),
      [
        [
          "k8s/b.yaml",
          "develop-2",
          "too-new",
          `newest candidate develop-3 was built ${ago(0.5).toISOString()}; minAge 2h: eligible from ${eligible}`,
        ],
        [
          "lib/c.yaml",
          "1.0.0",
          "too-new",
          `newest candidate 1.1.0 was built ${ago(1).toISOString()}; minAge 1d: eligible from ${libEligible}`,
        ],
      ],
    );
    const text = laminar(["plan", "--dir", dir], env);
    assert.match(text.stdout, /too-new/);

    // Warm: the times are cached, so minAge costs no manifest or blob request.
    const warm = JSON.parse(laminar(["plan", "--dir", dir, "--json"], env).stdout);
    assert.equal(warm.requests.manifestGet + warm.requests.manifestHead + warm.requests.blobGet, 0);
    assert.deepEqual(
      warm.unchanged.map((u: Record<string, unknown>) => u.reason),
      ["too-new", "too-new"],
    );
  });

  it("a malformed minAge is a config error naming file, line and key", () => {
    assert.throws(
      () => parseConfig(`updates:\n  - pattern: glob:*\n    files: [k8s]\n    minAge: 2 hours\n`),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.line === 4 &&
        e.key === "updates[0].minAge" &&
        /"2 hours" is not a duration/.test(e.message),
    );
  });
});

/** A bare remote and a clone to work in; the clone's commits get the dates and authors the test says. */
function gitRepo(): { bare: string; work: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), "laminar-history-"));
  const bare = join(base, "remote.git");
  git(base, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  const work = join(base, "work");
  git(base, ["clone", "--quiet", bare, work]);
  git(work, ["checkout", "--quiet", "-B", "main"]);
  return { bare, work, base };
}

/** Commits `files` in `dir` as `author` at `date` (author and committer date), and pushes. */
function commitAt(
  dir: string,
  files: Record<string, string>,
  message: string,
  date: Date,
  author = "Dev <dev@example.test>",
): string {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  const [, name, email] = /^(.*) <(.*)>$/.exec(author) as RegExpExecArray;
  const iso = date.toISOString();
  git(dir, ["add", "-A"]);
  // Author and dates through the environment, as the issue asks (GIT_COMMITTER_DATE / GIT_AUTHOR_DATE).
  execFileSync("git", ["commit", "--quiet", "-m", message], {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
      GIT_AUTHOR_DATE: iso,
      GIT_COMMITTER_DATE: iso,
    },
    stdio: "pipe",
  });
  git(dir, ["push", "--quiet", "origin", "HEAD:main"]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

describe("rollbacks respected", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: ago(72) },
      { repository: "acme/app", tag: "develop-2", created: ago(48) },
    ]);
  });
  after(async () => registry?.stop());

  it("Laminar's commits carry a trailer; a person's rollback holds the reference until a newer build appears", async () => {
    const h = registry.host;
    const { work, bare, base } = gitRepo();
    const env = { XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-rollback-cache-")) };
    commitAt(
      work,
      {
        ".laminar.yaml": `updates:\n  - name: dev\n    pattern: glob:develop-*\n    files: [k8s]\n`,
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "k8s/values.yaml": `image:\n  repository: ${h}/acme/app\n  tag: develop-1\n`,
      },
      "initial",
      ago(100),
    );
    const pushed = laminar(["apply", "--dir", work, "--push"], env);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.equal(git(bare, ["log", "-1", "--format=%(trailers:key=Laminar-Update,valueonly)", "main"]).trim(), "dev");

    // A person rolls both forms back to develop-1 (develop-2 broke something).
    const rollback = commitAt(
      work,
      {
        "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "k8s/values.yaml": `image:\n  repository: ${h}/acme/app\n  tag: develop-1\n`,
      },
      "Roll back develop-2: it breaks checkout",
      ago(2),
      "Ops Person <ops@example.test>",
    );
    const held = JSON.parse(laminar(["plan", "--dir", work, "--json"], env).stdout);
    assert.deepEqual(held.changes, []);
    const detail = `commit ${rollback.slice(0, 12)} by Ops Person <ops@example.test> (${ago(2).toISOString()}) rolled develop-2 back to develop-1; held until a build newer than develop-2 appears (newest candidate: develop-2)`;
    assert.deepEqual(
      held.unchanged.map((u: Record<string, unknown>) => [u.file, u.form, u.reason, u.detail]),
      [
        ["k8s/app.yaml", "inline", "held-after-rollback", detail],
        ["k8s/values.yaml", "helm-values", "held-after-rollback", detail],
      ],
    );
    const again = laminar(["apply", "--dir", work, "--push"], env);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), rollback, "the rollback is not undone");

    // A shallow clone of the same history: deepened, the hold still applies.
    const shallow = join(base, "shallow");
    git(base, ["clone", "--quiet", "--depth", "1", `file://${bare}`, shallow]);
    const fromShallow = JSON.parse(laminar(["plan", "--dir", shallow, "--json"], env).stdout);
    assert.deepEqual(
      fromShallow.unchanged.map((u: Record<string, unknown>) => u.reason),
      ["held-after-rollback", "held-after-rollback"],
    );

    // A build newer than the one rolled back from: the hold ends.
    await seedImages(registry, [{ repository: "acme/app", tag: "develop-3", created: ago(1) }]);
    const moved = JSON.parse(laminar(["plan", "--dir", work, "--json"], env).stdout);
    assert.deepEqual(
      moved.changes.map((c: Record<string, unknown>) => [c.file, c.from, c.to]),
      [
        ["k8s/app.yaml", "develop-1", "develop-3"],
        ["k8s/values.yaml", "develop-1", "develop-3"],
      ],
    );
  });
});

describe("laminar set IMAGE:TAG", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: ago(72) },
      { repository: "acme/app", tag: "develop-2", created: ago(48) },
    ]);
  });
  after(async () => registry?.stop());

  it("writes the tag in every form of the selected files, marks the commit Laminar-Set, and the rollback is held", async () => {
    const h = registry.host;
    const { work, bare } = gitRepo();
    const env = { XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-set-cache-")) };
    commitAt(
      work,
      {
        ".laminar.yaml": `updates:\n  - pattern: glob:develop-*\n    files: [k8s, other]\n`,
        "k8s/app.yaml": `image: ${h}/acme/app:develop-2\n`,
        "k8s/values.yaml": `image:\n  repository: ${h}/acme/app\n  tag: develop-2\n`,
        "other/app.yaml": `image: ${h}/acme/app:develop-2\n`,
      },
      "initial",
      ago(40),
    );
    const bad = laminar(["set", "--dir", work, `${h}/acme/app`], env);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /set needs IMAGE:TAG/);

    const r = laminar(["set", `${h}/acme/app:develop-1`, "--dir", work, "--files", "k8s", "--push"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(git(bare, ["show", "main:k8s/app.yaml"]), `image: ${h}/acme/app:develop-1\n`);
    assert.equal(
      git(bare, ["show", "main:k8s/values.yaml"]),
      `image:\n  repository: ${h}/acme/app\n  tag: develop-1\n`,
    );
    assert.equal(git(bare, ["show", "main:other/app.yaml"]), `image: ${h}/acme/app:develop-2\n`, "outside --files");
    assert.equal(
      git(bare, [
        "log",
        "-1",
        "--format=%(trailers:key=Laminar-Set,valueonly)|%(trailers:key=Laminar-Update,valueonly)",
        "main",
      ]).trim(),
      `${h}/acme/app:develop-1\n|`,
    );
    const sha = git(bare, ["rev-parse", "main"]).trim();
    const plan = JSON.parse(laminar(["plan", "--dir", work, "--json"], env).stdout);
    assert.deepEqual(plan.changes, [], "the next run does not undo the set");
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, string>) => [u.file, u.reason, String(u.detail).slice(0, 19)]),
      [
        ["k8s/app.yaml", "held-after-rollback", `commit ${sha.slice(0, 12)}`],
        ["k8s/values.yaml", "held-after-rollback", `commit ${sha.slice(0, 12)}`],
        ["other/app.yaml", "up-to-date", "develop-2 is the ne"],
      ],
    );
  });
});

describe("promotions between environments (dev → staging → prod)", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-0", created: ago(150) },
      { repository: "acme/app", tag: "develop-1", created: ago(130) },
      { repository: "acme/app", tag: "develop-2", created: ago(50) },
      { repository: "acme/app", tag: "develop-3", created: ago(6) },
      { repository: "acme/other", tag: "develop-1", created: ago(130) },
    ]);
  });
  after(async () => registry?.stop());

  const config = `promotions:
  - name: staging
    from: [envs/dev]
    to: [envs/staging]
    soak: 24h
  - name: prod
    from: [envs/staging]
    to: [envs/prod]
    soak: 2d
`;

  it("promotes what soaked, says which source tag wins, chains evaluate on their own, and pushes with evidence", async (t) => {
    const h = registry.host;
    const { work, bare } = gitRepo();
    const env = { XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-promote-cache-")) };
    const c0 = commitAt(
      work,
      {
        ".laminar.yaml": config,
        "envs/dev/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "envs/dev/values.yaml": `image:\n  repository: ${h}/acme/app\n  tag: develop-1\n`,
        "envs/staging/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "envs/prod/app.yaml": `image: ${h}/acme/app:develop-0\n`,
        "envs/prod/other.yaml": `image: ${h}/acme/other:develop-1\n`,
      },
      "initial",
      ago(120),
    );
    const c1 = commitAt(
      work,
      {
        "envs/dev/app.yaml": `image: ${h}/acme/app:develop-2\n`,
        "envs/dev/values.yaml": `image:\n  repository: ${h}/acme/app\n  tag: develop-2\n`,
      },
      "dev: develop-2",
      ago(40),
      "CI Bot <ci@example.test>",
    );
    // develop-3 reaches dev in one form only: dev now holds two tags of the image.
    commitAt(work, { "envs/dev/app.yaml": `image: ${h}/acme/app:develop-3\n` }, "dev: develop-3", ago(5));

    const r = laminar(["plan", "--dir", work, "--json"], env);
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [c.file, c.from, c.to, c.rule]),
      [
        ["envs/prod/app.yaml", "develop-0", "develop-1", "promotion:prod"],
        ["envs/staging/app.yaml", "develop-1", "develop-2", "promotion:staging"],
      ],
    );
    const [prod, staging] = plan.changes as Array<{ promotion: Record<string, unknown>; buildTime: string }>;
    assert.deepEqual(
      { ...staging?.promotion, soaked: undefined, digest: undefined },
      {
        promotion: "staging",
        from: "envs/dev/values.yaml",
        fromLine: 3,
        commit: c1,
        author: "CI Bot <ci@example.test>",
        arrivedAt: ago(40).toISOString(),
        arrivalExact: true,
        soak: "24h",
        choice:
          "envs/dev holds develop-3, develop-2; develop-2 wins: the newest build that has soaked (develop-3 is not promotable yet)",
        soaked: undefined,
        digest: undefined,
      },
    );
    assert.match(String(staging?.promotion.digest), /^sha256:[0-9a-f]{64}$/);
    assert.equal(staging?.buildTime, ago(50).toISOString());
    // prod follows staging's tag (develop-1, there since the first commit), not dev's.
    assert.equal(prod?.promotion.commit, c0);
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, unknown>) => [u.file, u.reason]),
      [
        // dev is only a source here: no update rule moves it in this config.
        ["envs/dev/app.yaml", "no-rule"],
        ["envs/dev/values.yaml", "no-rule"],
        ["envs/prod/other.yaml", "not-in-source"],
      ],
    );
    const text = laminar(["plan", "--dir", work], env).stdout;
    assert.match(
      text,
      /Promotions:\n {2}prod: envs\/prod\/app\.yaml:1 .* develop-0 → develop-1: reached envs\/staging\/app\.yaml:1 in /,
    );

    const pushed = laminar(["apply", "--dir", work, "--push"], env);
    assert.equal(pushed.status, 0, pushed.stderr);
    assert.deepEqual(
      git(bare, ["log", "-1", "--format=%(trailers:key=Laminar-Update,valueonly)", "main"]).trim().split("\n"),
      ["promotion:prod", "promotion:staging"],
    );
    const promotedAt = git(bare, ["log", "-1", "--format=%cI", "main"]).trim();
    const sha = git(bare, ["rev-parse", "main"]).trim();

    // Next run: staging's develop-2 has just arrived, so prod waits for it to soak; staging waits for develop-3.
    const next = JSON.parse(laminar(["plan", "--dir", work, "--json"], env).stdout);
    assert.deepEqual(next.changes, []);
    // The cost once the times are learnt: one tag-list page per repository (with it the client trusts
    // the digests it verified for an unchanged repository), no manifest or blob request.
    t.diagnostic(
      `requests: first plan ${JSON.stringify(plan.requests)}; after the push ${JSON.stringify(next.requests)}`,
    );
    assert.equal(next.requests.manifestGet + next.requests.blobGet, 0);
    const byFile = new Map<string, string[]>(
      next.unchanged.map((u: Record<string, string>) => [u.file, [u.reason, u.detail]] as [string, string[]]),
    );
    const [prodReason, prodDetail] = byFile.get("envs/prod/app.yaml") ?? [];
    assert.equal(prodReason, "soaking");
    const due = new Date(new Date(promotedAt).getTime() + 2 * 24 * HOUR).toISOString();
    assert.ok(
      prodDetail?.startsWith(
        `develop-2 reached envs/staging/app.yaml in ${sha.slice(0, 12)} (Laminar, ${new Date(promotedAt).toISOString()}); soaked `,
      ) && prodDetail.includes(` of 2d: promotable from ${due} (`),
      prodDetail,
    );
    const [stagingReason, stagingDetail] = byFile.get("envs/staging/app.yaml") ?? [];
    assert.equal(stagingReason, "soaking");
    assert.match(
      stagingDetail ?? "",
      new RegExp(
        `^develop-3 reached envs/dev/app\\.yaml in [0-9a-f]{12} \\(Dev, ${ago(5).toISOString()}\\); soaked .* of 24h: promotable from ${new Date(ago(5).getTime() + 24 * HOUR).toISOString()}`,
      ),
    );
    assert.equal(byFile.get("envs/prod/other.yaml")?.[0], "not-in-source");
  });
});

describe("promotion pull requests (OpenAPI-checked GitHub emulator)", () => {
  let registry: RunningRegistry;
  let server: GitHubApiServer | undefined;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-0", created: ago(150) },
      { repository: "acme/app", tag: "develop-1", created: ago(130) },
      { repository: "acme/app", tag: "develop-2", created: ago(50) },
    ]);
  });
  after(async () => {
    await server?.close();
    await registry?.stop();
  });

  it("one pull request per promotion with its evidence, unchanged on rerun, closed when prod caught up by hand", async () => {
    const h = registry.host;
    const s = await startGitHubApiServer({ files: { "README.md": "manifests\n" } });
    server = s;
    // The history, with its dates, is pushed straight into the emulator's bare repository.
    const seedDir = mkdtempSync(join(tmpdir(), "laminar-promote-pr-seed-"));
    git(seedDir, ["clone", "--quiet", s.bareRepoPath, "w"]);
    const seed = join(seedDir, "w");
    commitAt(
      seed,
      {
        ".laminar.yaml": `promotions:\n  - name: staging\n    from: [envs/dev]\n    to: [envs/staging]\n    soak: 24h\n  - name: prod\n    from: [envs/staging]\n    to: [envs/prod]\n    soak: 2d\n`,
        "envs/dev/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "envs/staging/app.yaml": `image: ${h}/acme/app:develop-1\n`,
        "envs/prod/app.yaml": `image: ${h}/acme/app:develop-0\n`,
      },
      "environments",
      ago(120),
    );
    const c1 = commitAt(seed, { "envs/dev/app.yaml": `image: ${h}/acme/app:develop-2\n` }, "dev: develop-2", ago(40));

    const base = mkdtempSync(join(tmpdir(), "laminar-promote-pr-"));
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    const workspace = join(base, "ws");
    const env = {
      GITHUB_TOKEN: s.token,
      GITHUB_REPOSITORY: `${s.repository.owner}/${s.repository.repo}`,
      GITHUB_SERVER_URL: s.url,
      GITHUB_API_URL: s.apiUrl,
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-promote-pr-cache-")),
    };
    const r = await laminarAsync(["apply", "--dir", workspace, "--pull-request"], env);
    assert.equal(r.status, 0, r.stderr);
    const prs = s.state.openPullRequests().sort((a, b) => (a.head < b.head ? -1 : 1));
    assert.deepEqual(
      prs.map((p) => [p.head, p.base, p.title]),
      [
        ["laminar/promote-prod", "main", `Promote prod: envs/prod/app.yaml: ${h}/acme/app:develop-1`],
        ["laminar/promote-staging", "main", `Promote staging: envs/staging/app.yaml: ${h}/acme/app:develop-2`],
      ],
    );
    const body = prs[1]?.body ?? "";
    assert.match(body, /### Promotions/);
    // The author is outside text: HTML-escaped and its @ kept from becoming a mention (issue #13).
    assert.ok(
      body.includes(
        `reached envs/dev/app.yaml:1 in \`${c1.slice(0, 12)}\` by Dev &lt;dev@\u200bexample.test&gt; at ${ago(40)
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z")}; soak 24h; built ${ago(50)
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z")}; digest \`sha256:`,
      ),
      body,
    );
    assert.equal(
      git(s.bareRepoPath, ["show", "laminar/promote-staging:envs/staging/app.yaml"]),
      `image: ${h}/acme/app:develop-2\n`,
    );
    assert.equal(
      git(s.bareRepoPath, ["show", "laminar/promote-staging:envs/prod/app.yaml"]),
      `image: ${h}/acme/app:develop-0\n`,
    );
    assert.equal(
      git(s.bareRepoPath, [
        "log",
        "-1",
        "--format=%(trailers:key=Laminar-Update,valueonly)",
        "laminar/promote-prod",
      ]).trim(),
      "promotion:prod",
    );

    const again = await laminarAsync(["apply", "--dir", workspace, "--pull-request", "--json"], env);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(s.state.openPullRequests().length, 2, again.stdout + again.stderr);
    assert.deepEqual(
      prs.map((p) => p.body),
      s.state
        .openPullRequests()
        .sort((a, b) => (a.head < b.head ? -1 : 1))
        .map((p) => p.body),
      "a rerun leaves the bodies as they were",
    );

    // A person brings prod to develop-1 by hand: the prod promotion's pull request is obsolete.
    git(seed, ["pull", "--quiet", "origin", "main"]);
    commitAt(seed, { "envs/prod/app.yaml": `image: ${h}/acme/app:develop-1\n` }, "prod: develop-1 by hand", ago(0.1));
    await gitAsync(workspace, ["-c", auth, "pull", "--quiet", "origin", "main"]);
    const third = await laminarAsync(["apply", "--dir", workspace, "--pull-request"], env);
    assert.equal(third.status, 0, third.stderr);
    assert.deepEqual(
      s.state.openPullRequests().map((p) => p.head),
      ["laminar/promote-staging"],
    );
    assert.deepEqual(s.violations, []);
  });
});
