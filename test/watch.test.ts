import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
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

  function checkout(repository = "acme/app"): { bare: string; work: string } {
    const base = mkdtempSync(join(tmpdir(), "laminar-watch-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, {
      ".laminar.yaml":
        "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\nglobal:\n  gitUser: Laminar\n  gitEmail: laminar@example.test\n",
      "k8s/app.yaml": `image: ${registry.host}/${repository}:develop-1\n`,
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
    let text = "";
    for (let i = 0; i < 100 && !/laminar_runs_total\{result="success"\} [1-9]/.test(text); i++) {
      await sleep(100);
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => "",
      );
    }
    assert.match(text, /laminar_runs_total\{result="success"\} [1-9]/);
    assert.match(text, /laminar_changes_total 1/);
    assert.match(text, /laminar_registry_requests_total\{kind="tagPages"\} [1-9]/);
    assert.match(text, /laminar_last_run_duration_seconds \d/);
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  });
});
