import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseServerConfig } from "../src/config/server.js";
import { ServeEngine } from "../src/serve/engine.js";
import type { RunRecord } from "../src/serve/types.js";
import { git, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const hoursAgo = (h: number): Date => new Date(Date.now() - h * 3_600_000);

/** A bare remote whose history (dev got develop-2 48 hours ago) is made with controlled commit dates. */
function remoteWithHistory(base: string, name: string, files: Record<string, string>, image: string): string {
  const bare = join(base, `${name}.git`);
  git(base, ["init", "--quiet", "--bare", "--initial-branch=main", bare]);
  const work = join(base, `${name}-work`);
  git(base, ["clone", "--quiet", bare, work]);
  git(work, ["checkout", "--quiet", "-B", "main"]);
  const commit = (more: Record<string, string>, message: string, date: Date): void => {
    for (const [p, text] of Object.entries(more)) {
      mkdirSync(dirname(join(work, p)), { recursive: true });
      writeFileSync(join(work, p), text);
    }
    git(work, ["add", "-A"]);
    const iso = date.toISOString();
    execFileSync("git", ["-c", "user.name=Dev", "-c", "user.email=dev@example.test", "commit", "-qm", message], {
      cwd: work,
      env: { ...process.env, GIT_AUTHOR_DATE: iso, GIT_COMMITTER_DATE: iso },
      stdio: "pipe",
    });
  };
  commit(
    {
      ...files,
      "envs/dev/app.yaml": `image: ${image}:develop-1\n`,
      "envs/staging/app.yaml": `image: ${image}:develop-1\n`,
    },
    "environments",
    hoursAgo(200),
  );
  commit({ "envs/dev/app.yaml": `image: ${image}:develop-2\n` }, "dev: develop-2", hoursAgo(48));
  git(work, ["push", "--quiet", "origin", "HEAD:main"]);
  return bare;
}

describe("laminar serve runs promotions (#14): the repository's and the server file's, soak from the clone's history", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: hoursAgo(300) },
      { repository: "acme/app", tag: "develop-2", created: hoursAgo(60) },
    ]);
  });
  after(async () => registry?.stop());

  it("promotes what soaked (the repository's promotion and the server file's); on a name clash the server file's wins, with a warning", async () => {
    const image = `${registry.host}/acme/app`;
    const base = mkdtempSync(join(tmpdir(), "laminar-serve-promote-"));
    const promotion = (soak: string) =>
      `promotions:\n  - name: staging\n    from: [envs/dev]\n    to: [envs/staging]\n    soak: ${soak}\n`;
    const remote = remoteWithHistory(base, "remote", { ".laminar.yaml": promotion("24h") }, image);
    const own = remoteWithHistory(base, "own", {}, image);
    // The server file's `staging` (72h) also clashes with a repository's own (24h): the server's wins.
    const clash = remoteWithHistory(base, "clash", { ".laminar.yaml": promotion("24h") }, image);
    const section = (soak: string) =>
      `    promotions:\n      - name: staging\n        from: [envs/dev]\n        to: [envs/staging]\n        soak: ${soak}\n`;
    const server = parseServerConfig(
      `git:\n` +
        `  - name: remote\n    url: ${remote}\n    remoteConfig: true\n    pollFreq: 3600\n` +
        `  - name: own\n    url: ${own}\n    pollFreq: 3600\n${section("24h")}` +
        `  - name: clash\n    url: ${clash}\n    remoteConfig: true\n    pollFreq: 3600\n${section("72h")}`,
      "server.yaml",
      tmpdir(),
    );
    const runs = new Map<string, RunRecord>();
    const logs: string[] = [];
    let done: () => void = () => undefined;
    const allDone = new Promise<void>((r) => (done = r));
    const engine = new ServeEngine({
      server,
      stateDir: mkdtempSync(join(tmpdir(), "laminar-serve-promote-state-")),
      env: process.env,
      log: (m) => logs.push(m),
      mask: (s) => s,
      debounceMs: 50,
      onRun: (name, run) => {
        runs.set(name, run);
        if (runs.size === 3) done();
      },
    });
    await engine.start();
    try {
      await allDone;
    } finally {
      await engine.stop();
    }
    // (status is read after stop: the last run's record and warnings stay.)
    // The repository's own promotion and the server file's: 48 hours in dev passed the 24h soak.
    for (const bare of [remote, own]) {
      assert.equal(git(bare, ["show", "main:envs/staging/app.yaml"]), `image: ${image}:develop-2\n`);
      assert.match(git(bare, ["log", "-1", "--format=%B", "main"]), /Laminar-Update: promotion:staging/);
    }
    // The clash: the server file's 72h wins over the repository's 24h, so nothing moves yet.
    assert.equal(git(clash, ["show", "main:envs/staging/app.yaml"]), `image: ${image}:develop-1\n`);
    assert.equal(git(clash, ["log", "-1", "--format=%s", "main"]).trim(), "dev: develop-2");
    assert.equal(runs.get("remote")?.result, "success", JSON.stringify(runs.get("remote")));
    assert.equal(runs.get("own")?.result, "success", JSON.stringify(runs.get("own")));
    assert.deepEqual(
      engine.status().find((r) => r.name === "clash")?.warnings,
      ['clash: .laminar.yaml promotion "staging" is ignored: the server file has one of that name'],
      logs.join("\n"),
    );
  });

  it("a server-file repository with only promotions is valid; with neither rules nor remoteConfig it is named", () => {
    const ok = parseServerConfig(
      "git:\n  - name: p\n    url: /x.git\n    promotions:\n      - name: prod\n        from: [a]\n        to: [b]\n        soak: 1h\n",
      "server.yaml",
      tmpdir(),
    );
    assert.equal(ok.repositories[0]?.config.promotions[0]?.name, "prod");
    assert.throws(
      () => parseServerConfig("git:\n  - name: p\n    url: /x.git\n", "server.yaml", tmpdir()),
      /no `updates`, no `promotions` and no `remoteConfig: true`/,
    );
  });
});
