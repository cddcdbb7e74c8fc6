import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { stopGraceMs } from "../src/serve/stop-grace.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { freePort, startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "src/cli/bin.ts");

describe("laminar watch: the long-running mode for people not on GitHub", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/app", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => registry?.stop());

  function checkout(repository = "acme/app", extra = ""): { bare: string; work: string } {
    const base = mkdtempSync(join(tmpdir(), "laminar-watch-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, {
      ".laminar.yaml":
        "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\nglobal:\n  gitUser: Laminar\n  gitEmail: laminar@example.test\n" +
        extra,
      "k8s/app.yaml": `image: ${registry.host}/${repository}:develop-1\n`,
      "notes.txt": "mine\n",
    });
    const work = join(base, "work");
    git(base, ["clone", "--quiet", bare, work]);
    return { bare, work };
  }

  it("--once --push syncs from the remote, commits and pushes with the configured author", () => {
    const { bare, work } = checkout();
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, "watch", "--dir", work, "--push", "--once"], {
      encoding: "utf8",
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "c-")) },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /pushed [0-9a-f]{12} to main: 1 change\(s\)/);
    assert.equal(
      git(bare, ["log", "-1", "--format=%s|%an <%ae>", "main"]).trim(),
      `k8s/app.yaml: ${registry.host}/acme/app:develop-2|Laminar <laminar@example.test>`,
    );
  });

  it("sees a tag pushed to the registry after its first pass", async () => {
    // A repository of its own: the tag pushed here must not change what the other tests expect.
    await seedImages(registry, [
      { repository: "acme/late", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/late", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
    const { work } = checkout("acme/late");
    const file = join(work, "k8s/app.yaml");
    const child = spawn(process.execPath, ["--import", "tsx", cli, "watch", "--dir", work, "--interval", "1"], {
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "c-")) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const waitFor = async (tag: string): Promise<string> => {
      let text = "";
      for (let i = 0; i < 150 && !text.includes(`:${tag}\n`); i++) {
        await sleep(100);
        text = readFileSync(file, "utf8");
      }
      return text;
    };
    try {
      // First pass: the newest tag at start-up.
      assert.equal(await waitFor("develop-2"), `image: ${registry.host}/acme/late:develop-2\n`, stderr);
      // Pushed while watch sleeps between passes; a client that kept its first tag list never sees it.
      await seedImages(registry, [
        { repository: "acme/late", tag: "develop-3", created: new Date("2026-11-03T00:00:00Z") },
      ]);
      assert.equal(await waitFor("develop-3"), `image: ${registry.host}/acme/late:develop-3\n`, stderr);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });

  it("serves Prometheus metrics while it runs and stops on SIGTERM", async () => {
    const { work } = checkout();
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "watch", "--dir", work, "--interval", "1", "--metrics-port", String(port)],
      { env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "c-")) }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let text = "";
    // The serve engine's series (watch runs on it): labelled with the repository, the checkout's folder name.
    for (let i = 0; i < 300 && !/laminar_runs_total\{repository="work",result="success"\} [1-9]/.test(text); i++) {
      await sleep(100);
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
    }
    assert.match(text, /laminar_runs_total\{repository="work",result="success"\} [1-9]/);
    assert.match(text, /laminar_changes_total\{repository="work"\} 1/);
    assert.match(text, /laminar_registry_requests_total\{kind="tagPages"\} [1-9]/);
    assert.match(text, /laminar_run_duration_seconds_count\{repository="work"\} [1-9]/);
    assert.match(text, /laminar_repository_last_run_success\{repository="work"\} 1/);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    // The grace serve has too: one constant (src/serve/stop-grace.ts), unless the environment shortens it.
    const grace = stopGraceMs(process.env) / 1000;
    assert.match(stderr, new RegExp(`SIGTERM: finishing the run in progress \\(abandoning it after ${grace} s\\)`));
  });

  function watchOnce(work: string): { status: number | null; stdout: string; stderr: string } {
    return spawnSync(process.execPath, ["--import", "tsx", cli, "watch", "--dir", work, "--push", "--once"], {
      encoding: "utf8",
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "c-")) },
    });
  }

  // Issue #13: watch --push used to `git reset --hard` and `git add .` over the user's checkout.
  it("--push refuses a dirty tree: an uncommitted edit survives and nothing is pushed", () => {
    const { bare, work } = checkout();
    const head = git(bare, ["rev-parse", "main"]).trim();
    writeFileSync(join(work, "notes.txt"), "mine, edited and not committed\n");
    const r = watchOnce(work);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /uncommitted changes \(notes\.txt\); Laminar commits only its own edits/);
    assert.equal(readFileSync(join(work, "notes.txt"), "utf8"), "mine, edited and not committed\n");
    assert.equal(readFileSync(join(work, "k8s/app.yaml"), "utf8"), `image: ${registry.host}/acme/app:develop-1\n`);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), head, "nothing pushed");
  });

  it("--push never commits an untracked file: the pass refuses and the file stays where it was", () => {
    const { bare, work } = checkout();
    writeFileSync(join(work, "scratch.txt"), "not for the remote\n");
    const r = watchOnce(work);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /uncommitted changes \(scratch\.txt\)/);
    assert.equal(readFileSync(join(work, "scratch.txt"), "utf8"), "not for the remote\n");
    assert.equal(git(bare, ["ls-tree", "-r", "--name-only", "main"]).includes("scratch.txt"), false);
  });

  it("--push commits what the configured commands changed, beside the rewritten file", () => {
    const { bare, work } = checkout(
      "acme/app",
      "commands:\n  - echo rendered > k8s/rendered.txt && echo changed >> notes.txt\n",
    );
    const r = watchOnce(work);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(git(bare, ["show", "--name-status", "--format=", "main"]).trim().split("\n").sort(), [
      "A\tk8s/rendered.txt",
      "M\tk8s/app.yaml",
      "M\tnotes.txt",
    ]);
    assert.equal(git(bare, ["show", "main:notes.txt"]), "mine\nchanged\n");
    assert.equal(git(work, ["status", "--porcelain"]), "", "the checkout is clean after the push");
  });

  it("--push fast-forwards to a remote that moved, and refuses local commits that are not on origin", () => {
    const { bare, work } = checkout();
    // A teammate pushed meanwhile: the checkout is behind, cleanly.
    const other = join(mkdtempSync(join(tmpdir(), "laminar-watch-")), "other");
    git(tmpdir(), ["clone", "--quiet", bare, other]);
    writeFileSync(join(other, "team.txt"), "theirs\n");
    git(other, ["add", "team.txt"]);
    git(other, ["commit", "--quiet", "-m", "team"]);
    git(other, ["push", "--quiet", "origin", "main"]);
    let r = watchOnce(work);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(git(bare, ["log", "-2", "--format=%s", "main"]).trim().split("\n")[1], "team");
    // A local commit not on origin is the user's to push: watch neither pushes nor resets it.
    writeFileSync(join(work, "notes.txt"), "a local commit\n");
    git(work, ["commit", "--quiet", "-am", "local"]);
    const remote = git(bare, ["rev-parse", "main"]).trim();
    r = watchOnce(work);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /main has commits that are not on origin\/main .*never resets your checkout/);
    assert.equal(git(work, ["log", "-1", "--format=%s"]).trim(), "local");
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), remote);
  });
});
