/**
 * Runs that touch the user's work (issue #13): what the configured commands change is reported, a
 * command may not delete what Laminar just rewrote, Ctrl-C / SIGTERM put the files back and stop the
 * command's whole process group, two runs on one checkout exclude each other, and a command that
 * leaves a background process behind is done when it exits. The built CLI, real git, the real registry.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const root = new URL("..", import.meta.url).pathname;
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

interface Run {
  readonly pid: number;
  readonly done: Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** The CLI as a child process, asynchronously (the tests signal it while it runs). */
function start(args: string[], env: NodeJS.ProcessEnv = {}): Run {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), ...args], {
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return {
    pid: child.pid as number,
    done: new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
    }),
  };
}

/** Waits for a file a command writes to say it is running (bounded by the test runner's timeout). */
async function waitFor(path: string): Promise<void> {
  while (!existsSync(path)) await sleep(50);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A bare remote holding the manifests, and a fresh clone of it to run in. */
function manifests(files: Record<string, string>): { bare: string; workspace: string; base: string } {
  const base = mkdtempSync(join(tmpdir(), "laminar-user-work-"));
  const bare = join(base, "remote.git");
  initBareRepo(bare, files);
  const workspace = join(base, "workspace");
  git(base, ["clone", "--quiet", bare, workspace]);
  return { bare, workspace, base };
}

describe("runs that touch the user's work (#13)", () => {
  let registry: RunningRegistry;
  let cache: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
    cache = mkdtempSync(join(tmpdir(), "laminar-user-work-cache-"));
  });
  after(async () => registry?.stop());

  const config = (commands: string) =>
    `updates:\n  - pattern: glob:develop-*\n    files: [k8s]\ncommands:\n${commands}`;
  const app = () => `image: ${registry.host}/acme/app:develop-1\n`;
  const apply = (workspace: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    start(["apply", "--dir", workspace, "--cache", join(cache, "registry.json"), ...extra], env);

  it("--push reports every path the commands created, modified or deleted: stdout, JSON and the commit message", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config("  - echo rendered > rendered.yaml; echo more >> NOTES; rm old.txt\n"),
      "k8s/app.yaml": app(),
      NOTES: "notes\n",
      "old.txt": "old\n",
    });
    const r = await apply(workspace, ["--push"]).done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /Commands changed 3 file\(s\): NOTES \(modified\), old\.txt \(deleted\), rendered\.yaml \(created\)/,
    );
    assert.equal(
      git(bare, ["log", "-1", "--format=%B", "main"]).trim(),
      `k8s/app.yaml: ${h}/acme/app:develop-2\n\nChanged by the configured commands:\nmodified NOTES\ndeleted old.txt\ncreated rendered.yaml`,
    );
    assert.deepEqual(git(bare, ["show", "--name-status", "--format=", "main"]).trim().split("\n").sort(), [
      "A\trendered.yaml",
      "D\told.txt",
      "M\tNOTES",
      "M\tk8s/app.yaml",
    ]);
  });

  it("apply --json lists the commands' changes beside the rewritten files", async () => {
    const { workspace } = manifests({ ".laminar.yaml": config("  - echo x > out.txt\n"), "k8s/app.yaml": app() });
    const r = await apply(workspace, ["--json"]).done;
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { files: string[]; commandChanges: unknown[] };
    assert.deepEqual(json.files, ["k8s/app.yaml"]);
    assert.deepEqual(json.commandChanges, [{ path: "out.txt", change: "created" }]);
  });

  for (const [what, victim] of [
    ["a file Laminar just rewrote", "k8s/app.yaml"],
    ["the config file", ".laminar.yaml"],
  ] as const) {
    it(`a command that deletes ${what} is refused: exit 1, nothing committed, every file restored`, async () => {
      const { bare, workspace } = manifests({
        ".laminar.yaml": config(`  - rm ${victim}; echo new > made.txt\n`),
        "k8s/app.yaml": app(),
      });
      const head = git(bare, ["rev-parse", "main"]).trim();
      const r = await apply(workspace, ["--push"]).done;
      assert.equal(r.status, 1, r.stdout);
      assert.match(
        r.stderr,
        new RegExp(
          `the configured commands deleted ${victim.replace(".", "\\.")}, which Laminar just rewrote or reads its config from; nothing was committed and the work tree was restored`,
        ),
      );
      assert.equal(git(bare, ["rev-parse", "main"]).trim(), head);
      assert.equal(git(workspace, ["rev-parse", "HEAD"]).trim(), head);
      assert.equal(git(workspace, ["status", "--porcelain", "--untracked-files=all"]), "");
      assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), app());
    });
  }

  for (const [sig, status] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${sig} during a command: its whole process group is killed, the files restored, exit ${status}`, async () => {
      const outside = mkdtempSync(join(tmpdir(), "laminar-user-work-pids-"));
      const pidFile = join(outside, "grandchild.pid");
      const { workspace } = manifests({
        // The command starts a grandchild of its own and writes a file, then waits: all must go.
        ".laminar.yaml": config(`  - echo half > half-done.txt; sleep 300 & echo $! > "$PIDFILE"; wait\n`),
        "k8s/app.yaml": app(),
      });
      const run = apply(workspace, [], { PIDFILE: pidFile });
      await waitFor(pidFile);
      const grandchild = Number(readFileSync(pidFile, "utf8").trim() || "0");
      process.kill(run.pid, sig);
      const r = await run.done;
      assert.equal(r.status, status, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `laminar: ${sig}: interrupted: the work tree was restored \\(\\d+ file\\(s\\)\\); nothing was committed`,
        ),
      );
      assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), app());
      assert.equal(git(workspace, ["status", "--porcelain", "--untracked-files=all"]), "");
      assert.ok(grandchild > 0);
      // SIGKILL of the group is immediate, but the reaping is the kernel's: give it a moment.
      for (let i = 0; i < 100 && alive(grandchild); i++) await sleep(50);
      assert.equal(alive(grandchild), false, "the command's background sleep was killed with it");
    });
  }

  it("two runs on one checkout: the second is refused while the first runs, naming who holds the lock", async () => {
    const outside = mkdtempSync(join(tmpdir(), "laminar-user-work-lock-"));
    const running = join(outside, "running");
    const go = join(outside, "go");
    const { workspace } = manifests({
      ".laminar.yaml": config(`  - touch "${running}"; while [ ! -e "${go}" ]; do sleep 0.05; done\n`),
      "k8s/app.yaml": app(),
    });
    const first = apply(workspace);
    await waitFor(running);
    const second = await apply(workspace).done;
    writeFileSync(go, "");
    const r = await first.done;
    assert.equal(r.status, 0, r.stderr);
    assert.equal(second.status, 1);
    assert.match(
      second.stderr,
      new RegExp(
        `another laminar run is updating this work tree \\(pid ${first.pid} on ${hostname().replace(/[.]/g, "\\.")}, started [0-9T:.Z-]+\\); wait for it to finish, or delete .*\\.git/laminar\\.lock if that run is gone`,
      ),
    );
    assert.equal(readFileSync(join(workspace, "k8s/app.yaml"), "utf8"), app().replace("develop-1", "develop-2"));
    assert.equal(existsSync(join(workspace, ".git/laminar.lock")), false, "the lock is released");
  });

  it("a lock left by a run that is gone is taken over with a warning", async () => {
    const { workspace } = manifests({ ".laminar.yaml": config(`  - "true"\n`), "k8s/app.yaml": app() });
    const gone = spawnSync("true").pid as number;
    const lock = join(workspace, ".git/laminar.lock");
    writeFileSync(lock, JSON.stringify({ pid: gone, host: hostname(), started: "2026-11-30T00:00:00.000Z" }));
    const r = await apply(workspace).done;
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `laminar: warning: taking over .*laminar\\.lock: its run \\(pid ${gone}, started 2026-11-30T00:00:00\\.000Z\\) is no longer running`,
      ),
    );
    assert.equal(existsSync(lock), false);
  });

  it("a command that leaves a background process holding its output is done when it exits, not at its timeout", async () => {
    const outside = mkdtempSync(join(tmpdir(), "laminar-user-work-bg-"));
    const pidFile = join(outside, "daemon.pid");
    const { workspace } = manifests({
      ".laminar.yaml": config(`  - run: 'echo started; sleep 300 & echo $! > "$PIDFILE"'\n    timeout: 120\n`),
      "k8s/app.yaml": app(),
    });
    const r = await apply(workspace, ["--json"], { PIDFILE: pidFile }).done;
    try {
      assert.equal(r.status, 0, r.stderr);
      const json = JSON.parse(r.stdout) as { commands: { exitCode: number }[] };
      assert.deepEqual(
        json.commands.map((c) => c.exitCode),
        [0],
      );
      assert.doesNotMatch(r.stderr, /timed out/);
    } finally {
      const daemon = Number(readFileSync(pidFile, "utf8").trim());
      if (daemon > 0 && alive(daemon)) process.kill(daemon, "SIGKILL");
    }
  });
});
