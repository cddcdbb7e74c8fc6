/**
 * Hostile registries (issue #13): answers built to exhaust memory or time, or to collect
 * credentials, served by small `node:http` servers on 127.0.0.1 (and the real CNCF registry where
 * it can play the part). Each case runs the CLI as a child process, as a user does, with a V8 heap
 * of 300 MB (`--max-old-space-size=300`): the bounded cases must end with their clear message, not
 * be killed for memory. Time is bounded by the test timeouts only, never asserted.
 *
 * Every case asserts what the user sees, the exit status and that nothing was lost (the sick file
 * stays byte-identical, the healthy reference still moves). See docs/reliability.md.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdtemp, readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startFakeRegistry, type FakeTagSpec } from "./helpers/registry/fake-registry.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { changedPaths, laminar, literal, makeRepo, snapshotTree, type CliResult } from "./helpers/faults.js";
import { realmRefusal } from "../src/registry/auth.js";
import { RegistryClient } from "../src/registry/client.js";

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));
const DEVELOP: FakeTagSpec[] = [1, 2, 3].map((d) => ({ tag: `develop-${d}`, created: day(d) }));
/** The heap the CLI children get: far below what the unbounded cases used (1.7 GB to 8.9 GB). */
const HEAP = { NODE_OPTIONS: "--max-old-space-size=300" };

let healthy: RunningRegistry;

before(async () => {
  healthy = await startRegistry();
  await seedImages(
    healthy,
    DEVELOP.map((t) => ({ repository: "acme/app", tag: t.tag, created: t.created })),
  );
});
after(() => healthy?.stop());

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface Hostile {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** Every request's method and path, in arrival order. */
  readonly requests: Array<{ method: string; path: string; authorization?: string }>;
  stop(): Promise<void>;
}

/** A registry of our own making on 127.0.0.1: `handler` answers everything but what it leaves to `GET /v2/`. */
async function hostile(handler: Handler): Promise<Hostile> {
  const requests: Hostile["requests"] = [];
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization });
    open.add(res);
    res.on("close", () => open.delete(res));
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: async () => {
      // Stalled answers never end on their own.
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
};

/** Headers now, then nothing: the connection stays open until the client gives up. */
const stall = (res: ServerResponse): void => {
  res.writeHead(200, { "content-type": "application/json" });
  res.flushHeaders();
};

interface Outcome {
  readonly plan: CliResult;
  readonly apply: CliResult;
  readonly planJson: {
    changes: Array<Record<string, unknown>>;
    unchanged: Array<Record<string, unknown>>;
    failures: Array<Record<string, unknown>>;
  };
  readonly dir: string;
  readonly sickBefore: string;
}

/**
 * A repository with one reference into the healthy real registry and `refs` into the hostile one,
 * planned (`--json --registry-errors warn`, must write nothing) then applied (default `fail`), one
 * after the other on one copy.
 */
async function run(
  sick: string,
  opts: {
    settings?: readonly string[];
    top?: readonly string[];
    refs?: readonly string[];
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<Outcome> {
  const refs = opts.refs ?? ["acme/app:develop-1"];
  const sickBefore = `# sick\n${refs.map((r) => `image: ${sick}/${r}\n`).join("---\n")}`;
  const config = [
    ...(opts.top ?? []),
    "registries:",
    `  - host: ${healthy.host}`,
    `  - host: ${sick}`,
    ...(opts.settings ?? []).map((l) => `    ${l}`),
    "updates:",
    '  - pattern: "glob:develop-*"',
    "    files: [deploy/]",
    "",
  ].join("\n");
  const dir = await makeRepo({
    ".laminar.yaml": config,
    "deploy/healthy.yaml": `image: ${healthy.host}/acme/app:develop-1\n`,
    "deploy/sick.yaml": sickBefore,
  });
  const env = async (): Promise<NodeJS.ProcessEnv> => ({
    XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-hostile-cache-")),
    ...HEAP,
    ...opts.env,
  });
  const before = await snapshotTree(dir);
  const plan = await laminar(["plan", "--dir", dir, "--json", "--registry-errors", "warn"], await env());
  assert.deepEqual(changedPaths(before, await snapshotTree(dir)), [], "plan writes nothing");
  let planJson: Outcome["planJson"];
  try {
    planJson = JSON.parse(plan.stdout) as Outcome["planJson"];
  } catch {
    assert.fail(`plan --json printed no JSON (exit ${plan.status}):\n${plan.stdout}\n${plan.stderr}`);
  }
  const apply = await laminar(["apply", "--dir", dir], await env());
  return { plan, apply, planJson, dir, sickBefore };
}

/** The healthy reference moved, the sick file is byte-identical. */
async function assertHealthyMovedSickKept(o: Outcome): Promise<void> {
  assert.deepEqual(
    o.planJson.changes.map((c) => [c.file, c.to]),
    [["deploy/healthy.yaml", "develop-3"]],
  );
  assert.equal(
    await readFile(join(o.dir, "deploy/healthy.yaml"), "utf8"),
    `image: ${healthy.host}/acme/app:develop-3\n`,
  );
  assert.equal(await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"), o.sickBefore);
}

/**
 * A registry failure: the message (RegExp source after `registry HOST: `) in `failures`, as the
 * detail of each sick reference, on stderr; exit 0 with warn and 3 with fail.
 */
async function assertFailure(o: Outcome, host: string, message: string): Promise<void> {
  const full = new RegExp(`^registry ${literal(host)}: ${message}$`);
  assert.equal(o.plan.status, 0, o.plan.stderr);
  assert.ok(o.planJson.failures.length >= 1, JSON.stringify(o.planJson));
  for (const f of o.planJson.failures) assert.match(String(f.message), full);
  for (const u of o.planJson.unchanged.filter((x) => x.file === "deploy/sick.yaml")) {
    assert.equal(u.reason, "registry-error");
    assert.match(String(u.detail), full);
  }
  assert.match(o.plan.stderr, new RegExp(`^  registry ${literal(host)}: ${message}$`, "m"));
  assert.equal(o.apply.status, 3, `${o.apply.stdout}\n${o.apply.stderr}`);
  assert.match(o.apply.stderr, new RegExp(`^  registry ${literal(host)}: ${message}$`, "m"));
  await assertHealthyMovedSickKept(o);
}

const pingOk = (req: IncomingMessage, res: ServerResponse): boolean => {
  if (req.url === "/v2/" || req.url === "/v2") {
    json(res, 200, {});
    return true;
  }
  return false;
};

describe("hostile registries: memory (CLI with a 300 MB heap)", { concurrency: 2 }, () => {
  it("a tag list without Content-Length that never ends: cut at 32 MiB while streaming, named", async () => {
    let sent = 0;
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      // 100 MB of one endless tag name, chunked (no Content-Length), sent as fast as it is read.
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1 << 20, "a");
      res.write('{"tags":["');
      const pump = (): void => {
        while (sent < 100 << 20 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end('"]}');
      };
      pump();
    });
    try {
      const o = await run(h.host);
      await assertFailure(
        o,
        h.host,
        String.raw`GET /v2/acme/app/tags/list → body larger than 32 MiB \(the most Laminar reads\)`,
      );
      assert.equal(o.planJson.failures[0]?.status, 200);
      // The client hung up once the cap was passed: far from the 100 MB on offer (each run once).
      assert.ok(sent < 2 * (80 << 20), `the server sent ${sent} bytes`);
    } finally {
      await h.stop();
    }
  });

  it("one page of 1,000,000 tags: read, then the reference stays with too-many-tags (no crash, no fan-out)", async () => {
    const body = JSON.stringify({
      name: "acme/app",
      tags: Array.from({ length: 1_000_000 }, (_, i) => `develop-${i}`),
    });
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      if (req.url?.includes("/tags/list")) return json(res, 200, body);
      json(res, 404, { errors: [{ code: "MANIFEST_UNKNOWN", message: "no" }] });
    });
    try {
      const o = await run(h.host);
      assert.equal(o.plan.status, 0, o.plan.stderr);
      assert.deepEqual(o.planJson.failures, []);
      const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
      assert.equal(left?.reason, "too-many-tags");
      assert.equal(
        left?.detail,
        `${h.host}/acme/app lists more than 100000 tags (limits.tags): raise limits.tags, or delete old tags from the repository`,
      );
      assert.equal(o.apply.status, 0, `${o.apply.stdout}\n${o.apply.stderr}`);
      assert.match(o.apply.stdout, /too-many-tags/);
      await assertHealthyMovedSickKept(o);
      // Only the tag list was read (once per run): no manifest of a million tags was asked.
      assert.deepEqual(
        h.requests.filter((r) => !r.path.startsWith("/v2/acme/app/tags/list") && r.path !== "/v2/"),
        [],
      );
    } finally {
      await h.stop();
    }
  });

  it("limits.tags below the list: too-many-tags at the configured cap", async () => {
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      json(res, 200, { tags: Array.from({ length: 50 }, (_, i) => `develop-${i}`) });
    });
    try {
      const o = await run(h.host, { top: ["limits:", "  tags: 20"] });
      const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
      assert.equal(left?.reason, "too-many-tags");
      assert.match(String(left?.detail), /lists more than 20 tags \(limits\.tags\)/);
      assert.equal(o.apply.status, 0, o.apply.stderr);
    } finally {
      await h.stop();
    }
  });

  it("100k tags in a build-time glob channel: 200 build times learnt per run, not 100,003 manifest requests", async () => {
    const fake = await startFakeRegistry({
      repositories: {
        "acme/app": {
          tags: Array.from({ length: 100_000 }, (_, i) => `develop-${String(i).padStart(6, "0")}`),
          pageSize: 1000,
          pagination: "link",
        },
      },
    });
    try {
      const o = await run(fake.host);
      assert.equal(o.plan.status, 0, o.plan.stderr);
      const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
      assert.equal(left?.reason, "learning-build-times");
      assert.equal(
        left?.detail,
        `asked 200 of 100000 build times of ${fake.host}/acme/app (glob:develop-*) this run (limits.candidates); ` +
          "99800 left, about 499 more runs; raise limits.candidates to finish in one run, or narrow the pattern, " +
          "exclude old tags, or order by a version in the tag (semver, or sort: numerical)",
      );
      assert.equal(o.apply.status, 0, `${o.apply.stdout}\n${o.apply.stderr}`);
      await assertHealthyMovedSickKept(o);
      const c = fake.counts();
      // plan and apply each run with a fresh cache: 200 manifests and 200 config blobs each.
      assert.deepEqual([c.manifestGet, c.blobGet, c.manifestHead], [400, 400, 0], JSON.stringify(c));
      assert.equal(c.tagPages, 200, "100 pages, once per run");
    } finally {
      await fake.stop();
    }
  });

  it("limits.candidates above the channel: the build times are asked and the newest wins", async () => {
    const fake = await startFakeRegistry({ repositories: { "acme/app": { tags: DEVELOP } } });
    try {
      const o = await run(fake.host, { top: ["limits:", "  candidates: 3"] });
      assert.deepEqual(o.planJson.changes.map((c) => [c.file, c.to]).sort(), [
        ["deploy/healthy.yaml", "develop-3"],
        ["deploy/sick.yaml", "develop-3"],
      ]);
      const tight = await run(fake.host, { top: ["limits:", "  candidates: 2"] });
      const left = tight.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
      assert.equal(left?.reason, "learning-build-times");
      assert.match(
        String(left?.detail),
        /^asked 2 of 3 build times of .* 1 left, about 1 more run; raise limits\.candidates/,
      );
    } finally {
      await fake.stop();
    }
  });
});

describe("hostile registries: time (deadline and circuit breaker)", { concurrency: 2 }, () => {
  it("every manifest sends headers then nothing: given up after 3 timed-out requests, the rest skipped", async () => {
    const tags = Array.from({ length: 20 }, (_, i) => `develop-${i + 1}`);
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      if (req.url?.includes("/tags/list")) return json(res, 200, { tags });
      stall(res);
    });
    try {
      const o = await run(h.host, { settings: ["timeout: 1"] });
      await assertFailure(
        o,
        h.host,
        String.raw`gave up on this registry for this run: \d+ different requests timed out \(the last: GET /v2/acme/app/manifests/develop-\d+, after 1 s\); its remaining requests were skipped`,
      );
      assert.equal(o.planJson.failures.length, 1, "one message for the registry");
      // Before: 20 tags × 5 attempts = 100 manifest requests per run. Now one round of the
      // per-registry concurrency (8), and a few retries that raced the breaker.
      const manifests = h.requests.filter((r) => r.path.includes("/manifests/")).length;
      assert.ok(manifests <= 2 * 16, `${manifests} manifest requests over two runs`);
    } finally {
      await h.stop();
    }
  });

  it("a registry that stalls everything: its deadline (limits.registryDeadline) ends it, once", async () => {
    const h = await hostile((_req, res) => stall(res));
    try {
      const o = await run(h.host, {
        settings: ["timeout: 1"],
        top: ["limits:", "  registryDeadline: 3"],
        refs: ["acme/app:develop-1", "acme/other:develop-1"],
      });
      await assertFailure(
        o,
        h.host,
        String.raw`gave up on this registry for this run: its deadline of 3 s per run passed \(limits\.registryDeadline\); its remaining requests were skipped`,
      );
      // Two repositories, one message each, alike; every ping attempt fits in the 3 s.
      assert.deepEqual(o.planJson.failures.map((f) => f.repository).sort(), ["acme/app", "acme/other"]);
      assert.equal(new Set(o.planJson.failures.map((f) => f.message)).size, 1);
      assert.ok(h.requests.length <= 2 * 4, `${h.requests.length} requests over two runs`);
    } finally {
      await h.stop();
    }
  });
});

describe("hostile registries: credentials and token realms", { concurrency: 2 }, () => {
  const CREDS = ["usernameEnv: HOSTILE_USER", "passwordEnv: HOSTILE_PASS"];
  const ENV = { HOSTILE_USER: "ci", HOSTILE_PASS: "s3cret-pass" };

  /** A registry whose 401 names a token realm on `localhost` (another host than 127.0.0.1). */
  async function withForeignRealm(fn: (h: Hostile, realm: Hostile) => Promise<void>): Promise<void> {
    const realm = await hostile((_req, res) => json(res, 200, { token: "t0ken-value" }));
    const realmUrl = `http://localhost:${realm.host.split(":")[1]}/token`;
    const h = await hostile((req, res) => {
      if (req.headers.authorization === "Bearer t0ken-value") {
        if (req.url?.includes("/tags/list")) return json(res, 200, { tags: [] });
      }
      json(
        res,
        401,
        { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] },
        {
          "www-authenticate": `Bearer realm="${realmUrl}",service="hostile",scope="repository:acme/app:pull"`,
        },
      );
    });
    try {
      await fn(h, realm);
    } finally {
      await Promise.all([h.stop(), realm.stop()]);
    }
  }

  it("a token realm on another host: credentials are not sent, and the message says why", async () => {
    await withForeignRealm(async (h, realm) => {
      const o = await run(h.host, { settings: CREDS, env: ENV });
      await assertFailure(
        o,
        h.host,
        String.raw`not sending credentials: the token realm localhost:\d+ is another host than the registry \(${literal(h.host)}\) \(set ${"`"}trustRealm: true${"`"} on this registry in \.laminar\.yaml if that host is really its token server\); credentials: registry settings \(user name and password\)`,
      );
      assert.equal(o.planJson.failures[0]?.status, 401);
      assert.deepEqual(realm.requests, [], "the realm was never asked");
      assert.ok(!`${o.plan.stdout}${o.plan.stderr}${o.apply.stdout}${o.apply.stderr}`.includes("s3cret-pass"));
    });
  });

  it("trustRealm: true sends them (the realm receives Basic credentials)", async () => {
    await withForeignRealm(async (h, realm) => {
      const o = await run(h.host, { settings: [...CREDS, "trustRealm: true"], env: ENV });
      assert.equal(o.plan.status, 0, o.plan.stderr);
      const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
      assert.equal(left?.reason, "no-candidates", JSON.stringify(o.planJson));
      const basic = `Basic ${Buffer.from("ci:s3cret-pass").toString("base64")}`;
      assert.ok(realm.requests.length > 0 && realm.requests.every((r) => r.authorization === basic));
    });
  });

  it("the same check, rule by rule (realm host and scheme against the registry's)", () => {
    const u = (s: string): URL => new URL(s);
    assert.equal(realmRefusal(u("https://registry-1.docker.io"), u("https://auth.docker.io/token")), undefined);
    assert.equal(realmRefusal(u("https://registry.gitlab.com"), u("https://gitlab.com/jwt/auth")), undefined);
    assert.equal(realmRefusal(u("https://ghcr.io"), u("https://ghcr.io/token")), undefined);
    assert.equal(realmRefusal(u("http://127.0.0.1:5000"), u("http://127.0.0.1:5001/token")), undefined);
    assert.equal(
      realmRefusal(u("https://ghcr.io"), u("https://evil.io/token")),
      "the token realm evil.io is another host than the registry (ghcr.io)",
    );
    assert.equal(
      realmRefusal(u("https://registry.foo.co.uk"), u("https://evil.co.uk/token")),
      "the token realm evil.co.uk is another host than the registry (registry.foo.co.uk)",
    );
    assert.equal(
      realmRefusal(u("https://ghcr.io"), u("http://ghcr.io/token")),
      "the token realm http://ghcr.io is plain http while the registry is https",
    );
  });
});

describe("hostile registries: answers that lie", { concurrency: 2 }, () => {
  it("a 200 HTML page instead of a tag list: named as HTML with its content type", async () => {
    const page = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please sign in</body></html>\n";
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(page);
    });
    try {
      const o = await run(h.host);
      await assertFailure(
        o,
        h.host,
        String.raw`GET /v2/acme/app/tags/list → 200: an HTML page instead of JSON in tag list \(${page.length} bytes\), content-type "text/html; charset=utf-8" \(a login page or a proxy in the way\?\)`,
      );
    } finally {
      await h.stop();
    }
  });

  it("a build time in the year 2999 (real registry): unknown with a warning; the channel still moves", async () => {
    const reg = await startRegistry();
    try {
      await seedImages(reg, [
        ...DEVELOP.slice(0, 2).map((t) => ({ repository: "acme/app", tag: t.tag, created: t.created })),
        { repository: "acme/app", tag: "develop-3", created: new Date("2999-01-01T00:00:00Z") },
      ]);
      const o = await run(reg.host);
      assert.equal(o.plan.status, 0, o.plan.stderr);
      assert.deepEqual(o.planJson.failures, []);
      assert.deepEqual(o.planJson.changes.map((c) => [c.file, c.to]).sort(), [
        ["deploy/healthy.yaml", "develop-3"],
        ["deploy/sick.yaml", "develop-2"],
      ]);
      const warning = `laminar: warning: registry ${reg.host}: ${reg.host}/acme/app:develop-3 says it was built at 2999-01-01T00:00:00.000Z, in the future; its build time is treated as unknown`;
      assert.ok(o.plan.stderr.split("\n").includes(warning), o.plan.stderr);
      assert.equal(o.apply.status, 0, o.apply.stderr);
      // The apply run says it too.
      assert.ok(o.apply.stderr.split("\n").includes(warning), o.apply.stderr);
      assert.match(await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"), /acme\/app:develop-2\n/);
    } finally {
      await reg.stop();
    }
  });
});

describe("limits: configuration errors name file, line and key", () => {
  for (const [yaml, message] of [
    ["limits:\n  tags: 0\n", "laminar: config error: .laminar.yaml:2:9: limits.tags: must be >= 1"],
    [
      "limits:\n  candidate: 5\n",
      'laminar: config error: .laminar.yaml:2:3: limits.candidate: unknown key "candidate" (did you mean "candidates"?)',
    ],
    [
      "limits:\n  registryDeadline: 1.5\n",
      "laminar: config error: .laminar.yaml:2:21: limits.registryDeadline: must be a whole number",
    ],
    [
      "registries:\n  - host: ghcr.io\n    trustRealm: yes\n",
      "laminar: config error: .laminar.yaml:3:17: registries[0].trustRealm: must be true or false",
    ],
  ] as const) {
    it(JSON.stringify(yaml), async () => {
      const dir = await makeRepo({
        ".laminar.yaml": `${yaml}updates:\n  - pattern: "glob:develop-*"\n    files: [deploy/]\n`,
        "deploy/a.yaml": "image: ghcr.io/acme/app:develop-1\n",
      });
      const r = await laminar(["plan", "--dir", dir]);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr.trim(), message);
      assert.equal(r.stdout, "");
    });
  }
});

describe("hostile registries: the breaker lasts one run (library, as watch and serve use it)", () => {
  it("a registry given up in one run is asked again after newRun()", async () => {
    let stalling = true;
    const h = await hostile((req, res) => {
      if (pingOk(req, res)) return;
      if (stalling) return stall(res);
      json(res, 200, { tags: ["develop-1"] });
    });
    try {
      const client = new RegistryClient({ timeoutMs: 200, breakerTimeouts: 1, retry: { maxAttempts: 2 } });
      const repo = { registry: h.host, repository: "acme/app" };
      await assert.rejects(
        client.listTags(repo),
        /gave up on this registry for this run: 1 different requests timed out/,
      );
      const sent = h.requests.length;
      // Same run: skipped at once, nothing sent.
      await assert.rejects(client.listTags({ ...repo, repository: "acme/other" }), /gave up on this registry/);
      assert.equal(h.requests.length, sent);
      stalling = false;
      client.newRun();
      assert.deepEqual((await client.listTags(repo)).tags, ["develop-1"]);
    } finally {
      await h.stop();
    }
  });
});
