/**
 * `laminar serve`'s own notifications (Slack and signed webhooks, src/serve/notify.ts) — not the
 * registry's notifications *to* serve, which test/serve-hooks.test.ts and test/serve.test.ts cover.
 *
 * The command runs as a child process, as a user starts it, against the real registry and bare git
 * remotes; a local node:http server plays Slack, a webhook receiver that answers 500 before 200, and
 * one that never answers.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { signatureOf, slackEscape, slackPayload, webhookPayload } from "../src/serve/notify.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { freePort, startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "src/cli/bin.ts");
const TOKEN = "notify-test-api-token-0123456789";
const SECRET = "notify-test-hmac-secret-abcdef";
// The paths stand for the secret part of a real Slack or webhook URL: they must never be printed.
const SLACK_PATH = "/services/T0000/B0000/slackpathsecret42";
const HOOK_PATH = "/hooks/laminar-hookpathsecret42";
const HANG_PATH = "/hooks/hangpathsecret42";

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number | "no answer";
}

/** Slack at SLACK_PATH, a webhook that answers 500 to a delivery's first attempt, one that hangs. */
async function startReceivers(): Promise<{ server: Server; base: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const seen = new Set<string>();
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "";
      if (path === HANG_PATH) {
        got.push({ path, headers: req.headers, body, status: "no answer" });
        hanging.push(res);
        return;
      }
      let status = path === SLACK_PATH || path === HOOK_PATH ? 200 : 404;
      const delivery = String(req.headers["x-laminar-delivery"] ?? "");
      if (path === HOOK_PATH && !seen.has(delivery)) {
        seen.add(delivery);
        status = 500;
      }
      got.push({ path, headers: req.headers, body, status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "try again");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () =>
      new Promise<void>((r) => {
        for (const res of hanging) res.destroy();
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** Polls `check` a bounded number of times (no timing assertion: only the outcome is checked). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

describe("notification payloads", () => {
  it("Slack text escapes &, < and > from files, tags and errors, and lists at most 20 changes", () => {
    assert.equal(slackEscape("a & <b> <!channel>"), "a &amp; &lt;b&gt; &lt;!channel&gt;");
    const change = (i: number) => ({ file: `k8s/<x>&${i}.yaml`, line: i, image: "r/a", from: "1", to: "2" });
    const { text } = slackPayload({
      event: "pushed",
      repository: "a<b>",
      branch: "main",
      commit: "0123456789abcdef",
      changes: Array.from({ length: 22 }, (_, i) => change(i + 1)),
    });
    const lines = text.split("\n");
    assert.equal(lines[0], "*a&lt;b&gt;*: pushed `0123456789ab` to main (22 image tags)");
    assert.equal(lines[1], "• k8s/&lt;x&gt;&amp;1.yaml:1 r/a 1 → 2");
    assert.equal(lines.length, 22);
    assert.equal(lines[21], "… and 2 more");
    assert.equal(
      slackPayload({ event: "failing", repository: "a", branch: "main", error: "<@U123> broke" }).text,
      ":x: *a* (main) is failing: &lt;@U123&gt; broke",
    );
  });

  it("the webhook body is the event with its time; the signature is GitHub's scheme", () => {
    const at = new Date("2026-12-01T00:00:00Z");
    const body = JSON.stringify(
      webhookPayload({ event: "recovered", repository: "a", branch: "main", failedRuns: 3 }, at),
    );
    assert.equal(
      body,
      '{"event":"recovered","repository":"a","branch":"main","failedRuns":3,"at":"2026-12-01T00:00:00.000Z"}',
    );
    // The value GitHub documents for its own example (docs.github.com, "Validating webhook deliveries").
    assert.equal(
      signatureOf("Hello, World!", "It's a Secret to Everybody"),
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });
});

describe("laminar serve: notifications (Slack, signed webhooks)", () => {
  let registry: RunningRegistry;
  let dir: string;
  before(async () => {
    registry = await startRegistry();
    dir = mkdtempSync(join(tmpdir(), "laminar-serve-notify-"));
    await seedImages(registry, [
      { repository: "acme/notify-apps", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/notify-flaky", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/notify-slow", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/notify-slow", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("after a push, on failing and on recovered: one message each, signed, retried, never blocking a run", async () => {
    const rx = await startReceivers();
    const image = (n: string) => `${registry.host}/acme/notify-${n}`;
    const bare = (n: string): string => {
      const path = join(dir, `${n}.git`);
      initBareRepo(path, { "k8s/app.yaml": `image: ${image(n)}:develop-1\n` });
      return path;
    };
    const [apps, flaky, slow] = ["apps", "flaky", "slow"].map(bare) as [string, string, string];
    const rules = `    pollFreq: 3600\n    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
    writeFileSync(
      join(dir, "server.yaml"),
      `global:\n  hookHosts:\n    dockerhub: ${registry.host}\n` +
        `notify:\n  - slack: { webhookUrlEnv: SLACK_URL }\n  - webhook: { urlEnv: HOOK_URL, secretEnv: HOOK_SECRET }\n` +
        `git:\n  - name: apps\n    url: apps.git\n${rules}` +
        `  - name: flaky\n    url: flaky.git\n${rules}` +
        `  - name: slow\n    url: slow.git\n${rules}` +
        `    notify:\n      - webhook: { urlEnv: HANG_URL, secretEnv: HOOK_SECRET }\n`,
    );
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = {
      SLACK_URL: `${rx.base}${SLACK_PATH}`,
      HOOK_URL: `${rx.base}${HOOK_PATH}`,
      HANG_URL: `${rx.base}${HANG_PATH}`,
      HOOK_SECRET: SECRET,
    };
    const child = spawn(
      process.execPath,
      ["--import", "tsx", cli, "serve", "--config", join(dir, "server.yaml"), "--listen", `127.0.0.1:${port}`],
      {
        cwd: root,
        env: {
          ...process.env,
          ...env,
          XDG_STATE_HOME: join(dir, "state"),
          LAMINAR_API_TOKEN: TOKEN,
          LAMINAR_SERVE_DEBOUNCE_MS: "100",
          // The hanging receiver fails sooner this way; the other receivers answer at once.
          LAMINAR_NOTIFY_TIMEOUT_MS: "500",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const status = async (name: string): Promise<RepositoryStatus | undefined> => {
      const r = await fetch(`${url}/api/v1/repos`).catch(() => undefined);
      if (!r?.ok) return undefined;
      return ((await r.json()) as { repositories: RepositoryStatus[] }).repositories.find((x) => x.name === name);
    };
    const runDone = (name: string, done: (r: RepositoryStatus) => boolean, what: string) =>
      eventually(async () => {
        const s = await status(name);
        return s && !s.running && done(s) ? s : undefined;
      }, `${what}\n${output}`);
    const sync = async (name: string) => {
      const r = await fetch(`${url}/api/v1/repos/${name}/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(r.status, 202);
    };
    const events = (path: string, repository: string, event?: string) =>
      rx.got.filter((m) => {
        if (m.path !== path) return false;
        const b = JSON.parse(m.body) as { repository?: string; event?: string; text?: string };
        if (path === SLACK_PATH) return b.text?.includes(`*${repository}*`) && (!event || b.text.includes(event));
        return b.repository === repository && (!event || b.event === event);
      });
    const metric = async (kind: string, result: string): Promise<number> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const m = new RegExp(`^laminar_notifications_total\\{kind="${kind}",result="${result}"\\} (\\d+)$`, "m").exec(
        text,
      );
      return Number(m?.[1] ?? 0);
    };
    try {
      // 1. `slow` pushes on its first run while its own receiver never answers: the run completes.
      await runDone("slow", (s) => s.lastRun?.result === "success" && s.lastRun.commit !== undefined, "slow pushed");
      assert.equal(git(slow, ["show", "main:k8s/app.yaml"]), `image: ${image("slow")}:develop-2\n`);
      await eventually(() => (events(HANG_PATH, "slow").length ? true : undefined), "the hanging receiver is called");
      await eventually(
        () =>
          /notification "pushed" of slow to webhook \(HANG_URL\) failed: timed out/.test(output) ? true : undefined,
        `the hanging delivery is given up and logged\n${output}`,
      );
      // 3 attempts (the first included), then it is given up.
      assert.equal(events(HANG_PATH, "slow").length, 3);

      // 2. A Docker Hub push, through the mirror host of global.hookHosts, makes `apps` push develop-2.
      await runDone("apps", (s) => s.lastRun?.result === "success", "apps' first run");
      await seedImages(registry, [
        { repository: "acme/notify-apps", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
      ]);
      const hook = await fetch(`${url}/api/v1/hooks/dockerhub/${TOKEN}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ push_data: { tag: "develop-2" }, repository: { repo_name: "acme/notify-apps" } }),
      });
      assert.equal(hook.status, 202);
      assert.deepEqual(await hook.json(), { triggered: ["apps"] });
      await runDone("apps", (s) => s.lastRun?.trigger === "webhook", "apps' webhook run");
      const commit = git(apps, ["rev-parse", "main"]).trim();
      assert.equal(git(apps, ["show", "main:k8s/app.yaml"]), `image: ${image("apps")}:develop-2\n`);
      await eventually(
        () =>
          events(HOOK_PATH, "apps").some((m) => m.status === 200) && events(SLACK_PATH, "apps").length ? 1 : undefined,
        "apps' notifications",
      );
      const [slack] = events(SLACK_PATH, "apps");
      assert.equal(events(SLACK_PATH, "apps").length, 1);
      assert.equal(
        (JSON.parse(slack?.body ?? "{}") as { text: string }).text,
        `*apps*: pushed \`${commit.slice(0, 12)}\` to main (1 image tag)\n• k8s/app.yaml:1 ${image("apps")} develop-1 → develop-2`,
      );
      // The webhook answered 500 first: the same delivery (same id, same body) was sent again.
      const hooks = events(HOOK_PATH, "apps");
      assert.deepEqual(
        hooks.map((m) => m.status),
        [500, 200],
      );
      assert.equal(hooks[0]?.headers["x-laminar-delivery"], hooks[1]?.headers["x-laminar-delivery"]);
      assert.match(String(hooks[0]?.headers["x-laminar-delivery"]), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
      assert.equal(hooks[0]?.body, hooks[1]?.body);
      assert.equal(hooks[1]?.headers["x-laminar-event"], "pushed");
      const raw = hooks[1]?.body ?? "";
      // Verified the way a receiver does it: HMAC-SHA256 of the raw body, compared in constant time.
      const expected = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`);
      const given = Buffer.from(String(hooks[1]?.headers["x-laminar-signature-256"]));
      assert.ok(given.length === expected.length && timingSafeEqual(given, expected), "the signature verifies");
      const payload = JSON.parse(raw) as Record<string, unknown>;
      assert.match(String(payload.at), /^\d{4}-\d\d-\d\dT/);
      delete payload.at;
      assert.deepEqual(payload, {
        event: "pushed",
        repository: "apps",
        branch: "main",
        commit,
        changes: [{ file: "k8s/app.yaml", line: 1, image: image("apps"), from: "develop-1", to: "develop-2" }],
      });

      // 3. `flaky`'s remote disappears for two runs: one "failing", then one "recovered".
      await runDone("flaky", (s) => s.lastRun?.result === "success", "flaky's first run");
      renameSync(flaky, `${flaky}.away`);
      await sync("flaky");
      await runDone("flaky", (s) => s.consecutiveFailures === 1, "flaky fails");
      await sync("flaky");
      await runDone("flaky", (s) => s.consecutiveFailures === 2, "flaky fails again");
      renameSync(`${flaky}.away`, flaky);
      await sync("flaky");
      await runDone("flaky", (s) => s.consecutiveFailures === 0 && s.lastRun?.result === "success", "flaky recovers");
      // Every delivery is over once the counters add up: 4 Slack, 4 webhook, 1 given up.
      await eventually(async () => {
        const n =
          (await metric("slack", "sent")) + (await metric("webhook", "sent")) + (await metric("webhook", "failed"));
        return n >= 9 ? n : undefined;
      }, "every delivery is over");
      assert.equal(await metric("slack", "sent"), 4);
      assert.equal(await metric("webhook", "sent"), 4);
      assert.equal(await metric("webhook", "failed"), 1);
      assert.equal(await metric("slack", "failed"), 0);

      const failing = events(HOOK_PATH, "flaky", "failing").filter((m) => m.status === 200);
      assert.equal(failing.length, 1, "one failing notice for two failed runs");
      const f = JSON.parse(failing[0]?.body ?? "{}") as Record<string, unknown>;
      assert.equal(f.branch, "main");
      assert.match(String(f.error), /flaky/);
      const recovered = events(HOOK_PATH, "flaky", "recovered").filter((m) => m.status === 200);
      assert.equal(recovered.length, 1);
      assert.equal((JSON.parse(recovered[0]?.body ?? "{}") as { failedRuns: number }).failedRuns, 2);
      assert.equal(events(SLACK_PATH, "flaky", "is failing").length, 1);
      assert.equal(events(SLACK_PATH, "flaky", "recovered after 2 failed runs").length, 1);
      // A run without a push and without a transition sends nothing.
      assert.equal(events(HOOK_PATH, "flaky", "pushed").length, 0);

      // 4. The URLs (and the secret) never appear in what serve prints or serves.
      const api = await (await fetch(`${url}/api/v1/repos`)).text();
      const metrics = await (await fetch(`${url}/metrics`)).text();
      for (const secret of [...Object.values(env), SLACK_PATH, HOOK_PATH, HANG_PATH])
        for (const [where, text] of [
          ["output", output],
          ["api", api],
          ["metrics", metrics],
        ] as const)
          assert.ok(!text.includes(secret), `${where} shows ${secret}`);
      assert.match(output, /notification "pushed" of apps to webhook \(HOOK_URL\): answered 500/);
    } finally {
      child.kill("SIGTERM");
      const code = await exited;
      await rx.close();
      assert.equal(code, 0, output);
    }
  });
});
