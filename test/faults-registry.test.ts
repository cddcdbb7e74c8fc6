/**
 * Fault matrix, registry side: `laminar plan` / `laminar apply` run as child processes against the
 * real CNCF registry (healthy, and broken in the ways it can be: down, 401, 404) and the fake one
 * (403, 429, 5xx, slow, malformed JSON, wrong digests, 100k tags, redirect loops).
 *
 * Every case asserts the exact line the user sees (naming the registry and the HTTP status when
 * there is one), the exit status under `--registry-errors warn` (0) and `fail` (3), and that nothing
 * was lost: `plan` writes nothing, `apply` changes only the healthy references.
 * See docs/reliability.md for the whole matrix.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  startFakeRegistry,
  type FakeRegistry,
  type FakeRegistryOptions,
  type FakeRule,
  type FakeTagSpec,
} from "./helpers/registry/fake-registry.js";
import { freePort, startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { changedPaths, laminar, literal, makeRepo, snapshotTree, type CliResult } from "./helpers/faults.js";

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));
const DEVELOP: FakeTagSpec[] = [1, 2, 3].map((d) => ({ tag: `develop-${d}`, created: day(d) }));
const DISTRIBUTION_ERROR = (code: string, message: string): string =>
  JSON.stringify({ errors: [{ code, message, detail: null }] });
const WAITED = String.raw`[\d.]+ s waiting`;

let healthy: RunningRegistry;
let locked: RunningRegistry;

before(async () => {
  [healthy, locked] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: "htpasswd", users: { ci: "right-pass" } }),
  ]);
  const imgs = DEVELOP.map((t) => ({ repository: "acme/app", tag: t.tag, created: t.created }));
  await Promise.all([seedImages(healthy, imgs), seedImages(locked, imgs)]);
});
after(async () => {
  await Promise.all([healthy?.stop(), locked?.stop()]);
});

interface Sick {
  /** `host[:port]` of the failing registry as written in image references. */
  readonly host: string;
  /** Extra YAML lines for its `registries[]` entry (indented by 4). */
  readonly settings?: readonly string[];
  readonly repository?: string;
  /** The reference's text after the name (default `:develop-1`). */
  readonly suffix?: string;
}

interface Outcome {
  readonly plan: CliResult;
  readonly apply: CliResult;
  readonly planJson: {
    changes: Array<Record<string, unknown>>;
    unchanged: Array<Record<string, unknown>>;
    failures: Array<Record<string, unknown>>;
    requests: Record<string, number>;
  };
  readonly dir: string;
  readonly healthyBefore: string;
  readonly sickBefore: string;
}

/**
 * A repository with one reference into the healthy real registry and one into the sick one.
 * Runs `plan --json --registry-errors warn` (must write nothing) and `apply` (default `fail`).
 * By default the two run at the same time on two copies of the repository (a slow registry makes
 * each wait for its own timeouts); `sequential` runs them one after the other on one copy, for
 * scripted answers that the first run consumes.
 */
async function run(sick: Sick, env: NodeJS.ProcessEnv = {}, opts: { sequential?: boolean } = {}): Promise<Outcome> {
  const sickRef = `${sick.host}/${sick.repository ?? "acme/app"}${sick.suffix ?? ":develop-1"}`;
  const healthyBefore = `# healthy\nimage: ${healthy.host}/acme/app:develop-1\n`;
  const sickBefore = `# sick\r\nimage: "${sickRef}"  # keep\r\n`;
  const config = [
    "registries:",
    `  - host: ${healthy.host}`,
    `  - host: ${sick.host}`,
    ...(sick.settings ?? []).map((l) => `    ${l}`),
    "updates:",
    '  - pattern: "glob:develop-*"',
    "    files: [deploy/]",
    "",
  ].join("\n");
  const files = { ".laminar.yaml": config, "deploy/healthy.yaml": healthyBefore, "deploy/sick.yaml": sickBefore };
  const dir = await makeRepo(files);
  const planDir = opts.sequential ? dir : await makeRepo(files);
  const cache = async (): Promise<NodeJS.ProcessEnv> => ({
    XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-fault-cache-")),
    ...env,
  });
  const before = await snapshotTree(planDir);
  const planRun = async (): Promise<CliResult> => {
    const r = await laminar(["plan", "--dir", planDir, "--json", "--registry-errors", "warn"], await cache());
    assert.deepEqual(changedPaths(before, await snapshotTree(planDir)), [], "plan writes nothing");
    return r;
  };
  const applyRun = async (): Promise<CliResult> => laminar(["apply", "--dir", dir], await cache());
  const [plan, apply] = opts.sequential
    ? [await planRun(), await applyRun()]
    : await Promise.all([planRun(), applyRun()]);
  let planJson: Outcome["planJson"];
  try {
    planJson = JSON.parse(plan.stdout) as Outcome["planJson"];
  } catch {
    assert.fail(`plan --json printed no JSON (exit ${plan.status}):\n${plan.stdout}\n${plan.stderr}`);
  }
  return { plan, apply, planJson, dir, healthyBefore, sickBefore };
}

/**
 * The common assertions for a registry that fails: the healthy reference moves, the sick file stays
 * byte-identical, the message (a RegExp source for the text after `registry HOST: `) is shown in
 * the plan's failures, in the reference's detail and on stderr; exit 0 with warn and 3 with fail.
 */
async function assertPartialFailure(
  o: Outcome,
  sick: Sick,
  message: string,
  status: number | undefined,
): Promise<void> {
  const full = new RegExp(`^registry ${literal(sick.host)}: ${message}$`);
  // --registry-errors warn: exit 0, the failure is reported, healthy references still move.
  assert.equal(o.plan.status, 0, o.plan.stderr);
  assert.equal(o.planJson.failures.length, 1, JSON.stringify(o.planJson.failures));
  const f = o.planJson.failures[0]!;
  assert.equal(f.registry, sick.host);
  assert.equal(f.repository, sick.repository ?? "acme/app");
  assert.equal(f.status, status);
  assert.match(String(f.message), full);
  assert.deepEqual(
    o.planJson.changes.map((c) => [c.file, c.from, c.to]),
    [["deploy/healthy.yaml", "develop-1", "develop-3"]],
  );
  const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
  assert.equal(left?.reason, "registry-error");
  assert.equal(left?.detail, f.message);
  assert.match(
    o.plan.stderr,
    new RegExp(
      `^laminar: warning: 1 registry failure\\(s\\) ignored \\(--registry-errors warn\\):\\n  registry ${literal(sick.host)}: ${message}$`,
      "m",
    ),
  );

  // --registry-errors fail (the default): exit 3, same report, healthy file rewritten, sick one intact.
  assert.equal(o.apply.status, 3, `${o.apply.stdout}\n${o.apply.stderr}`);
  assert.match(o.apply.stdout, new RegExp(`^Failures:\\n  registry ${literal(sick.host)}: ${message}$`, "m"));
  assert.match(o.apply.stdout, /^Rewrote 1 file\(s\): deploy\/healthy\.yaml$/m);
  assert.match(
    o.apply.stderr,
    new RegExp(
      `^laminar: 1 registry failure\\(s\\) \\(exit 3; healthy registries were updated; --registry-errors warn exits 0\\):\\n  registry ${literal(sick.host)}: ${message}$`,
      "m",
    ),
  );
  assert.equal(
    await readFile(join(o.dir, "deploy/healthy.yaml"), "utf8"),
    o.healthyBefore.replace("develop-1", "develop-3"),
  );
  assert.equal(await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"), o.sickBefore);
}

async function withFake<T>(
  opts: FakeRegistryOptions,
  rules: readonly FakeRule[],
  fn: (fake: FakeRegistry) => Promise<T>,
): Promise<T> {
  const fake = await startFakeRegistry(opts);
  for (const r of rules) fake.rule({ ...r });
  try {
    return await fn(fake);
  } finally {
    await fake.stop();
  }
}

const APP = { repositories: { "acme/app": { tags: DEVELOP } } } satisfies FakeRegistryOptions;

describe("registry faults (CLI plan/apply; one sick registry, one healthy)", { concurrency: 8 }, () => {
  it("registry down (connection refused): named, bounded, healthy one updated", async () => {
    const sick = { host: `127.0.0.1:${await freePort()}` };
    const o = await run(sick);
    await assertPartialFailure(
      o,
      sick,
      String.raw`GET /v2/ → network error: connection refused \(connect ECONNREFUSED ${literal(sick.host)}\) \(gave up after 5 attempts, ${WAITED}\)`,
      undefined,
    );
  });

  it("DNS failure (.invalid host): named, no traffic leaves the machine", async () => {
    const sick = { host: "registry.invalid" };
    const o = await run(sick);
    await assertPartialFailure(
      o,
      sick,
      String.raw`GET /v2/ → network error: DNS lookup failed(?:: no such host| \(temporary\)) \(getaddrinfo E[A-Z_]+ registry\.invalid\) \(gave up after 5 attempts, ${WAITED}\)`,
      undefined,
    );
  });

  it("timeout (slow server, registries[].timeout: 1): each attempt cut at 1 s, at most 5 attempts", async () => {
    await withFake(APP, [{ kind: "tagPages", delayMs: 4_000, times: Infinity }], async (fake) => {
      const sick = { host: fake.host, settings: ["timeout: 1"] };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/tags/list → network error: timed out after 1 s \(gave up after 5 attempts, ${WAITED}\)`,
        undefined,
      );
      // Bounded by count, not by the clock (tests never assert a time; on 2 busy cores a wall-clock
      // bound flaked): the error above says each attempt was cut at 1 s and the run gave up after 5.
    });
  });

  it("401 with wrong credentials (real registry, htpasswd): named with the status, password never shown", async () => {
    const sick = { host: locked.host, settings: ["usernameEnv: REG_USER", "passwordEnv: REG_PASS"] };
    const o = await run(sick, { REG_USER: "ci", REG_PASS: "wrong-pass-4711" });
    await assertPartialFailure(
      o,
      sick,
      // The failure says which credentials were refused (#11), never the secret.
      String.raw`GET /v2/acme/app/tags/list → 401 Unauthorized \(UNAUTHORIZED: authentication required\); credentials: registry settings \(user name and password\)`,
      401,
    );
    for (const out of [o.plan.stdout, o.plan.stderr, o.apply.stdout, o.apply.stderr])
      assert.ok(!out.includes("wrong-pass-4711"));
  });

  it("403 (access denied)", async () => {
    const body = DISTRIBUTION_ERROR("DENIED", "requested access to the resource is denied");
    await withFake(APP, [{ kind: "tagPages", status: 403, body, times: Infinity }], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/tags/list → 403 Forbidden \(DENIED: requested access to the resource is denied\)`,
        403,
      );
    });
  });

  it("404 repository (real registry): only that repository fails, the same registry's others move", async () => {
    const sick = { host: healthy.host, repository: "acme/missing" };
    const o = await run(sick);
    await assertPartialFailure(
      o,
      sick,
      String.raw`GET /v2/acme/missing/tags/list → 404 Not Found \(NAME_UNKNOWN: repository name not known to registry\)`,
      404,
    );
  });

  it("429 with Retry-After, then success: waits, retries once, updates everything, exit 0", async () => {
    await withFake(
      APP,
      [
        {
          kind: "tagPages",
          status: 429,
          headers: { "retry-after": "1" },
          body: DISTRIBUTION_ERROR("TOOMANYREQUESTS", "slow down"),
        },
      ],
      async (fake) => {
        const o = await run({ host: fake.host }, {}, { sequential: true });
        assert.equal(o.plan.status, 0, o.plan.stderr);
        assert.deepEqual(o.planJson.failures, []);
        assert.deepEqual(
          o.planJson.changes.map((c) => [c.file, c.to]),
          [
            ["deploy/healthy.yaml", "develop-3"],
            ["deploy/sick.yaml", "develop-3"],
          ],
        );
        assert.equal(o.planJson.requests.retries, 1);
        assert.ok(o.plan.ms >= 1_000, "Retry-After honoured");
        assert.equal(o.apply.status, 0, o.apply.stderr);
        assert.equal(o.apply.stderr, "");
        assert.equal(
          await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"),
          o.sickBefore.replace("develop-1", "develop-3"),
        );
      },
    );
  });

  it("500, 502, 503 then success: retried with backoff, updates everything, exit 0", async () => {
    const rules: FakeRule[] = [500, 502, 503].map((status) => ({ kind: "tagPages", status }));
    await withFake(APP, rules, async (fake) => {
      const o = await run({ host: fake.host }, {}, { sequential: true });
      assert.equal(o.plan.status, 0, o.plan.stderr);
      assert.deepEqual(o.planJson.failures, []);
      assert.equal(o.planJson.requests.retries, 3);
      assert.equal(o.apply.status, 0, o.apply.stderr);
      assert.equal(
        await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"),
        o.sickBefore.replace("develop-1", "develop-3"),
      );
      assert.equal(
        await readFile(join(o.dir, "deploy/healthy.yaml"), "utf8"),
        o.healthyBefore.replace("develop-1", "develop-3"),
      );
    });
  });

  it("503 for ever: bounded attempts and wait, clear error with the status", async () => {
    await withFake(APP, [{ kind: "tagPages", status: 503, times: Infinity }], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/tags/list → 503 Service Unavailable \(gave up after 5 attempts, ${WAITED}\)`,
        503,
      );
      // Bounded by count, not by the clock (tests never assert a time; on 2 busy cores a wall-clock
      // bound flaked): the error above says each attempt was cut at 1 s and the run gave up after 5.
    });
  });

  it("malformed JSON in the tag list", async () => {
    await withFake(
      APP,
      [{ kind: "tagPages", status: 200, body: '{"name":"acme/app","tags":["develop-9",', times: Infinity }],
      async (fake) => {
        const sick = { host: fake.host };
        const o = await run(sick);
        await assertPartialFailure(
          o,
          sick,
          String.raw`GET /v2/acme/app/tags/list → malformed JSON in tag list \(39 bytes\)`,
          200,
        );
      },
    );
  });

  it("malformed JSON in a manifest", async () => {
    const rule: FakeRule = {
      kind: "manifestGet",
      status: 200,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: "{not json",
      times: Infinity,
    };
    await withFake(APP, [rule], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/manifests/develop-\d → malformed JSON in manifest`,
        200,
      );
    });
  });

  // Answers that parse but have the wrong shape (src/registry/wire.ts): a named error at the answer,
  // with what was expected and what was wrong, instead of a crash or a silently empty list.
  it("a tag list whose tags are not an array: named with what was expected", async () => {
    await withFake(
      APP,
      [{ kind: "tagPages", status: 200, body: '{"name":"acme/app","tags":"develop-9"}', times: Infinity }],
      async (fake) => {
        const sick = { host: fake.host };
        const o = await run(sick);
        await assertPartialFailure(
          o,
          sick,
          String.raw`GET /v2/acme/app/tags/list → answer is not a tag list: tags must be an array or null`,
          200,
        );
      },
    );
  });

  it("a manifest without a config digest: named with what was expected", async () => {
    const rule: FakeRule = {
      kind: "manifestGet",
      status: 200,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body: JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", size: 2 },
        layers: [],
      }),
      times: Infinity,
    };
    await withFake(APP, [rule], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/manifests/develop-\d → answer is not an image manifest or index: config\.digest is missing`,
        200,
      );
    });
  });

  it("a token response without a token: named with the token request", async () => {
    await withFake(
      { ...APP, auth: { scheme: "bearer", anonymous: true } },
      [{ kind: "token", status: 200, body: '{"expires_in":300}', times: Infinity }],
      async (fake) => {
        const sick = { host: fake.host };
        const o = await run(sick);
        await assertPartialFailure(
          o,
          sick,
          String.raw`token request to ${literal(fake.host)}/token → token response has no token`,
          200,
        );
      },
    );
  });

  it("a manifest whose content does not match its Docker-Content-Digest is refused", async () => {
    const wrong = `sha256:${"1".repeat(64)}`;
    const rule: FakeRule = {
      kind: "manifestGet",
      path: "/manifests/develop-3",
      status: 200,
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": wrong },
      body: JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { digest: `sha256:${"2".repeat(64)}` },
        layers: [],
      }),
      times: Infinity,
    };
    await withFake(APP, [rule], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/manifests/develop-3 → body digest sha256:[0-9a-f]{64} does not match ${wrong}`,
        200,
      );
    });
  });

  it("a digest header that is not a digest is never written into a pinned reference", async () => {
    await withFake(APP, [], async (fake) => {
      // develop-3's real manifest, served under a Docker-Content-Digest that is no digest at all.
      const img = fake.images("acme/app").get("develop-3")!;
      const body = JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: img.configDigest, size: 1 },
        layers: [],
      });
      fake.rule({
        kind: "manifestGet",
        path: "/manifests/develop-3",
        status: 200,
        headers: {
          "content-type": "application/vnd.oci.image.manifest.v1+json",
          "docker-content-digest": "not-a-digest",
        },
        body,
        times: Infinity,
      });
      const sick = { host: fake.host, suffix: `:develop-1@sha256:${"a".repeat(64)}` };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`acme/app:develop-3 has an invalid digest "not-a-digest"; not writing it`,
        undefined,
      );
    });
  });

  it("tags that are not valid tags (newline, space, too long) are never chosen or written", async () => {
    const evil = ["develop-9\n  command: [sh]", "develop-9 x", `develop-${"9".repeat(200)}`, "develop-9/../x"];
    const body = JSON.stringify({ name: "acme/app", tags: ["develop-1", ...evil, "develop-2", "develop-3"] });
    await withFake(APP, [{ kind: "tagPages", status: 200, body, times: Infinity }], async (fake) => {
      const o = await run({ host: fake.host });
      assert.equal(o.plan.status, 0, o.plan.stderr);
      assert.deepEqual(o.planJson.failures, []);
      assert.deepEqual(
        o.planJson.changes.map((c) => [c.file, c.to]),
        [
          ["deploy/healthy.yaml", "develop-3"],
          ["deploy/sick.yaml", "develop-3"],
        ],
      );
      assert.equal(o.apply.status, 0, o.apply.stderr);
      assert.equal(
        await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"),
        o.sickBefore.replace("develop-1", "develop-3"),
      );
      // No request was made for the invalid tags.
      assert.ok(
        !fake.requests.some((r) => /develop-9/.test(decodeURIComponent(r.path))),
        fake.requests.map((r) => r.path).join("\n"),
      );
    });
  });

  it("redirect loop: detected, named with the status", async () => {
    const rule: FakeRule = {
      kind: "tagPages",
      status: 302,
      headers: { location: "/v2/acme/app/tags/list?n=1000" },
      times: Infinity,
    };
    await withFake(APP, [rule], async (fake) => {
      const sick = { host: fake.host };
      const o = await run(sick);
      await assertPartialFailure(
        o,
        sick,
        String.raw`GET /v2/acme/app/tags/list → 302 Found: redirect loop \(/v2/acme/app/tags/list again after 1 redirect\)`,
        302,
      );
    });
  });
});

describe("a tag list of 100k tags", { concurrency: 2 }, () => {
  let fake: FakeRegistry;
  // 99,997 build tags, then the develop channel on the very last page: only a complete listing finds it.
  const tags: FakeTagSpec[] = [
    ...Array.from({ length: 99_997 }, (_, i) => ({ tag: `build-${String(i).padStart(6, "0")}` })),
    ...DEVELOP,
  ];
  before(async () => {
    fake = await startFakeRegistry({ repositories: { "acme/app": { tags, pageSize: 1000, pagination: "link" } } });
  });
  after(() => fake?.stop());

  it("completes within the default page cap (100 pages of 1000) and finds the newest tag on the last page", async () => {
    const o = await run({ host: fake.host });
    assert.equal(o.plan.status, 0, o.plan.stderr);
    assert.deepEqual(
      o.planJson.changes.map((c) => [c.file, c.to]),
      [
        ["deploy/healthy.yaml", "develop-3"],
        ["deploy/sick.yaml", "develop-3"],
      ],
    );
    assert.equal(o.apply.status, 0, o.apply.stderr);
    // Bounded work, counted rather than timed: every page once per run, and nothing asked about the
    // 99,997 tags outside the channel.
    const paths = fake.requests.map((r) => decodeURIComponent(r.path));
    assert.ok(
      !paths.some((p) => /build-\d{6}/.test(p) && !p.includes("/tags/list")),
      "asked about a tag outside the channel",
    );
  });

  it("a page cap below the list: stops at the cap and says the list was truncated", async () => {
    const o = await run({ host: fake.host, settings: ["pageCap: 5"] });
    assert.equal(o.plan.status, 0, o.plan.stderr);
    const left = o.planJson.unchanged.find((u) => u.file === "deploy/sick.yaml");
    assert.equal(left?.reason, "no-candidates");
    assert.match(
      String(left?.detail),
      new RegExp(
        `^no tag in ${literal(fake.host)}/acme/app matches glob:develop-\\* \\(tag list truncated by the page cap\\)$`,
      ),
    );
    assert.equal(o.planJson.requests.tagPages, 1 + 5, "the healthy registry's one page + exactly 5 capped pages");
    assert.equal(o.apply.status, 0);
    assert.equal(await readFile(join(o.dir, "deploy/sick.yaml"), "utf8"), o.sickBefore);
  });
});

describe("several failing registries at once", () => {
  it("each is named; healthy ones are updated; --registry-errors decides the exit status (warn 0, fail 3)", async () => {
    const down = `127.0.0.1:${await freePort()}`;
    await withFake(APP, [{ kind: "tagPages", status: 403, times: Infinity }], async (denied) => {
      await withFake(APP, [{ kind: "tagPages", status: 503, times: Infinity }], async (unavailable) => {
        const hosts = [down, denied.host, unavailable.host];
        const config = ["updates:", '  - pattern: "glob:develop-*"', "    files: [.]", ""].join("\n");
        const files: Record<string, string> = {
          ".laminar.yaml": config,
          "ok.yaml": `image: ${healthy.host}/acme/app:develop-2\n`,
        };
        hosts.forEach((h, i) => (files[`sick-${i}.yaml`] = `image: ${h}/acme/app:develop-1\n`));
        const mk = () => makeRepo(files);
        const cache = await mkdtemp(join(tmpdir(), "laminar-fault-cache-"));

        const dirWarn = await mk();
        const warn = await laminar(["apply", "--dir", dirWarn, "--registry-errors", "warn"], { XDG_CACHE_HOME: cache });
        assert.equal(warn.status, 0, warn.stderr);
        const dirFail = await mk();
        const before = await snapshotTree(dirFail);
        const fail = await laminar(["apply", "--dir", dirFail], { XDG_CACHE_HOME: cache });
        assert.equal(fail.status, 3, fail.stderr);
        for (const r of [warn, fail]) {
          assert.match(r.stdout, /^1 change\(s\), 3 reference\(s\) left alone, 3 failure\(s\)$/m);
          for (const h of hosts) assert.match(r.stdout, new RegExp(`^  registry ${literal(h)}: GET /v2/`, "m"));
          assert.match(r.stdout, new RegExp(`^  registry ${literal(denied.host)}: .* → 403 Forbidden`, "m"));
          assert.match(
            r.stdout,
            new RegExp(`^  registry ${literal(unavailable.host)}: .* → 503 Service Unavailable`, "m"),
          );
          assert.match(r.stderr, /3 registry failure\(s\)/);
        }
        assert.deepEqual(changedPaths(before, await snapshotTree(dirFail)), ["ok.yaml"]);
        assert.equal(await readFile(join(dirFail, "ok.yaml"), "utf8"), `image: ${healthy.host}/acme/app:develop-3\n`);
      });
    });
  });
});
