import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseServerConfig } from "../src/config/server.js";
import { ServeEngine } from "../src/serve/engine.js";
import { listenHttp, type RunningHttpServer } from "../src/serve/http.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { serveGitHttp } from "./helpers/github-api/git-http-backend.js";
import { commitFiles, git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { freePort, startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const TOKEN = "serve-test-token-0123456789";

/** A bare remote whose k8s/app.yaml references `image:develop-1`. */
function remote(base: string, name: string, image: string, extra: Record<string, string> = {}): string {
  const bare = join(base, `${name}.git`);
  initBareRepo(bare, { "k8s/app.yaml": `image: ${image}:develop-1\n`, ...extra });
  return bare;
}

function fileAt(bare: string, path = "k8s/app.yaml"): string {
  return git(bare, ["show", `main:${path}`]);
}

interface Running {
  engine: ServeEngine;
  http: RunningHttpServer;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

async function startServe(
  serverYaml: string,
  o: {
    stateDir?: string;
    token?: string | undefined;
    debounceMs?: number;
    port?: number;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<Running> {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), "laminar-serve-state-"));
  const server = parseServerConfig(serverYaml, "server.yaml", tmpdir());
  const logs: string[] = [];
  const engine = new ServeEngine({
    server,
    stateDir,
    env: { ...process.env, ...o.env },
    log: (m) => logs.push(m),
    mask: (s) => s,
    debounceMs: o.debounceMs ?? 50,
  });
  const http = await listenHttp(
    { engine, apiToken: "token" in o ? o.token : TOKEN, log: (m) => logs.push(m) },
    "127.0.0.1",
    o.port ?? 0,
  );
  await engine.start();
  return {
    engine,
    http,
    url: `http://${http.address}`,
    logs,
    stop: async () => {
      await engine.stop();
      await http.close();
    },
  };
}

/** Polls `check` a bounded number of times (no timing assertion: only the outcome is checked). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

async function repos(url: string): Promise<RepositoryStatus[]> {
  const r = await fetch(`${url}/api/v1/repos`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { repositories: RepositoryStatus[] }).repositories;
}

/** Waits until every named repository finished a run that `done` accepts. */
function runsDone(url: string, names: string[], done: (r: RepositoryStatus) => boolean, what: string) {
  return eventually(async () => {
    const all = await repos(url);
    const mine = all.filter((r) => names.includes(r.name));
    return mine.length === names.length && mine.every((r) => !r.running && done(r)) ? mine : undefined;
  }, what);
}

const post = (url: string, token: string | undefined, body?: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), "content-type": "application/json", ...headers },
    ...(body !== undefined ? { body } : {}),
  });

describe("laminar serve: many repositories, one registry view", () => {
  let registry: RunningRegistry;
  let base: string;
  before(async () => {
    registry = await startRegistry();
    base = mkdtempSync(join(tmpdir(), "laminar-serve-remotes-"));
    await seedImages(registry, [
      { repository: "acme/shared", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/shared", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
      { repository: "acme/hooked", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/bystander", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/clone", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/clone", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => {
    await registry?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const rules = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;

  it("two repositories referencing one image: one tag-list request per cycle, both pushed", async () => {
    const image = `${registry.host}/acme/shared`;
    const a = remote(base, "cluster-a", image);
    const b = remote(base, "cluster-b", image);
    const s = await startServe(
      `global:\n  gitUser: Serve Bot\n  gitEmail: serve@example.test\ngit:\n` +
        `  - name: cluster-a\n    url: ${a}\n    pollFreq: 3600\n${rules}` +
        `  - name: cluster-b\n    url: ${b}\n    pollFreq: 3600\n${rules}`,
    );
    try {
      await runsDone(s.url, ["cluster-a", "cluster-b"], (r) => r.lastRun !== undefined, "first runs");
      // First cycle: both repositories planned against one tag list.
      assert.equal(s.engine.registryCounts().tagPages, 1, s.logs.join("\n"));
      for (const bare of [a, b]) {
        assert.equal(fileAt(bare), `image: ${image}:develop-2\n`);
        assert.equal(git(bare, ["log", "-1", "--format=%an <%ae>", "main"]).trim(), "Serve Bot <serve@example.test>");
      }
      assert.equal((await fetch(`${s.url}/readyz`)).status, 200);

      // A sync of everything is a new cycle: fresh tags, asked once for both repositories.
      const r = await post(`${s.url}/api/v1/sync`, TOKEN);
      assert.equal(r.status, 202);
      assert.deepEqual(await r.json(), { queued: ["cluster-a", "cluster-b"] });
      const after = await runsDone(s.url, ["cluster-a", "cluster-b"], (x) => x.lastRun?.trigger === "api", "api runs");
      assert.ok(after.every((x) => x.lastRun?.result === "success"));
      assert.equal(s.engine.registryCounts().tagPages, 2);

      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(metrics, /laminar_runs_total\{repository="cluster-a",result="success"\} 2/);
      assert.match(metrics, /laminar_changes_total\{repository="cluster-b"\} 1/);
      assert.match(metrics, /laminar_registry_requests_total\{kind="tagPages"\} 2/);
      assert.match(metrics, /laminar_run_duration_seconds_count\{repository="cluster-a"\} 2/);
    } finally {
      await s.stop();
    }
  });

  it("a registry push webhook runs only the repositories that use the pushed image", async () => {
    const hooked = `${registry.host}/acme/hooked`;
    const bystander = `${registry.host}/acme/bystander`;
    const a = remote(base, "uses-hooked", hooked);
    const b = remote(base, "uses-bystander", bystander);
    const s = await startServe(
      `git:\n  - name: uses-hooked\n    url: ${a}\n    pollFreq: 3600\n${rules}` +
        `  - name: uses-bystander\n    url: ${b}\n    pollFreq: 3600\n${rules}`,
    );
    try {
      await runsDone(s.url, ["uses-hooked", "uses-bystander"], (r) => r.lastRun?.result === "success", "first runs");
      const bystanderHead = git(b, ["rev-parse", "main"]);
      await seedImages(registry, [
        { repository: "acme/hooked", tag: "develop-3", created: new Date("2026-11-03T00:00:00Z") },
      ]);
      const envelope = {
        events: [
          { action: "pull", target: { repository: "acme/bystander", tag: "develop-1" } },
          { action: "push", target: { repository: "acme/hooked", tag: "develop-3" }, request: { host: registry.host } },
          { action: "push", target: { repository: "acme/hooked" }, request: { host: registry.host } },
        ],
      };
      const r = await post(`${s.url}/api/v1/hooks/distribution`, TOKEN, JSON.stringify(envelope), {
        "content-type": "application/vnd.docker.distribution.events.v1+json",
      });
      assert.equal(r.status, 202);
      assert.deepEqual(await r.json(), { triggered: ["uses-hooked"] });
      await eventually(() => (fileAt(a).includes(":develop-3") ? true : undefined), "the hooked repository is pushed");
      assert.equal(fileAt(a), `image: ${hooked}:develop-3\n`);
      const status = await runsDone(s.url, ["uses-hooked"], (x) => x.lastRun?.trigger === "webhook", "webhook run");
      assert.equal(status[0]?.lastRun?.changes[0]?.to, "develop-3");
      const bystanderStatus = (await repos(s.url)).find((x) => x.name === "uses-bystander");
      assert.equal(bystanderStatus?.lastRun?.trigger, "schedule", "the bystander did not run again");
      assert.equal(git(b, ["rev-parse", "main"]), bystanderHead);
    } finally {
      await s.stop();
    }
  });

  it("POSTs need the Bearer token; bodies are capped; errors are JSON", async () => {
    const bare = remote(base, "auth", `${registry.host}/acme/bystander`);
    const yaml = `git:\n  - name: auth\n    url: ${bare}\n    pollFreq: 3600\n${rules}`;
    const off = await startServe(yaml, { token: undefined });
    try {
      const r = await post(`${off.url}/api/v1/sync`, TOKEN);
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { error: string }).error, /LAMINAR_API_TOKEN/);
    } finally {
      await off.stop();
    }
    const s = await startServe(yaml);
    try {
      const missing = await post(`${s.url}/api/v1/sync`, undefined);
      assert.equal(missing.status, 401);
      assert.match(((await missing.json()) as { error: string }).error, /Bearer token/);
      assert.equal((await post(`${s.url}/api/v1/sync`, `${TOKEN}x`)).status, 401);
      assert.equal((await post(`${s.url}/api/v1/repos/auth/sync`, "wrong")).status, 401);
      assert.equal((await post(`${s.url}/api/v1/repos/auth/sync`, TOKEN)).status, 202);
      assert.equal((await post(`${s.url}/api/v1/repos/nope/sync`, TOKEN)).status, 404);
      const big = await post(`${s.url}/api/v1/hooks/distribution`, TOKEN, "x".repeat(2 * 1024 * 1024)).catch(
        () => undefined,
      );
      // Node's fetch may see the connection closed while it still sends; either way nothing was taken.
      if (big) assert.equal(big.status, 413);
      const bad = await post(`${s.url}/api/v1/hooks/distribution`, TOKEN, "{not json");
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /not JSON/);
      const notEnvelope = await post(`${s.url}/api/v1/hooks/distribution`, TOKEN, "{}");
      assert.equal(notEnvelope.status, 400);
      const wrongMethod = await fetch(`${s.url}/api/v1/sync`);
      assert.equal(wrongMethod.status, 405);
      assert.equal((await fetch(`${s.url}/nowhere`)).headers.get("content-type"), "application/json; charset=utf-8");
      assert.deepEqual(await (await fetch(`${s.url}/healthz`)).json(), { status: "ok" });
    } finally {
      await s.stop();
    }
  });

  it("keeps its clone across restarts, re-clones a damaged one, and takes a force-pushed remote as it is", async () => {
    const image = `${registry.host}/acme/clone`;
    const bare = remote(base, "clone", image);
    const stateDir = mkdtempSync(join(tmpdir(), "laminar-serve-state-"));
    const yaml = `git:\n  - name: clone\n    url: ${bare}\n    pollFreq: 3600\n${rules}`;
    const cloned = (logs: string[]) => logs.filter((l) => /cloning/.test(l)).length;

    const first = await startServe(yaml, { stateDir });
    await runsDone(first.url, ["clone"], (r) => r.lastRun?.result === "success", "first run");
    await first.stop();
    assert.equal(cloned(first.logs), 1);
    assert.equal(fileAt(bare), `image: ${image}:develop-2\n`);

    // Force-push: the remote goes back to a history without Laminar's commit.
    const rewritten = initBareRepo(join(base, "clone-rewritten.git"), {
      "k8s/app.yaml": `image: ${image}:develop-1\n`,
    });
    git(bare, ["fetch", "--quiet", join(base, "clone-rewritten.git"), `+main:refs/heads/main`]);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), rewritten);

    const second = await startServe(yaml, { stateDir });
    await runsDone(second.url, ["clone"], (r) => r.lastRun?.result === "success", "run after restart");
    await second.stop();
    assert.equal(cloned(second.logs), 0, "the clone from before the restart is reused");
    assert.equal(git(bare, ["rev-parse", "main^"]).trim(), rewritten, "Laminar's commit sits on the new history");
    assert.equal(fileAt(bare), `image: ${image}:develop-2\n`);

    // Damage the clone: git can no longer read its HEAD.
    writeFileSync(join(stateDir, "repos", "clone", ".git", "HEAD"), "garbage\n");
    commitFiles(bare, "main", { "k8s/app.yaml": `image: ${image}:develop-1\n` }, "back to 1");
    const third = await startServe(yaml, { stateDir });
    const [status] = await runsDone(third.url, ["clone"], (r) => r.lastRun !== undefined, "run after damage");
    await third.stop();
    assert.equal(status?.lastRun?.result, "success", third.logs.join("\n"));
    assert.equal(cloned(third.logs), 1, "the damaged clone was replaced");
    // "back to 1" is a person's rollback (no Laminar-Update trailer): it is respected (issue #14).
    assert.equal(fileAt(bare), `image: ${image}:develop-1\n`);
  });

  it("reports a repository without rules, and a failing one, while the others go on", async () => {
    const image = `${registry.host}/acme/shared`;
    const good = remote(base, "still-good", image);
    const norules = remote(base, "no-rules", image);
    const s = await startServe(
      `git:\n  - name: no-rules\n    url: ${norules}\n    remoteConfig: true\n    pollFreq: 3600\n` +
        `  - name: unreachable\n    url: ${join(base, "missing.git")}\n    pollFreq: 3600\n${rules}` +
        `  - name: still-good\n    url: ${good}\n    pollFreq: 3600\n${rules}` +
        `  - name: userinfo\n    url: https://someone:pw-in-url-secret@127.0.0.1:1/x.git\n    pollFreq: 3600\n${rules}`,
    );
    try {
      const names = ["no-rules", "unreachable", "still-good", "userinfo"];
      const all = await runsDone(s.url, names, (r) => !!r.lastRun, "runs");
      const by = new Map(all.map((r) => [r.name, r]));
      assert.equal(by.get("no-rules")?.lastRun?.result, "error");
      assert.match(by.get("no-rules")?.lastRun?.error ?? "", /no rules/);
      assert.equal(by.get("unreachable")?.lastRun?.result, "error");
      assert.match(by.get("unreachable")?.lastRun?.error ?? "", /clone/);
      assert.equal(by.get("unreachable")?.consecutiveFailures, 1);
      assert.ok(by.get("unreachable")?.nextRunAt, "a retry is scheduled");
      assert.equal(by.get("still-good")?.lastRun?.result, "success");
      assert.equal(by.get("userinfo")?.url, "https://***@127.0.0.1:1/x.git");
      assert.equal(by.get("userinfo")?.lastRun?.result, "error");
      assert.doesNotMatch(JSON.stringify(all), /pw-in-url-secret/);
      assert.equal(fileAt(good), `image: ${image}:develop-2\n`);
      // Not every repository was cloned: not ready.
      assert.equal((await fetch(`${s.url}/readyz`)).status, 503);
    } finally {
      await s.stop();
    }
  });

  it("the real registry's push notifications make serve commit the new tag, only where it is used", async () => {
    const port = await freePort();
    const notifying = await startRegistry({
      notify: {
        url: `http://127.0.0.1:${port}/api/v1/hooks/distribution`,
        headers: { Authorization: `Bearer ${TOKEN}` },
      },
    });
    try {
      await seedImages(notifying, [
        { repository: "acme/notified", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      ]);
      // The quiet repository uses the same repository path on another registry (which sends no
      // notifications): a push notice names its host, so it must not run. Seeding a second image into
      // the notifying registry instead made the test racy: that seed's own notice, queued by the
      // registry until serve listened, could legitimately start a run of the quiet repository.
      await seedImages(registry, [
        { repository: "acme/notified", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      ]);
      const used = remote(base, "notified", `${notifying.host}/acme/notified`);
      const quiet = remote(base, "quiet", `${registry.host}/acme/notified`);
      const s = await startServe(
        `git:\n  - name: notified\n    url: ${used}\n    pollFreq: 3600\n${rules}` +
          `  - name: quiet\n    url: ${quiet}\n    pollFreq: 3600\n${rules}`,
        { port, debounceMs: 200 },
      );
      try {
        await runsDone(s.url, ["notified", "quiet"], (r) => r.lastRun?.result === "success", "first runs");
        const quietHead = git(quiet, ["rev-parse", "main"]);
        await seedImages(notifying, [
          { repository: "acme/notified", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
        ]);
        await eventually(
          () => (fileAt(used).includes(":develop-2") ? true : undefined),
          "the notified repository is pushed",
        );
        assert.equal(fileAt(used), `image: ${notifying.host}/acme/notified:develop-2\n`);
        await runsDone(s.url, ["notified"], (r) => r.lastRun?.trigger === "webhook", "the run the webhook started");
        const byName = new Map((await repos(s.url)).map((r) => [r.name, r]));
        assert.equal(byName.get("quiet")?.lastRun?.trigger, "schedule", "the other repository did not run again");
        assert.equal(git(quiet, ["rev-parse", "main"]), quietHead);
      } finally {
        await s.stop();
      }
    } finally {
      await notifying.stop();
    }
  });

  it("clones and pushes over HTTP with the token of tokenEnv, and never shows it", async () => {
    const gitToken = "git-http-token-9f8e7d6c5b4a";
    const expected = `Basic ${Buffer.from(`x-access-token:${gitToken}`).toString("base64")}`;
    const root = mkdtempSync(join(tmpdir(), "laminar-serve-http-"));
    const image = `${registry.host}/acme/shared`;
    const bare = remote(root, "over-http", image);
    git(bare, ["config", "http.receivepack", "true"]);
    const gitServer = createServer((req, res) => {
      // git sends the scheme as written in the extra header (`basic`); schemes are case-insensitive.
      if (req.headers.authorization?.replace(/^basic /i, "Basic ") !== expected) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="git"' }).end();
        return;
      }
      serveGitHttp(req, res, {
        projectRoot: root,
        pathInfo: new URL(req.url ?? "/", "http://x").pathname,
        remoteUser: "laminar",
      });
    });
    await new Promise<void>((resolve) => gitServer.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(gitServer.address() as AddressInfo).port}/over-http.git`;
    const s = await startServe(
      `git:\n  - name: over-http\n    url: ${url}\n    tokenEnv: LAMINAR_TEST_GIT_TOKEN\n    pollFreq: 3600\n${rules}` +
        `  - name: wrong-token\n    url: ${url}\n    tokenEnv: LAMINAR_TEST_WRONG_TOKEN\n    pollFreq: 3600\n${rules}`,
      { env: { LAMINAR_TEST_GIT_TOKEN: gitToken, LAMINAR_TEST_WRONG_TOKEN: "not-the-token-123456" } },
    );
    try {
      const all = await runsDone(s.url, ["over-http", "wrong-token"], (r) => r.lastRun !== undefined, "runs");
      const by = new Map(all.map((r) => [r.name, r]));
      assert.equal(by.get("over-http")?.lastRun?.result, "success", s.logs.join("\n"));
      assert.equal(fileAt(bare), `image: ${image}:develop-2\n`);
      assert.equal(by.get("wrong-token")?.lastRun?.result, "error");
      assert.match(by.get("wrong-token")?.lastRun?.error ?? "", /clone/);
      for (const text of [JSON.stringify(all), s.logs.join("\n")]) {
        assert.doesNotMatch(text, new RegExp(gitToken));
        assert.doesNotMatch(text, /not-the-token-123456/);
      }
    } finally {
      await s.stop();
      await new Promise<void>((resolve) => gitServer.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("never runs one repository twice at once, and a stop lets the run in progress push", async () => {
    const image = `${registry.host}/acme/clone`;
    const bare = remote(base, "gated", image);
    const gate = mkdtempSync(join(tmpdir(), "laminar-serve-gate-"));
    const started = join(gate, "started");
    const release = join(gate, "release");
    // The command holds the run (after the rewrite, before the commit) until the test releases it.
    const command = `touch '${started}'; while [ ! -f '${release}' ]; do sleep 0.05; done`;
    const s = await startServe(
      `git:\n  - name: gated\n    url: ${bare}\n    pollFreq: 3600\n${rules}    preCommitCommands:\n      - ${JSON.stringify(command)}\n`,
    );
    let stopped = false;
    try {
      await eventually(() => (existsSync(started) ? true : undefined), "the first run reaches its command");
      for (let i = 0; i < 3; i++) assert.equal((await post(`${s.url}/api/v1/repos/gated/sync`, TOKEN)).status, 202);
      const [during] = (await repos(s.url)).filter((r) => r.name === "gated");
      assert.equal(during?.running, true);
      assert.equal(during?.lastRun, undefined, "still the first run");
      // Stop while the run waits in its command: it must still commit and push, then stop resolves.
      const stopping = s.stop().then(() => (stopped = true));
      assert.equal((await post(`${s.url}/api/v1/sync`, TOKEN)).status, 503);
      writeFileSync(release, "");
      await stopping;
      assert.equal(fileAt(bare), `image: ${image}:develop-2\n`);
      assert.equal(git(bare, ["rev-list", "--count", "main"]).trim(), "2");
      // One run, and none of the three queued requests started a second one after the stop.
      assert.match(await s.engine.metrics.render(), /laminar_runs_total\{repository="gated",result="success"\} 1\n/);
    } finally {
      writeFileSync(release, "");
      if (!stopped) await s.stop();
      rmSync(gate, { recursive: true, force: true });
    }
  });

  it("a sync asked during a run queues exactly one more run", async () => {
    const image = `${registry.host}/acme/clone`;
    const bare = remote(base, "queued", image);
    const gate = mkdtempSync(join(tmpdir(), "laminar-serve-gate-"));
    const started = join(gate, "started");
    const release = join(gate, "release");
    const command = `touch '${started}'; while [ ! -f '${release}' ]; do sleep 0.05; done`;
    const s = await startServe(
      `git:\n  - name: queued\n    url: ${bare}\n    pollFreq: 3600\n${rules}    preCommitCommands:\n      - ${JSON.stringify(command)}\n`,
    );
    try {
      await eventually(() => (existsSync(started) ? true : undefined), "the first run reaches its command");
      for (let i = 0; i < 3; i++) assert.equal((await post(`${s.url}/api/v1/repos/queued/sync`, TOKEN)).status, 202);
      writeFileSync(release, "");
      // The second run finds nothing to change (no command, no commit) and is the last one.
      await runsDone(s.url, ["queued"], (r) => r.lastRun?.trigger === "api", "the queued run");
      const text = await s.engine.metrics.render();
      assert.match(text, /laminar_runs_total\{repository="queued",result="success"\} 2\n/);
      assert.equal(git(bare, ["rev-list", "--count", "main"]).trim(), "2");
    } finally {
      writeFileSync(release, "");
      await s.stop();
      rmSync(gate, { recursive: true, force: true });
    }
  });
});
