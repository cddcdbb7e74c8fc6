import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
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

describe("laminar serve (the command)", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/cli", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/cli", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
      { repository: "acme/own", tag: "v1.0.0", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/own", tag: "v1.1.0", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => registry?.stop());

  it("a bad server.yaml fails at once, naming file, line and key", () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-serve-cli-"));
    writeFileSync(
      join(dir, "server.yaml"),
      "git:\n  - name: manifests\n    url: /srv/m.git\n    pollFreq: often\n    updates:\n      - pattern: glob:*\n        files: [k8s]\n",
    );
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, "serve", "--config", join(dir, "server.yaml")], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, XDG_STATE_HOME: join(dir, "state") },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /config error: \/.*\/server\.yaml:4:15: git\[0\]\.pollFreq: must be a whole number/);
  });

  it("serve needs --config", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", cli, "serve"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /serve needs --config/);
  });

  it("runs the repository's own .laminar.yaml rules with remoteConfig, serves the API, and exits 0 on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-serve-cli-"));
    const bare = join(dir, "own.git");
    initBareRepo(bare, {
      ".laminar.yaml": "updates:\n  - pattern: semver:^1\n    files: [apps]\n",
      "apps/own.yaml": `image: ${registry.host}/acme/own:v1.0.0\n`,
      "k8s/app.yaml": `image: ${registry.host}/acme/cli:develop-1\n`,
    });
    writeFileSync(
      join(dir, "server.yaml"),
      `global:\n  webAddress: "127.0.0.1:1"\ngit:\n  - name: own\n    url: own.git\n    remoteConfig: true\n    pollFreq: 3600\n    updates:\n      - pattern: glob:develop-*\n        files: [k8s]\n`,
    );
    const port = await freePort();
    const token = "cli-serve-token-abcdef0123";
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--config", join(dir, "server.yaml"), "--listen", `127.0.0.1:${port}`],
      {
        cwd: root,
        env: { ...process.env, XDG_STATE_HOME: join(dir, "state"), LAMINAR_API_TOKEN: token },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      let ready = 0;
      for (let i = 0; i < 200 && ready !== 200; i++) {
        await sleep(100);
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
      }
      assert.equal(ready, 200, stderr);
      let subject = "";
      for (let i = 0; i < 200 && !subject.includes("v1.1.0"); i++) {
        await sleep(100);
        subject = git(bare, ["log", "-1", "--format=%B", "main"]);
      }
      // Both the server file's rule and the repository's own rule moved their image, in one commit.
      assert.equal(git(bare, ["show", "main:apps/own.yaml"]), `image: ${registry.host}/acme/own:v1.1.0\n`, stderr);
      assert.equal(git(bare, ["show", "main:k8s/app.yaml"]), `image: ${registry.host}/acme/cli:develop-2\n`);
      assert.equal(git(bare, ["rev-list", "--count", "main"]).trim(), "2");
      assert.doesNotMatch(stderr, new RegExp(token));
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /SIGTERM: finishing the runs in progress/);
  });
});
