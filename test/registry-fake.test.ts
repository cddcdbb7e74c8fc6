/**
 * RegistryClient against the fake registry: the responses docker-registry 2.8 cannot give
 * (Link pagination, 429/5xx, slow answers, timestamp APIs, rate limits, broken answers).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { RegistryClient, RegistryError, type RegistryClientOptions } from "../src/registry/index.js";
import { scanText } from "../src/scan/scan.js";
import { startFakeRegistry, type FakeRegistry, type FakeTagSpec } from "./helpers/registry/fake-registry.js";

const T0 = Date.parse("2024-05-01T00:00:00Z");
const series = (n: number, prefix = "v"): FakeTagSpec[] =>
  Array.from({ length: n }, (_, i) => ({
    tag: `${prefix}${String(i).padStart(4, "0")}`,
    created: new Date(T0 + i * 60_000),
    pushed: new Date(T0 + i * 60_000 + 3_600_000),
  }));

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 40, maxTotalWaitMs: 3_000, maxRetryAfterMs: 5_000 };

function client(
  fake: FakeRegistry,
  extra: Partial<RegistryClientOptions> = {},
  settings: Record<string, unknown> = {},
) {
  return new RegistryClient({
    retry: FAST_RETRY,
    env: {},
    ...extra,
    registries: [{ host: fake.host, ...settings }],
  });
}

describe("tag list pagination", () => {
  let fake: FakeRegistry;
  before(async () => {
    fake = await startFakeRegistry({
      repositories: {
        "p/link": { tags: series(250), pageSize: 100, pagination: "link", maxN: 1000 },
        "p/quay": { tags: series(120), pageSize: 50, pagination: "opaque" },
        "p/abs": { tags: series(30), pageSize: 10, pagination: "absolute" },
        "p/gcr": { tags: series(12), pageSize: 100, gcrManifestMap: true },
      },
    });
  });
  after(() => fake.stop());

  test("follows Link exactly; first page asks n=1000", async () => {
    fake.reset();
    const c = client(fake);
    const list = await c.listTags({ registry: fake.host, repository: "p/link" });
    assert.deepEqual(
      list.tags,
      series(250).map((t) => t.tag),
    );
    assert.equal(list.truncated, false);
    const pages = fake.requests.filter((r) => r.kind === "tagPages").map((r) => r.path);
    assert.deepEqual(pages, [
      "/v2/p/link/tags/list?n=1000",
      "/v2/p/link/tags/list?n=100&last=v0099",
      "/v2/p/link/tags/list?n=100&last=v0199",
    ]);
    assert.equal(c.counts().tagPages, 3);
  });

  test("never asks n > 1000 even when configured higher", async () => {
    fake.reset();
    const c = client(fake, {}, { pageSize: 5000 });
    await c.listTags({ registry: fake.host, repository: "p/link" });
    assert.equal(fake.requests.find((r) => r.kind === "tagPages")?.path, "/v2/p/link/tags/list?n=1000");
  });

  test("opaque Quay-style next_page links and absolute links", async () => {
    const c = client(fake);
    const q = await c.listTags({ registry: fake.host, repository: "p/quay" });
    assert.equal(q.tags.length, 120);
    const a = await c.listTags({ registry: fake.host, repository: "p/abs" });
    assert.equal(a.tags.length, 30);
    assert.equal(c.counts().tagPages, 3 + 3);
  });

  test("page cap → truncated", async () => {
    fake.reset();
    const c = client(fake, {}, { pageCap: 2 });
    const list = await c.listTags({ registry: fake.host, repository: "p/link" });
    assert.equal(list.truncated, true);
    assert.equal(list.tags.length, 200);
    assert.equal(fake.counts().tagPages, 2);
  });

  test("GCR manifest map: push times from tags/list, zero manifest requests", async () => {
    fake.reset();
    const c = client(fake);
    const repo = { registry: fake.host, repository: "p/gcr" };
    const list = await c.listTags(repo);
    assert.equal(list.times?.get("v0003")?.source, "gcr-tags-list");
    const d = await c.describeTags(repo, { times: list.tags, digests: list.tags });
    assert.equal(d.get("v0003")?.created?.getTime(), T0 + 3 * 60_000 + 3_600_000);
    assert.equal(d.get("v0003")?.digest, fake.images("p/gcr").get("v0003")?.digest);
    const n = fake.counts();
    assert.equal(n.manifestGet + n.manifestHead + n.blobGet, 0);
  });

  test("concurrent identical listTags share one request", async () => {
    fake.reset();
    const c = client(fake);
    const repo = { registry: fake.host, repository: "p/quay" };
    const [a, b] = await Promise.all([c.listTags(repo), c.listTags(repo)]);
    assert.equal(a, b);
    assert.equal(fake.counts().tagPages, 3);
  });
});

describe("retries and failures", () => {
  let fake: FakeRegistry;
  before(async () => {
    fake = await startFakeRegistry({ repositories: { "r/app": { tags: series(6), pageSize: 100 } } });
  });
  after(() => fake.stop());
  const repo = () => ({ registry: fake.host, repository: "r/app" });

  test("429 with Retry-After is honoured", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "tagPages", status: 429, headers: { "retry-after": "1" } });
    const c = client(fake);
    const t = Date.now();
    const list = await c.listTags(repo());
    assert.equal(list.tags.length, 6);
    assert.ok(Date.now() - t >= 950, "waited for Retry-After");
    assert.equal(c.counts().retries, 1);
    assert.equal(fake.counts().tagPages, 2);
  });

  test("500, 502, 503 then success", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "manifestGet", status: 500 });
    fake.rule({ kind: "manifestGet", status: 502 });
    fake.rule({ kind: "manifestGet", status: 503 });
    const c = client(fake);
    const d = await c.describeTags(repo(), { times: ["v0002"], digests: [] });
    assert.equal(d.get("v0002")?.created?.getTime(), T0 + 2 * 60_000);
    assert.equal(c.counts().retries, 3);
    assert.equal(c.counts().manifestGet, 4);
    assert.equal(c.counts().blobGet, 1);
  });

  test("503 for ever: bounded attempts, clear error", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "tagPages", status: 503, times: Infinity });
    const c = client(fake);
    const t = Date.now();
    await assert.rejects(c.listTags(repo()), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 503);
      assert.equal(err.repository, "r/app");
      assert.match(err.message, /GET \/v2\/r\/app\/tags\/list → 503 Service Unavailable \(gave up after 5 attempts/);
      return true;
    });
    assert.equal(fake.counts().tagPages, 5);
    assert.ok(Date.now() - t < 3_000);
  });

  test("a Retry-After longer than we wait fails at once", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "tagPages", status: 429, headers: { "retry-after": "3600" }, times: Infinity });
    const c = client(fake);
    await assert.rejects(c.listTags(repo()), /429 Too Many Requests \(Retry-After 3600 s/);
    assert.equal(fake.counts().tagPages, 1);
  });

  test("a slow answer times out and is retried", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "tagPages", delayMs: 1_500 });
    const c = client(fake, { timeoutMs: 300 });
    const list = await c.listTags(repo());
    assert.equal(list.tags.length, 6);
    assert.equal(c.counts().retries, 1);
  });

  test("network error (connection refused) is bounded", async () => {
    const c = new RegistryClient({
      retry: { ...FAST_RETRY, maxAttempts: 3 },
      env: {},
      registries: [{ host: "127.0.0.1:9" }],
    });
    await assert.rejects(c.listTags({ registry: "127.0.0.1:9", repository: "x/y" }), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.match(err.message, /^registry 127\.0\.0\.1:9: GET \/v2\/ → network error/);
      return true;
    });
  });

  test("malformed JSON", async () => {
    fake.clearRules();
    fake.rule({ kind: "tagPages", status: 200, body: '{"name":"r/app","tags":["a",' });
    const c = client(fake);
    await assert.rejects(c.listTags(repo()), /tags\/list → malformed JSON in tag list/);
  });

  test("redirect loop", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "tagPages", status: 302, headers: { location: "/v2/r/app/tags/list?loop=1" }, times: Infinity });
    const c = client(fake);
    await assert.rejects(c.listTags(repo()), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.match(err.message, /redirect loop/);
      return true;
    });
    assert.ok(fake.counts().tagPages <= 3, String(fake.counts().tagPages));
    fake.clearRules();
  });

  test("a Link cycle stops and marks the list truncated", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({
      kind: "tagPages",
      status: 200,
      headers: { link: '</v2/r/app/tags/list?n=1000>; rel="next"' },
      body: '{"name":"r/app","tags":["a","b"]}',
      times: Infinity,
    });
    const list = await client(fake).listTags(repo());
    assert.deepEqual(list, { tags: ["a", "b"], times: undefined, truncated: true });
    assert.equal(fake.counts().tagPages, 1);
    fake.clearRules();
  });

  test("concurrency per registry is bounded and identical requests are made once", async () => {
    fake.clearRules();
    fake.reset();
    fake.rule({ kind: "manifestGet", delayMs: 50, times: Infinity });
    const c = client(fake, { perRegistryConcurrency: 2 });
    const tags = series(6).map((t) => t.tag);
    const [a] = await Promise.all([
      c.describeTags(repo(), { times: tags, digests: [] }),
      c.describeTags(repo(), { times: tags, digests: tags }),
    ]);
    assert.equal(a.size, 6);
    assert.ok(fake.maxInFlight() <= 2, `max in flight ${fake.maxInFlight()}`);
    assert.equal(fake.counts().manifestGet, 6);
    assert.equal(fake.counts().blobGet, 6);
    fake.clearRules();
  });
});

describe("auth against the fake", () => {
  test("Bearer: a revoked token is refreshed once on 401", async () => {
    const fake = await startFakeRegistry({
      auth: { scheme: "bearer", anonymous: true },
      repositories: { "a/b": { tags: series(3) } },
    });
    try {
      const c = client(fake);
      const repo = { registry: fake.host, repository: "a/b" };
      await c.listTags(repo);
      assert.equal(c.counts().token, 1);
      fake.revokeTokens();
      const d = await c.describeTags(repo, { times: ["v0001"], digests: [] });
      assert.equal(d.size, 1);
      assert.equal(c.counts().token, 2);
    } finally {
      await fake.stop();
    }
  });

  test("Basic with a quoted realm containing a comma", async () => {
    const fake = await startFakeRegistry({
      auth: { scheme: "basic", users: { u: "p@ss" } },
      repositories: { "a/b": { tags: series(2) } },
    });
    try {
      const c = client(fake, {}, { username: "u", password: "p@ss" });
      const list = await c.listTags({ registry: fake.host, repository: "a/b" });
      assert.equal(list.tags.length, 2);
      assert.match(fake.requests.at(-1)!.authorization ?? "", /^Basic /);
    } finally {
      await fake.stop();
    }
  });
});

describe("timestamp APIs and rate limits", () => {
  let fake: FakeRegistry;
  before(async () => {
    fake = await startFakeRegistry({
      repositories: {
        "library/nginx": { tags: series(150), hubApi: true },
        "someone/private": { tags: series(3) },
        "team/ecr-app": { tags: series(4) },
      },
      ecr: { accessKeyId: "AKIDTEST" },
    });
  });
  after(() => fake.stop());

  test("Docker Hub tag API: tags + tag_last_pushed, no registry requests", async () => {
    fake.reset();
    const c = new RegistryClient({
      retry: FAST_RETRY,
      env: {},
      registries: [{ host: "docker.io", endpoint: fake.url, apiUrl: fake.url }],
    });
    const repo = { registry: "docker.io", repository: "library/nginx" };
    const list = await c.listTags(repo);
    assert.equal(list.tags.length, 150);
    const d = await c.describeTags(repo, { times: ["v0149", "v0000"], digests: ["v0149"] });
    assert.equal(d.get("v0149")?.source, "docker-hub-api");
    assert.equal(d.get("v0149")?.created?.getTime(), T0 + 149 * 60_000 + 3_600_000);
    assert.equal(d.get("v0149")?.digest, fake.images("library/nginx").get("v0149")?.digest);
    assert.deepEqual(
      {
        api: c.counts().api,
        tagPages: c.counts().tagPages,
        manifests: c.counts().manifestGet + c.counts().manifestHead,
      },
      { api: 2, tagPages: 0, manifests: 0 },
    );
    assert.match(fake.requests[0]!.path, /^\/v2\/namespaces\/library\/repositories\/nginx\/tags\?page_size=100$/);
  });

  test("Docker Hub tag API failing → registry API", async () => {
    fake.reset();
    const warnings: string[] = [];
    const c = new RegistryClient({
      retry: FAST_RETRY,
      env: {},
      log: { warn: (m) => warnings.push(m) },
      registries: [{ host: "docker.io", endpoint: fake.url, apiUrl: fake.url }],
    });
    const repo = { registry: "docker.io", repository: "someone/private" };
    const list = await c.listTags(repo);
    assert.equal(list.tags.length, 3);
    const d = await c.describeTags(repo, { times: ["v0001"], digests: [] });
    assert.equal(d.get("v0001")?.source, "config-blob");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /404/);
  });

  test("Docker Hub tag API failing on a channel over limits.candidates: learnt from manifests, the failure named", async () => {
    fake.reset();
    const c = new RegistryClient({
      retry: FAST_RETRY,
      env: {},
      log: { warn: () => {} },
      registries: [{ host: "docker.io", endpoint: fake.url, apiUrl: fake.url }],
    });
    const plan = await planUpdates({
      config: parseConfig(`updates:\n  - pattern: "glob:v*"\n    files: [deploy]\nlimits:\n  candidates: 2\n`),
      files: [{ path: "deploy/a.yaml", references: scanText(Buffer.from(`image: someone/private:v0000\n`)) }],
      tags: c,
    });
    assert.equal(plan.unchanged[0]?.reason, "learning-build-times", JSON.stringify(plan.unchanged[0]));
    assert.match(
      String(plan.unchanged[0]?.detail),
      /^timestamp API failed \(registry docker\.io: GET [^ ]+\/v2\/namespaces\/someone\/repositories\/private\/tags → 404 [^)]*\), so build times come from manifests: asked 2 of 3 build times /,
    );
    assert.equal(c.counts().manifestGet + c.counts().blobGet, 4, JSON.stringify(c.counts()));
  });

  test("Docker Hub tag page of the wrong shape → named warning, registry API", async () => {
    fake.reset();
    fake.rule({
      kind: "hubApi",
      status: 200,
      body: '{"results":[{"name":"v0001","tag_last_pushed":5}]}',
      times: Infinity,
    });
    try {
      const warnings: string[] = [];
      const c = new RegistryClient({
        retry: FAST_RETRY,
        env: {},
        log: { warn: (m) => warnings.push(m) },
        registries: [{ host: "docker.io", endpoint: fake.url, apiUrl: fake.url }],
      });
      const repo = { registry: "docker.io", repository: "someone/private" };
      const list = await c.listTags(repo);
      assert.equal(list.tags.length, 3);
      const d = await c.describeTags(repo, { times: ["v0001"], digests: [] });
      assert.equal(d.get("v0001")?.source, "config-blob");
      assert.deepEqual(warnings, [
        `registry docker.io: GET ${fake.host}/v2/namespaces/someone/repositories/private/tags → answer is not a Docker Hub tag page: results[0].tag_last_pushed must be a string or null; listing tags through the registry API instead`,
      ]);
    } finally {
      fake.clearRules();
    }
  });

  /** The AWS SDK reads the process environment: run `fn` with exactly these AWS variables. */
  async function withAwsEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    // Nothing from this machine's AWS setup, and no instance metadata lookups (only 127.0.0.1).
    Object.assign(process.env, {
      AWS_CONFIG_FILE: "/nonexistent/aws-config",
      AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
      AWS_EC2_METADATA_DISABLED: "true",
      ...vars,
    });
    try {
      return await fn();
    } finally {
      process.env = saved;
    }
  }

  test("ECR DescribeImages signed by the AWS SDK, generic path without credentials", async () => {
    const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    // No docker login and no auth on the fake: GetAuthorizationToken's refusal means anonymous.
    const settings = { host, endpoint: fake.url, apiUrl: `${fake.url}/` };
    const repo = { registry: host, repository: "team/ecr-app" };
    fake.reset();
    const withCreds = new RegistryClient({ retry: FAST_RETRY, registries: [settings] });
    await withAwsEnv({ AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "secret-key-value" }, async () => {
      await withCreds.listTags(repo);
      const d = await withCreds.describeTags(repo, { times: ["v0000", "v0003", "gone"], digests: [] });
      assert.equal(d.get("v0003")?.source, "ecr-describe-images");
      assert.equal(d.get("v0003")?.created?.getTime(), T0 + 3 * 60_000 + 3_600_000);
      assert.equal(d.has("gone"), false);
    });
    assert.equal(withCreds.counts().api, 1);
    assert.equal(
      withCreds.counts().manifestGet + withCreds.counts().manifestHead,
      1,
      "only the missing tag is looked up",
    );
    const call = fake.requests.find(
      (r) => r.kind === "ecrApi" && r.headers["x-amz-target"] === "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
    )!;
    assert.match(
      call.authorization ?? "",
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/ecr\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/,
    );
    assert.doesNotMatch(JSON.stringify(fake.requests), /secret-key-value/);

    const without = new RegistryClient({ retry: FAST_RETRY, registries: [settings] });
    const g = await withAwsEnv({}, () => without.describeTags(repo, { times: ["v0003"], digests: [] }));
    assert.equal(g.get("v0003")?.source, "config-blob");
    assert.equal(without.counts().api, 0);

    const wrongKey = new RegistryClient({ retry: FAST_RETRY, registries: [settings] });
    const w = await withAwsEnv({ AWS_ACCESS_KEY_ID: "AKIDOTHER", AWS_SECRET_ACCESS_KEY: "x" }, () =>
      wrongKey.describeTags(repo, { times: ["v0003"], digests: [] }),
    );
    assert.equal(w.get("v0003")?.source, "config-blob", "403 from ECR → generic path");
  });

  test("ECR DescribeImages answer of the wrong shape → named warning, generic path", async () => {
    const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    const repo = { registry: host, repository: "team/ecr-app" };
    fake.reset();
    const body = JSON.stringify({ imageDetails: [{ imageDigest: "sha256:00", imageTags: "v0003", imagePushedAt: 1 }] });
    fake.rule({ kind: "ecrApi", status: 200, body, times: Infinity });
    try {
      const warnings: string[] = [];
      const c = new RegistryClient({
        retry: FAST_RETRY,
        log: { warn: (m) => warnings.push(m) },
        registries: [{ host, endpoint: fake.url, apiUrl: `${fake.url}/` }],
      });
      const d = await withAwsEnv({ AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "secret-key-value" }, () =>
        c.describeTags(repo, { times: ["v0003"], digests: [] }),
      );
      assert.equal(d.get("v0003")?.source, "config-blob");
      assert.equal(
        warnings.at(-1),
        `registry ${host}: ECR DescribeImages (AWS SDK chain (environment keys)) → DescribeImages answer: imageTags is not an array; using manifests instead`,
      );
    } finally {
      fake.clearRules();
    }
  });

  test("ECR DescribeImages failing (500) on a channel over limits.candidates: learnt from manifests, bounded, named", async () => {
    const host = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
    fake.reset();
    fake.rule({
      kind: "ecrApi",
      status: 500,
      body: '{"__type":"ServerException","message":"injected"}',
      times: Infinity,
    });
    try {
      const c = new RegistryClient({
        retry: FAST_RETRY,
        log: { warn: () => {} },
        registries: [{ host, endpoint: fake.url, apiUrl: `${fake.url}/` }],
      });
      const plan = await withAwsEnv({ AWS_ACCESS_KEY_ID: "AKIDTEST", AWS_SECRET_ACCESS_KEY: "secret-key-value" }, () =>
        planUpdates({
          config: parseConfig(`updates:\n  - pattern: "glob:v*"\n    files: [deploy]\nlimits:\n  candidates: 2\n`),
          files: [{ path: "deploy/a.yaml", references: scanText(Buffer.from(`image: ${host}/team/ecr-app:v0000\n`)) }],
          tags: c,
        }),
      );
      assert.equal(plan.unchanged[0]?.reason, "learning-build-times", JSON.stringify(plan.unchanged[0]));
      assert.match(
        String(plan.unchanged[0]?.detail),
        /^timestamp API failed \(registry 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com: ECR DescribeImages \(AWS SDK chain \(environment keys\)\) → registry [^ ]+: POST \/ → 500 Internal Server Error \(gave up after 5 attempts, [\d.]+ s waiting\)\), so build times come from manifests: asked 2 of 4 build times /,
      );
      // Two manifests and two config blobs (v0003, v0002: newest names first), not all four tags'.
      assert.equal(c.counts().manifestGet + c.counts().blobGet, 4, JSON.stringify(c.counts()));
    } finally {
      fake.clearRules();
    }
  });

  test("stops before ratelimit-remaining runs out", async () => {
    const fake = await startFakeRegistry({
      repositories: { "rl/app": { tags: series(10) } },
      rateLimit: { limit: 100, remaining: 8 },
    });
    after(() => fake.stop());
    const c = client(fake, { perRegistryConcurrency: 1, rateLimitReserve: 5 });
    const repo = { registry: fake.host, repository: "rl/app" };
    const tags = series(10).map((t) => t.tag);
    await assert.rejects(c.describeTags(repo, { times: tags, digests: [] }), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 429);
      assert.match(err.message, /not sent: ratelimit-remaining is 5, at or below the reserve of 5/);
      return true;
    });
    // 8 → 5 remaining: three pulls spent, the reserve untouched, never a real 429
    assert.equal(fake.counts().manifestGet, 3);
    assert.ok(fake.requests.every((r) => r.status !== 429));
  });
});

describe("per-registry timeout", () => {
  // RegistrySettings.timeoutMs belongs to its registry: a short one set for a stalling registry
  // must not cut a slower-but-healthy registry, which keeps its own (longer) timeout.
  let stalled: FakeRegistry;
  let slow: FakeRegistry;
  before(async () => {
    [stalled, slow] = await Promise.all([
      startFakeRegistry({ repositories: { "r/app": { tags: series(3) } } }),
      startFakeRegistry({ repositories: { "r/app": { tags: series(3) } } }),
    ]);
  });
  after(async () => {
    await Promise.all([stalled?.stop(), slow?.stop()]);
  });

  test("a stalling registry fails at its own timeout; another answers slower than that and succeeds", async () => {
    stalled.rule({ kind: "tagPages", delayMs: 3_000, times: Infinity });
    slow.rule({ kind: "tagPages", delayMs: 800, times: Infinity });
    const c = new RegistryClient({
      retry: { ...FAST_RETRY, maxAttempts: 2 },
      env: {},
      timeoutMs: 200, // the client default: the slow registry overrides it, so it must not apply there
      registries: [
        { host: stalled.host, timeoutMs: 300 },
        { host: slow.host, timeoutMs: 3_000 },
      ],
    });
    const [bad, good] = await Promise.allSettled([
      c.listTags({ registry: stalled.host, repository: "r/app" }),
      c.listTags({ registry: slow.host, repository: "r/app" }),
    ]);
    assert.equal(bad.status, "rejected");
    const err = (bad as PromiseRejectedResult).reason as unknown;
    assert.ok(err instanceof RegistryError);
    assert.match(
      err.message,
      /^registry 127\.0\.0\.1:\d+: GET \/v2\/r\/app\/tags\/list → network error: timed out after 0\.3 s \(gave up after 2 attempts, [\d.]+ s waiting\)$/,
    );
    assert.equal(good.status, "fulfilled");
    assert.equal((good as PromiseFulfilledResult<{ tags: string[] }>).value.tags.length, 3);
    assert.equal(c.counts(slow.host).retries, 0);
  });
});
