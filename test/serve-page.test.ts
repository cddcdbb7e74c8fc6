/**
 * The page at `GET /` of `laminar serve` (issue #16): the renderer with hostile values, and the real
 * thing — the CNCF registry, bare git remotes, serve — loaded by headless Chromium, checked for what
 * a person sees. `LAMINAR_SERVE_SCREENSHOT=docs/serve-page.png` also writes the screenshot for the docs.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseServerConfig } from "../src/config/server.js";
import { escapeHtml, markup } from "../src/output/html.js";
import { RECENT_RUNS, ServeEngine } from "../src/serve/engine.js";
import { listenHttp } from "../src/serve/http.js";
import { renderStatusPage } from "../src/serve/page.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const CHROMIUM = process.env.LAMINAR_CHROMIUM ?? "/usr/bin/chromium";
const TOKEN = "serve-page-token-0123456789";

const HOSTILE_FILE = "k8s/<img src=x onerror=alert(1)>.yaml";
const HOSTILE_TAG = '"><script>alert(1)</script>';

/** What a person reads: the body's text with tags removed and character references decoded. */
function visibleText(dom: string): string {
  return dom
    .replace(/<head>[\s\S]*?<\/head>/i, "")
    .replace(/<style>[\s\S]*?<\/style>/gi, "")
    .replace(/<[^>]*>/g, " ")
    .replace(/&(lt|gt|quot|#39|nbsp|amp);/g, (_, e: string) =>
      e === "lt" ? "<" : e === "gt" ? ">" : e === "quot" ? '"' : e === "#39" ? "'" : e === "nbsp" ? " " : "&",
    )
    .replace(/\s+/g, " ");
}

/** Element names in markup: in serialised HTML a `<` that opens a tag is never text. */
function elements(dom: string): Set<string> {
  return new Set([...dom.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => (m[1] as string).toLowerCase()));
}

const status = (o: Partial<RepositoryStatus> = {}): RepositoryStatus => ({
  name: "cluster-a",
  url: "/srv/git/cluster-a.git",
  branch: "main",
  pollFreq: 120,
  cloned: true,
  running: false,
  consecutiveFailures: 0,
  references: [],
  warnings: [],
  paused: false,
  skippedWhilePaused: 0,
  recentRuns: [],
  ...o,
});

describe("status page renderer", () => {
  it("escapes & < > \" ' once, and the html template escapes every value", () => {
    assert.equal(escapeHtml(`<a href="x">&'`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    const v = "<b>";
    assert.equal(
      markup`<td title="${v}">${v}${[v, 1]}${null}${markup`<i>${v}</i>`}</td>`.html,
      '<td title="&lt;b&gt;">&lt;b&gt;&lt;b&gt;1<i>&lt;b&gt;</i></td>',
    );
  });

  it("shows hostile file names, tags, details, warnings and errors as text", () => {
    const run = {
      startedAt: "2026-11-02T10:00:00.000Z",
      finishedAt: "2026-11-02T10:00:01.500Z",
      durationMs: 1500,
      result: "success" as const,
      trigger: "webhook" as const,
      changes: [{ file: HOSTILE_FILE, line: 3, image: "registry.test/acme/web", from: HOSTILE_TAG, to: "develop-2" }],
      commit: "0123456789abcdef0123456789abcdef01234567",
    };
    const failed = { ...run, result: "error" as const, changes: [], error: "push refused: <form action=//evil>" };
    delete (failed as { commit?: string }).commit;
    const page = renderStatusPage(
      [
        status({
          lastRun: run,
          recentRuns: [failed, run],
          warnings: ['cluster-a: .laminar.yaml:3:5: unknown key "<img src=x onerror=alert(1)>"'],
          references: [
            {
              file: HOSTILE_FILE,
              line: 3,
              image: "registry.test/acme/web",
              repository: "registry.test/acme/web",
              tag: HOSTILE_TAG,
              candidate: "develop-2",
              reason: "changed",
              candidateBuildTime: "2026-11-02T00:00:00.000Z",
            },
            {
              file: "k8s/api.yaml",
              line: 7,
              image: "registry.test/acme/api",
              repository: "registry.test/acme/api",
              tag: "1.4.2",
              reason: "not-in-channel",
              detail: `"1.4.2" does not match <glob:develop-*>`,
              buildTime: "2026-10-01T00:00:00.000Z",
            },
          ],
        }),
      ],
      { now: new Date("2026-11-02T10:05:00.000Z") },
    );
    // No element but the page's own; the hostile values as text instead.
    assert.deepEqual(
      [...elements(page)].filter((e) => ["img", "script", "form", "iframe", "a"].includes(e)),
      ["a"], // the JSON and metrics links and the repository list
    );
    assert.doesNotMatch(page, /<[^>]*\sonerror=/);
    assert.match(page, /&lt;img src=x onerror=alert\(1\)&gt;\.yaml:3/);
    assert.match(page, /&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    const text = visibleText(page);
    assert.ok(
      text.includes(
        `${HOSTILE_FILE}:3 registry.test/acme/web ${HOSTILE_TAG} → develop-2 built 2026-11-02 00:00:00 UTC`,
      ),
      text,
    );
    assert.ok(
      text.includes(
        `k8s/api.yaml:7 registry.test/acme/api 1.4.2 built 2026-10-01 00:00:00 UTC not-in-channel "1.4.2" does not match <glob:develop-*>`,
      ),
      text,
    );
    assert.ok(text.includes('unknown key "<img src=x onerror=alert(1)>"'), text);
    assert.ok(text.includes("push refused: <form action=//evil>"), text);
    assert.ok(text.includes("2026-11-02 10:00:00 UTC webhook success 1.5 s"), text);
    assert.ok(text.includes("0123456789ab"), text);
    assert.ok(text.includes("page made 2026-11-02 10:05:00 UTC"), text);
  });

  it("says when nothing ran yet, and when updates are paused", () => {
    const text = visibleText(
      renderStatusPage([status({ paused: true, pausedSince: "2026-11-02T09:00:00.000Z", cloned: false })], {
        now: new Date("2026-11-02T10:00:00.000Z"),
        refreshSeconds: 0,
      }),
    );
    assert.ok(text.includes("Updates are paused since 2026-11-02 09:00:00 UTC"), text);
    assert.ok(text.includes("waiting for its first run"), text);
    assert.ok(text.includes("Not scanned yet"), text);
    assert.ok(text.includes("No run yet."), text);
  });
});

describe("run history for the page", () => {
  it(`keeps the last ${RECENT_RUNS} runs of a repository, newest first`, async () => {
    const base = mkdtempSync(join(tmpdir(), "laminar-serve-history-"));
    // A remote that does not exist: every run fails at once, which is all this needs.
    const server = parseServerConfig(
      `git:\n  - name: gone\n    url: ${join(base, "gone.git")}\n    pollFreq: 3600\n    updates:\n      - pattern: "glob:*"\n        files: [k8s]\n`,
      "server.yaml",
      base,
    );
    const engine = new ServeEngine({
      server,
      stateDir: join(base, "state"),
      env: process.env,
      log: () => {},
      mask: (s) => s,
    });
    const runs = () => engine.status()[0]?.recentRuns ?? [];
    try {
      await engine.start();
      for (let n = 1; n <= RECENT_RUNS + 2; n++) {
        if (n > 1) engine.sync("gone", "api");
        // Each run fails once more: the failure count says when run n is over.
        const done = () => engine.status()[0]?.consecutiveFailures === n && !engine.status()[0]?.running;
        for (let i = 0; i < 600 && !done(); i++) await sleep(20);
        assert.equal(engine.status()[0]?.consecutiveFailures, n);
      }
      const kept = runs();
      assert.equal(kept.length, RECENT_RUNS);
      assert.ok(kept.every((r) => r.result === "error" && r.trigger === "api"));
      assert.deepEqual(kept[0], engine.status()[0]?.lastRun);
      const started = kept.map((r) => r.startedAt);
      assert.deepEqual(started, [...started].sort().reverse(), "newest first");
    } finally {
      await engine.stop();
      rmSync(base, { recursive: true, force: true });
    }
  });
});

/** Runs headless Chromium once with `args` on `url`; its stdout. */
function chromium(args: readonly string[], url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "laminar-chromium-"));
  return new Promise<string>((resolvePromise, reject) => {
    execFile(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        ...args,
        url,
      ],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        rmSync(profile, { recursive: true, force: true });
        if (error) reject(new Error(`chromium failed: ${error.message}\n${stderr}`));
        else resolvePromise(stdout);
      },
    );
  });
}

describe("GET / in headless Chromium (real registry, git remotes and serve)", () => {
  let registry: RunningRegistry;
  let base: string;
  before(async () => {
    if (!existsSync(CHROMIUM)) return;
    registry = await startRegistry();
    base = mkdtempSync(join(tmpdir(), "laminar-serve-page-"));
    const day = (d: number, h = 0) => new Date(Date.UTC(2026, 10, d, h));
    await seedImages(registry, [
      { repository: "acme/web", tag: "develop-41", created: day(27, 9) },
      { repository: "acme/web", tag: "develop-42", created: day(30, 14) },
      { repository: "acme/api", tag: "develop-7", created: day(29, 11) },
      { repository: "acme/worker", tag: "1.4.2", created: day(12) },
    ]);
  });
  after(async () => {
    await registry?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("shows each repository, its runs and references; hostile names are text", async (t) => {
    if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} is not installed (Debian package chromium)`);
    const host = registry.host;
    const deployment = (name: string, image: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n` +
      `      containers:\n        - name: ${name}\n          image: ${image}\n`;
    const staging = join(base, "cluster-staging.git");
    initBareRepo(staging, {
      "k8s/web/deployment.yaml": deployment("web", `${host}/acme/web:develop-41`),
      "k8s/api/deployment.yaml": deployment("api", `${host}/acme/api:develop-7`),
      "k8s/worker/cronjob.yaml": deployment("worker", `${host}/acme/worker:1.4.2`),
    });
    // A tenant's repository: a file name and a .laminar.yaml anyone with push access writes.
    const hostileFile = 'k8s/uploads/a<b>&"c".yaml';
    const hostileKey = "<img src=x onerror=alert(1)>";
    const tenant = join(base, "tenant-uploads.git");
    initBareRepo(tenant, {
      [hostileFile]: deployment("uploads", `${host}/acme/web:develop-41`),
      ".laminar.yaml": `updates:\n  - pattern: "glob:develop-*"\n    "${hostileKey}": 1\n`,
    });
    const rules = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
    const server = parseServerConfig(
      `global:\n  gitUser: Laminar\n  gitEmail: laminar@example.test\ngit:\n` +
        `  - name: cluster-staging\n    url: ${staging}\n    pollFreq: 3600\n${rules}` +
        `  - name: tenant-uploads\n    url: ${tenant}\n    pollFreq: 3600\n    remoteConfig: true\n${rules}`,
      "server.yaml",
      base,
    );
    const logs: string[] = [];
    const engine = new ServeEngine({
      server,
      stateDir: join(base, "state"),
      env: { ...process.env },
      log: (m) => logs.push(m),
      mask: (s) => s,
    });
    const http = await listenHttp({ engine, apiToken: TOKEN, log: (m) => logs.push(m) }, "127.0.0.1", 0);
    const url = `http://${http.address}`;
    try {
      await engine.start();
      const runs = async (n: number) => {
        for (let i = 0; i < 600; i++) {
          if (engine.status().every((r) => !r.running && r.recentRuns.length >= n)) return;
          await sleep(50);
        }
        assert.fail(`fewer than ${n} runs per repository:\n${logs.join("\n")}`);
      };
      await runs(1);
      // A new build, then the run an API sync asks for: the page shows a history and a move.
      await seedImages(registry, [
        { repository: "acme/web", tag: "develop-43", created: new Date("2026-11-30T18:00:00Z") },
      ]);
      const sync = await fetch(`${url}/api/v1/sync`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(sync.status, 202);
      await runs(2);
      assert.equal(git(staging, ["show", "main:k8s/web/deployment.yaml"]).includes("acme/web:develop-43"), true);

      const head = await fetch(`${url}/`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get("content-type"), "text/html; charset=utf-8");
      assert.match(head.headers.get("content-security-policy") ?? "", /^default-src 'none'; style-src 'unsafe-inline'/);
      assert.equal(head.headers.get("x-content-type-options"), "nosniff");
      assert.equal(await head.text(), "");

      const dom = await chromium(["--dump-dom"], `${url}/`);
      // Only the page's own elements: nothing from a file name, key or tag became markup.
      const tags = elements(dom);
      for (const e of ["img", "script", "iframe", "form", "object", "embed"])
        assert.ok(!tags.has(e), `<${e}> in:\n${dom}`);
      assert.doesNotMatch(dom, /<[^>]*\sonerror=/);
      const text = visibleText(dom);
      const at = (needle: string) => assert.ok(text.includes(needle), `"${needle}" not on the page:\n${text}`);
      at("Laminar 2 repositories");
      at("cluster-staging ok");
      at(`branch main of ${staging} · every 3600 s`);
      // References: file:line, image, current tag (build time) → candidate, or the reason it stays.
      at(`k8s/api/deployment.yaml:10 ${host}/acme/api develop-7 built 2026-11-29 11:00:00 UTC up-to-date`);
      at(
        `k8s/web/deployment.yaml:10 ${host}/acme/web develop-42 built 2026-11-30 14:00:00 UTC → develop-43 built 2026-11-30 18:00:00 UTC`,
      );
      at(
        `k8s/worker/cronjob.yaml:10 ${host}/acme/worker 1.4.2 not-in-channel tag 1.4.2 matches none of glob:develop-*`,
      );
      at(`${hostileFile}:10 ${host}/acme/web develop-42 built 2026-11-30 14:00:00 UTC → develop-43`);
      // Runs, newest first: each moved the web image one build on.
      at(`api success`);
      at(`schedule success`);
      at(`k8s/web/deployment.yaml:10 ${host}/acme/web develop-42 → develop-43`);
      at(`k8s/web/deployment.yaml:10 ${host}/acme/web develop-41 → develop-42`);
      at(`${hostileFile}:10 ${host}/acme/web develop-41 → develop-42`);
      at(`unknown key "${hostileKey}"`);
      const commit = git(staging, ["rev-parse", "main"]).trim();
      at(commit.slice(0, 12));

      const png = join(base, "serve-page.png");
      await chromium(["--screenshot=" + png, "--window-size=1280,1250"], `${url}/`);
      const bytes = readFileSync(png);
      assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from("PNG")], "a PNG file");
      const target = process.env.LAMINAR_SERVE_SCREENSHOT;
      if (target) copyFileSync(png, resolve(target));
    } finally {
      await engine.stop();
      await http.close();
    }
  });
});
