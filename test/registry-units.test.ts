/**
 * The registry client's small pure parts: challenge and Link parsing, Retry-After, cloud host kinds,
 * token lifetimes, endpoint rules, docker config credential precedence.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseWwwAuthenticate } from "../src/registry/challenge.js";
import { baseUrlFor, registryKey } from "../src/registry/client.js";
import { dockerConfigKey, resolveCredential } from "../src/registry/credentials.js";
import { HttpClient, parseRateLimitRemaining, parseRetryAfter } from "../src/registry/http.js";
import { RegistryCache, recheckAfterMs, tagListHash } from "../src/registry/cache.js";
import { cloudKindOf } from "../src/registry/cloud/kind.js";
import { parseNextLink } from "../src/registry/tag-list.js";
import { parseEcrHost, parseGcrManifestMap } from "../src/registry/timestamp-apis.js";
import { TokenCache } from "../src/registry/token-cache.js";
import { tokenKeys } from "./helpers/registry/server.js";

describe("WWW-Authenticate", () => {
  test("Bearer with quoted values containing commas", () => {
    const [c] = parseWwwAuthenticate(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
    );
    assert.deepEqual(c, {
      scheme: "bearer",
      params: {
        realm: "https://auth.example.com/token",
        service: "registry.example.com",
        scope: "repository:a/b:pull,push",
      },
    });
  });

  test("several challenges in one header, escapes, unquoted values, spaces", () => {
    const cs = parseWwwAuthenticate(
      'Basic realm="a \\"quoted\\", realm" , Bearer realm=https://x/token, service = svc,error="insufficient_scope"',
    );
    assert.equal(cs.length, 2);
    assert.deepEqual(cs[0], { scheme: "basic", params: { realm: 'a "quoted", realm' } });
    assert.deepEqual(cs[1], {
      scheme: "bearer",
      params: { realm: "https://x/token", service: "svc", error: "insufficient_scope" },
    });
  });

  test("scheme only and garbage do not loop", () => {
    assert.deepEqual(parseWwwAuthenticate("Basic"), [{ scheme: "basic", params: {} }]);
    assert.equal(parseWwwAuthenticate("").length, 0);
    assert.ok(parseWwwAuthenticate('=,"; Negotiate abc==').length >= 1);
  });
});

describe("Link and Retry-After", () => {
  test("rel=next among several links, quoted or not", () => {
    assert.equal(parseNextLink('</v2/a/tags/list?n=100&last=x>; rel="next"'), "/v2/a/tags/list?n=100&last=x");
    assert.equal(
      parseNextLink('<https://r/prev>; rel="prev", <https://r/next?x=1,2>; rel=next'),
      "https://r/next?x=1,2",
    );
    assert.equal(parseNextLink('<https://r/first>; rel="first"'), undefined);
    assert.equal(parseNextLink(null), undefined);
  });

  test("Retry-After seconds and HTTP date; ratelimit-remaining", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    const now = Date.parse("2024-01-01T00:00:00Z");
    assert.equal(parseRetryAfter("Mon, 01 Jan 2024 00:00:10 GMT", now), 10_000);
    assert.equal(parseRetryAfter("soon"), undefined);
    assert.equal(parseRateLimitRemaining("76;w=21600"), 76);
    assert.equal(parseRateLimitRemaining(null), undefined);
  });
});

describe("cloud registry hosts", () => {
  test("ECR host parsing", () => {
    assert.deepEqual(parseEcrHost("123456789012.dkr.ecr.eu-west-1.amazonaws.com"), {
      registryId: "123456789012",
      region: "eu-west-1",
    });
    assert.equal(parseEcrHost("ghcr.io"), undefined);
  });

  test("the cloud whose credential chain serves a host; the `cloud` setting wins", () => {
    assert.equal(cloudKindOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com"), "aws");
    assert.equal(cloudKindOf("gcr.io"), "google");
    assert.equal(cloudKindOf("eu.gcr.io"), "google");
    assert.equal(cloudKindOf("europe-west1-docker.pkg.dev"), "google");
    assert.equal(cloudKindOf("acme.azurecr.io"), "azure");
    assert.equal(cloudKindOf("public.ecr.aws"), undefined);
    assert.equal(cloudKindOf("ghcr.io"), undefined);
    assert.equal(cloudKindOf("127.0.0.1:5000", "google"), "google");
    assert.equal(cloudKindOf("acme.azurecr.io", "none"), undefined);
  });

  test("GCR manifest map", () => {
    const m = parseGcrManifestMap({
      "sha256:aa": { tag: ["1", "latest"], timeUploadedMs: "1700000000000", timeCreatedMs: "0" },
      "sha256:bb": { tag: [], timeUploadedMs: "1" },
    });
    assert.equal(m.get("latest")?.created?.getTime(), 1_700_000_000_000);
    assert.equal(m.get("1")?.digest, "sha256:aa");
    assert.equal(m.size, 2);
  });
});

describe("tokens, endpoints, cache", () => {
  test("token lifetime with early renewal; default 60 s", () => {
    let now = 1_000_000;
    const c = new TokenCache(() => now);
    c.set("k", { token: "t", expiresIn: 300 });
    now += 269_000;
    assert.equal(c.get("k"), "t");
    now += 2_000; // past 300 s - 30 s margin
    assert.equal(c.get("k"), undefined);
    c.set("d", { token: "u" });
    now += 53_000;
    assert.equal(c.get("d"), "u");
    now += 2_000;
    assert.equal(c.get("d"), undefined);
  });

  test("plain HTTP only for loopback (as docker) or insecure", () => {
    assert.equal(baseUrlFor({ host: "127.0.0.1:5001" }), "http://127.0.0.1:5001");
    assert.equal(baseUrlFor({ host: "127.3.4.5" }), "http://127.3.4.5");
    assert.equal(baseUrlFor({ host: "localhost:5000" }), "http://localhost:5000");
    assert.equal(baseUrlFor({ host: "[::1]:5000" }), "http://[::1]:5000");
    assert.equal(baseUrlFor({ host: "ghcr.io" }), "https://ghcr.io");
    assert.equal(baseUrlFor({ host: "localhost.example.com" }), "https://localhost.example.com");
    assert.equal(baseUrlFor({ host: "10.0.0.1:5000", insecure: true }), "http://10.0.0.1:5000");
    assert.equal(baseUrlFor({ host: "docker.io" }), "https://registry-1.docker.io");
    assert.equal(registryKey("index.docker.io"), "docker.io");
    assert.equal(dockerConfigKey("docker.io"), "https://index.docker.io/v1/");
  });

  test("cache file: atomic save, merge with another writer, corrupt file ignored", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-cache-"));
    try {
      const path = join(dir, "sub", "registry.json");
      const a = await RegistryCache.open(path);
      const b = await RegistryCache.open(path);
      a.setFact("sha256:a", { created: new Date(1e12), source: "config-blob" });
      b.setFact("sha256:b", { source: "config-blob" });
      b.setSnapshot("r/x", {
        hash: tagListHash(["2", "1"]),
        changedAt: 5,
        tags: new Map([["1", { digest: "sha256:a", verifiedAt: 6 }]]),
      });
      await a.save();
      await b.save();
      const c = await RegistryCache.open(path);
      assert.equal(c.fact("sha256:a")?.created?.getTime(), 1e12);
      assert.equal(c.fact("sha256:b")?.created, undefined);
      assert.ok(c.fact("sha256:b"));
      assert.equal(c.snapshot("r/x")?.hash, tagListHash(["1", "2"]));
      await writeFile(path, "{not json");
      const d = await RegistryCache.open(path);
      assert.equal(d.fact("sha256:a"), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("registry cache file of the wrong shape", () => {
  test("a cache file with wrong types is ignored with a warning naming the problem, and replaced on save", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-cache-shape-"));
    try {
      const path = join(dir, "registry.json");
      const wrong = {
        version: 1,
        digests: { "sha256:a": { created: 5, at: 1 } },
        repos: { "r/x": { hash: "h", changedAt: 1, tags: "not a map" } },
      };
      await writeFile(path, JSON.stringify(wrong));
      const warnings: string[] = [];
      const c = await RegistryCache.open(path, (m) => warnings.push(m));
      assert.deepEqual(warnings, [
        `registry cache ${path}: not a Laminar registry cache (digests.sha256:a.created must be a string or null); starting with an empty cache`,
      ]);
      assert.equal(c.fact("sha256:a"), undefined);
      assert.equal(c.snapshot("r/x"), undefined);
      c.setFact("sha256:b", { created: new Date(1e12), source: "config-blob" });
      await c.save();
      const again: string[] = [];
      const d = await RegistryCache.open(path, (m) => again.push(m));
      assert.deepEqual(again, []);
      assert.equal(d.fact("sha256:b")?.created?.getTime(), 1e12);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a cache file that is not JSON, or is JSON of another kind, is ignored with a warning", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-cache-shape-"));
    try {
      const path = join(dir, "registry.json");
      for (const [text, problem] of [
        ["{not json", "not JSON"],
        ["[1,2]", "not a Laminar registry cache (the answer must be an object)"],
        ['{"version":1,"digests":{}}', "not a Laminar registry cache (repos is missing)"],
      ] as const) {
        await writeFile(path, text);
        const warnings: string[] = [];
        const c = await RegistryCache.open(path, (m) => warnings.push(m));
        assert.deepEqual(warnings, [`registry cache ${path}: ${problem}; starting with an empty cache`]);
        assert.equal(c.dirty, false);
      }
      // Another version's file is expected after an upgrade: ignored without a word.
      await writeFile(path, '{"version":99,"digests":[],"repos":null}');
      const warnings: string[] = [];
      await RegistryCache.open(path, (m) => warnings.push(m));
      assert.deepEqual(warnings, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("docker config credentials", () => {
  let dir: string;
  let bin: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "laminar-creds-"));
    bin = join(dir, "bin");
    await mkdir(bin);
    for (const [name, user] of [
      ["store", "from-store"],
      ["helper", "from-helper"],
    ] as const) {
      const p = join(bin, `docker-credential-${name}`);
      await writeFile(
        p,
        `#!/bin/sh\nread -r url\ncase "$url" in\n  nothing.example) echo "credentials not found in native keychain"; exit 1;;\n  broken.example) echo "secret-in-output" >&2; exit 3;;\n  token.example) printf '{"Username":"<token>","Secret":"idtok"}';;\n  *) printf '{"ServerURL":"%s","Username":"${user}","Secret":"pw-%s"}' "$url" "$url";;\nesac\n`,
      );
      await chmod(p, 0o755);
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function config(name: string, content: object): Promise<NodeJS.ProcessEnv> {
    const d = join(dir, name);
    await mkdir(d, { recursive: true });
    await writeFile(join(d, "config.json"), JSON.stringify(content));
    return { DOCKER_CONFIG: d, PATH: `${bin}:${process.env.PATH}` };
  }

  test("credHelpers[host] > credsStore > auths", async () => {
    const env = await config("prec", {
      credHelpers: { "ghcr.io": "helper" },
      credsStore: "store",
      auths: { "quay.io": { auth: Buffer.from("q:qp").toString("base64") } },
    });
    assert.deepEqual(await resolveCredential("ghcr.io", { env }), {
      kind: "basic",
      username: "from-helper",
      password: "pw-ghcr.io",
    });
    assert.deepEqual(await resolveCredential("quay.io", { env }), {
      kind: "basic",
      username: "from-store",
      password: "pw-quay.io",
    });
    // Docker Hub is asked for by its legacy key
    assert.deepEqual(await resolveCredential("docker.io", { env }), {
      kind: "basic",
      username: "from-store",
      password: "pw-https://index.docker.io/v1/",
    });
    // helper has nothing → auths
    const env2 = await config("prec2", {
      credsStore: "store",
      auths: { "https://nothing.example/v2/": { username: "n", password: "np" } },
    });
    assert.deepEqual(await resolveCredential("nothing.example", { env: env2 }), {
      kind: "basic",
      username: "n",
      password: "np",
    });
    assert.deepEqual(await resolveCredential("token.example", { env: env2 }), {
      kind: "identity-token",
      token: "idtok",
    });
  });

  test("broken helper: warning without its output, then auths", async () => {
    const env = await config("broken", { credsStore: "store", auths: { "broken.example": { registrytoken: "rt" } } });
    const warnings: string[] = [];
    const c = await resolveCredential("broken.example", { env, warn: (m) => warnings.push(m) });
    assert.deepEqual(c, { kind: "registry-token", token: "rt" });
    assert.equal(warnings.length, 1);
    assert.doesNotMatch(warnings[0]!, /secret-in-output/);
  });

  test("auths forms; Docker Hub key; explicit wins; GHCR GITHUB_TOKEN", async () => {
    const env = await config("auths", {
      auths: {
        "https://index.docker.io/v1/": { auth: Buffer.from("hubuser:hub:pass").toString("base64") },
        "registry.example": { username: "u", password: "p" },
        "id.example": { auth: Buffer.from("u2:").toString("base64"), identitytoken: "refresh" },
      },
    });
    assert.deepEqual(await resolveCredential("docker.io", { env }), {
      kind: "basic",
      username: "hubuser",
      password: "hub:pass",
    });
    assert.deepEqual(await resolveCredential("registry-1.docker.io", { env }), {
      kind: "basic",
      username: "hubuser",
      password: "hub:pass",
    });
    assert.deepEqual(await resolveCredential("registry.example", { env }), {
      kind: "basic",
      username: "u",
      password: "p",
    });
    assert.deepEqual(await resolveCredential("id.example", { env }), {
      kind: "identity-token",
      username: "u2",
      token: "refresh",
    });
    assert.deepEqual(await resolveCredential("registry.example", { env, explicit: { username: "x", password: "y" } }), {
      kind: "basic",
      username: "x",
      password: "y",
    });
    assert.deepEqual(await resolveCredential("ghcr.io", { env: { ...env, GITHUB_TOKEN: "ght" } }), {
      kind: "basic",
      username: "x-access-token",
      password: "ght",
    });
    assert.equal(await resolveCredential("other.example", { env }), undefined);
  });
});

test("recheckAfterMs: known tags' times to live are spread between half the maximum and all of it", () => {
  const day = 24 * 3600_000;
  const ttls = Array.from({ length: 300 }, (_, i) => recheckAfterMs(day, `r.io/app:main-${i}`));
  assert.ok(ttls.every((t) => t >= day / 2 && t <= day));
  assert.equal(recheckAfterMs(day, "r.io/app:main-7"), ttls[7], "the same tag always gets the same time to live");
  // After a cold run confirmed all 300 at once, the re-checks fall into different runs: of runs
  // every hour between 12 h and 24 h, none re-checks more than a fifth of the tags.
  for (let h = 12; h < 24; h++) {
    const due = ttls.filter((t) => t > h * 3600_000 && t <= (h + 1) * 3600_000).length;
    assert.ok(due < 60, `${due} tags due in hour ${h}`);
  }
});

describe("HTTPS transport (node:https since #12)", () => {
  test("a registry whose certificate is not trusted is named with the reason, after one attempt", async () => {
    const { createServer } = await import("node:https");
    const keys = await tokenKeys();
    const server = createServer(
      { key: keys.key.export({ type: "pkcs8", format: "pem" }), cert: keys.certPem },
      (_q, r) => r.end("{}"),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const http = new HttpClient({ retry: { maxAttempts: 1 } });
      await assert.rejects(
        http.request({
          registry: `127.0.0.1:${port}`,
          kind: "tagPages",
          method: "GET",
          url: `https://127.0.0.1:${port}/v2/`,
        }),
        (e: Error) =>
          new RegExp(
            `^registry 127\\.0\\.0\\.1:${port}: GET /v2/ → network error: request failed: self-signed certificate`,
          ).test(e.message),
      );
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe("compressed answers (node:http since #12)", () => {
  // A CDN may compress though Laminar asks for no encoding; fetch undid that, so must node:http.
  async function serve(body: Buffer, encoding: string): Promise<{ url: string; close: () => void }> {
    const { createServer } = await import("node:http");
    const server = createServer((_q, r) => {
      r.writeHead(200, { "content-type": "application/json", "content-encoding": encoding });
      r.end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      close: () => {
        server.closeAllConnections();
        server.close();
      },
    };
  }

  for (const [encoding, pack] of [
    ["gzip", (b: Buffer) => gzipSync(b)],
    ["deflate", (b: Buffer) => deflateSync(b)],
    ["br", (b: Buffer) => brotliCompressSync(b)],
  ] as const) {
    test(`a ${encoding} tag list is unpacked`, async () => {
      const list = JSON.stringify({ name: "app", tags: ["1.0.0", "1.1.0"] });
      const s = await serve(pack(Buffer.from(list)), encoding);
      try {
        const http = new HttpClient({ retry: { maxAttempts: 1 } });
        const r = await http.request({
          registry: new URL(s.url).host,
          kind: "tagPages",
          method: "GET",
          url: `${s.url}/v2/app/tags/list`,
        });
        assert.equal(r.body.toString(), list);
        assert.equal(r.headers.get("content-encoding"), null);
      } finally {
        s.close();
      }
    });
  }

  test("a small gzip that unpacks past the body cap is refused as too large", async () => {
    const s = await serve(gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), "gzip");
    try {
      const http = new HttpClient({ retry: { maxAttempts: 1 }, maxBodyBytes: 1024 * 1024 });
      await assert.rejects(
        http.request({
          registry: new URL(s.url).host,
          kind: "tagPages",
          method: "GET",
          url: `${s.url}/v2/app/tags/list`,
        }),
        /body larger than 1 MiB/,
      );
    } finally {
      s.close();
    }
  });
});
