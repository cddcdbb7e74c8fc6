/**
 * The SIGTERM bound of `laminar serve` (issue #16): a repository's command that would run for a
 * minute does not hold the process. After the grace period the run is abandoned — the command's
 * process group killed, the work tree restored, nothing pushed — and serve exits 0.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
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

describe("laminar serve shutdown", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/slow", tag: "v1.0.0", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/slow", tag: "v1.1.0", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => registry?.stop());

  it("SIGTERM during a 60 s command: exit 0 after abandoning the run, remote unchanged, clone clean", async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-serve-stop-"));
    const bare = join(dir, "slow.git");
    initBareRepo(bare, { "k8s/app.yaml": `image: ${registry.host}/acme/slow:v1.0.0\n` });
    const headBefore = git(bare, ["rev-parse", "main"]).trim();
    const started = join(dir, "command-started");
    // The command writes into the tree, says it started, then would sleep a minute.
    const command = `echo generated > generated.txt && touch '${started}' && sleep 60`;
    writeFileSync(
      join(dir, "server.yaml"),
      `git:\n  - name: slow\n    url: slow.git\n    pollFreq: 3600\n    preCommitCommands: [${JSON.stringify(command)}]\n    updates:\n      - pattern: semver:^1\n        files: [k8s]\n`,
    );
    const port = await freePort();
    const state = join(dir, "state");
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        cli,
        "serve",
        "--config",
        join(dir, "server.yaml"),
        "--state-dir",
        state,
        "--listen",
        `127.0.0.1:${port}`,
      ],
      { cwd: root, env: { ...process.env, LAMINAR_SERVE_STOP_GRACE_MS: "" }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) =>
      child.on("close", (c) => {
        code = c;
        resolve();
      }),
    );
    try {
      for (let i = 0; i < 300 && !existsSync(started); i++) await sleep(100);
      assert.ok(existsSync(started), `the command never started:\n${stderr}`);
      child.kill("SIGTERM");
      // Bounded by attempts, not by reading a clock: 150 × 100 ms is more than the 10 s bound plus a
      // loaded machine's slack, and far less than the 60 s the command would take.
      for (let i = 0; i < 150 && code === undefined; i++) await Promise.race([exited, sleep(100)]);
      assert.notEqual(code, undefined, `serve did not exit after SIGTERM:\n${stderr}`);
    } finally {
      if (code === undefined) child.kill("SIGKILL");
    }
    assert.equal(code, 0, stderr);
    assert.match(stderr, /abandoning the runs still in progress \(slow\)/);
    assert.match(stderr, /slow: run failed .*was stopped: the run was abandoned; the work tree was restored/);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), headBefore, "nothing was pushed");
    const clone = join(state, "repos", "slow");
    assert.equal(git(clone, ["status", "--porcelain", "--untracked-files=all"]), "", "the clone's work tree is clean");
    assert.equal(git(clone, ["rev-parse", "HEAD"]).trim(), headBefore, "no local commit left behind");
  });
});
