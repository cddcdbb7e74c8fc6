/**
 * RegistryClient against the real docker-registry (CNCF distribution 2.8), anonymous, htpasswd
 * (bcrypt) and token auth, with images seeded over HTTP. Request counts prove the cost rules.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { RegistryClient, RegistryError } from "../src/registry/index.js";
import { seedImages, tagImage, tagSeries, type SeededImage } from "./helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";

const T0 = new Date("2024-03-01T10:00:00Z");
const hours = (h: number) => new Date(T0.getTime() + h * 3600_000);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "laminar-registry-test-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("anonymous registry", () => {
  let reg: RunningRegistry;
  let seeded: SeededImage[];
  const N = 30;

  before(async () => {
    reg = await startRegistry({ auth: "none" });
    seeded = await seedImages(reg, [
      ...tagSeries("acme/app", N, { newest: hours(100) }),
      {
        repository: "acme/multi",
        tag: "v1",
        created: hours(1),
        platforms: ["linux/amd64", "linux/arm64/v8"],
        platformCreated: { "linux/arm64/v8": hours(5) },
      },
      {
        repository: "acme/multi",
        tag: "v1-docker",
        format: "docker",
        created: hours(2),
        platforms: ["linux/amd64", "linux/arm/v7"],
      },
      {
        repository: "acme/annotated",
        tag: "a",
        created: hours(3),
        annotations: { "org.opencontainers.image.created": hours(7).toISOString() },
      },
      { repository: "acme/docker", tag: "d", created: hours(9), format: "docker" },
    ]);
  });
  after(() => reg.stop());

  test("lists every tag", async () => {
    const c = new RegistryClient();
    const list = await c.listTags({ registry: reg.host, repository: "acme/app" });
    assert.equal(list.tags.length, N);
    assert.deepEqual(
      [...list.tags].sort(),
      tagSeries("acme/app", N)
        .map((i) => i.tag)
        .sort(),
    );
    assert.equal(list.truncated, false);
    assert.equal(c.counts().tagPages, 1);
    assert.equal(c.counts().ping, 1);
  });

  test("cold run: tag pages + 2 per requested tag; warm run: zero manifest/blob requests; changed list: HEAD per tag", async () => {
    const cachePath = join(tmp, "anon-cache", "registry.json");
    const repo = { registry: reg.host, repository: "acme/app" };
    const want = tagSeries("acme/app", N, { newest: hours(100) });

    // cold
    const cold = new RegistryClient({ cachePath });
    const list = await cold.listTags(repo);
    const details = await cold.describeTags(repo, { times: list.tags, digests: list.tags });
    assert.equal(details.size, N);
    for (const img of want) {
      const d = details.get(img.tag);
      assert.ok(d, img.tag);
      assert.equal(d.created?.toISOString(), img.created?.toISOString(), img.tag);
      assert.equal(d.source, "config-blob");
      assert.equal(d.digest, seeded.find((s) => s.repository === "acme/app" && s.tag === img.tag)?.digest);
    }
    const c1 = cold.counts();
    assert.deepEqual(
      {
        tagPages: c1.tagPages,
        manifestGet: c1.manifestGet,
        blobGet: c1.blobGet,
        manifestHead: c1.manifestHead,
        retries: c1.retries,
      },
      { tagPages: 1, manifestGet: N, blobGet: N, manifestHead: 0, retries: 0 },
    );
    assert.ok(c1.manifestGet + c1.blobGet + c1.tagPages <= c1.tagPages + 2 * N);
    // asking again in the same run costs nothing
    await cold.describeTags(repo, { times: list.tags, digests: [] });
    assert.deepEqual(cold.counts(), c1);
    await cold.flush();
    assert.ok(JSON.parse(await readFile(cachePath, "utf8")).version === 1);

    // warm: a new process with the same cache file
    const warm = new RegistryClient({ cachePath });
    const list2 = await warm.listTags(repo);
    const details2 = await warm.describeTags(repo, { times: list2.tags, digests: list2.tags });
    const c2 = warm.counts();
    assert.equal(c2.manifestGet + c2.manifestHead + c2.blobGet, 0, JSON.stringify(c2));
    assert.equal(c2.tagPages, 1);
    for (const img of want) {
      const d = details2.get(img.tag)!;
      assert.equal(d.created?.toISOString(), img.created?.toISOString());
      assert.equal(d.source, "cache");
      assert.equal(d.cachedFrom, "config-blob");
      assert.equal(d.digest, details.get(img.tag)?.digest);
    }
    await warm.flush();

    // someone pushes: a new tag, and `1.0.0` is moved to the newest build
    const [newest] = await seedImages(reg, [{ repository: "acme/app", tag: "2.0.0", created: hours(200) }]);
    await tagImage(reg, newest!, "1.0.0");
    const third = new RegistryClient({ cachePath });
    const list3 = await third.listTags(repo);
    const details3 = await third.describeTags(repo, { times: list3.tags, digests: [] });
    const c3 = third.counts();
    // Only what is new (#12): the new tag's manifest + config, no HEAD for the N known tags.
    assert.deepEqual([c3.manifestHead, c3.manifestGet, c3.blobGet], [0, 1, 1], JSON.stringify(c3));
    assert.equal(details3.get("2.0.0")?.created?.toISOString(), hours(200).toISOString());
    assert.equal(details3.get("1.0.1")?.source, "cache");
    await third.flush();

    // A day later every known tag's time to live has run out: the moved 1.0.0 is caught by its
    // HEAD, and its new digest's build time is already known (2.0.0 shares it).
    const dayLater = Date.now() + 24 * 3600_000 + 1000;
    const later = new RegistryClient({ cachePath, now: () => dayLater });
    const listL = await later.listTags(repo);
    const detailsL = await later.describeTags(repo, { times: listL.tags, digests: [] });
    const cL = later.counts();
    assert.deepEqual([cL.manifestHead, cL.manifestGet, cL.blobGet], [N + 1, 0, 0], JSON.stringify(cL));
    assert.equal(detailsL.get("1.0.0")?.digest, newest!.digest);
    assert.equal(detailsL.get("1.0.0")?.created?.toISOString(), hours(200).toISOString());
    await later.flush();

    // and once more: unchanged again → zero
    const fourth = new RegistryClient({ cachePath, now: () => dayLater + 1000 });
    const list4 = await fourth.listTags(repo);
    await fourth.describeTags(repo, { times: list4.tags, digests: list4.tags });
    const c4 = fourth.counts();
    assert.equal(c4.manifestGet + c4.manifestHead + c4.blobGet, 0, JSON.stringify(c4));
  });

  test("digests only: one HEAD per tag, no body", async () => {
    const c = new RegistryClient();
    const repo = { registry: reg.host, repository: "acme/app" };
    const d = await c.describeTags(repo, { times: [], digests: ["1.0.3", "1.0.4", "1.0.3"] });
    assert.equal(d.size, 2);
    assert.equal(d.get("1.0.3")?.created, undefined);
    assert.match(d.get("1.0.3")!.digest!, /^sha256:[0-9a-f]{64}$/);
    const n = c.counts();
    assert.equal(n.manifestHead, 2);
    assert.equal(n.manifestGet + n.blobGet, 0);
  });

  test("multi-arch index: digest of the index, time of the wanted platform's newest child", async () => {
    const repo = { registry: reg.host, repository: "acme/multi" };
    const idx = seeded.find((s) => s.tag === "v1")!;
    const amd = new RegistryClient();
    const d = (await amd.describeTags(repo, { times: ["v1"], digests: ["v1"] })).get("v1")!;
    assert.equal(d.digest, idx.digest, "all four Accept types → the index itself, not a child");
    assert.equal(d.created?.toISOString(), hours(1).toISOString());
    assert.equal(d.source, "config-blob");
    // index + amd64 child + its config
    assert.deepEqual([amd.counts().manifestGet, amd.counts().blobGet], [2, 1]);

    const arm = new RegistryClient({ platforms: ["linux/arm64"] });
    const a = (await arm.describeTags(repo, { times: ["v1"], digests: [] })).get("v1")!;
    assert.equal(a.created?.toISOString(), hours(5).toISOString());

    const both = new RegistryClient({ registries: [{ host: reg.host, platforms: ["linux/amd64", "linux/arm64"] }] });
    const b = (await both.describeTags(repo, { times: ["v1"], digests: [] })).get("v1")!;
    assert.equal(b.created?.toISOString(), hours(5).toISOString());

    const docker = seeded.find((s) => s.tag === "v1-docker")!;
    const dl = (await amd.describeTags(repo, { times: ["v1-docker"], digests: [] })).get("v1-docker")!;
    assert.equal(dl.digest, docker.digest, "Docker manifest list digest, not the amd64 child's");
    assert.equal(dl.created?.toISOString(), hours(2).toISOString());
  });

  test("annotation gives the time without a config blob request; Docker v2 manifests work", async () => {
    const c = new RegistryClient();
    const a = (
      await c.describeTags({ registry: reg.host, repository: "acme/annotated" }, { times: ["a"], digests: [] })
    ).get("a")!;
    assert.equal(a.source, "annotation");
    assert.equal(a.created?.toISOString(), hours(7).toISOString());
    assert.equal(c.counts().blobGet, 0);
    const d = (
      await c.describeTags({ registry: reg.host, repository: "acme/docker" }, { times: ["d"], digests: [] })
    ).get("d")!;
    assert.equal(d.created?.toISOString(), hours(9).toISOString());
    assert.equal(d.digest, seeded.find((s) => s.tag === "d")!.digest);
  });

  test("a vanished tag is absent; an unknown repository is a RegistryError naming registry, path and status", async () => {
    const c = new RegistryClient();
    const d = await c.describeTags(
      { registry: reg.host, repository: "acme/app" },
      { times: ["nope"], digests: ["nope2"] },
    );
    assert.equal(d.size, 0);
    await assert.rejects(c.listTags({ registry: reg.host, repository: "acme/missing" }), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 404);
      assert.equal(err.registry, reg.host);
      assert.equal(err.repository, "acme/missing");
      assert.match(
        err.message,
        new RegExp(`^registry ${reg.host.replace(/\./g, "\\.")}: GET /v2/acme/missing/tags/list → 404 Not Found`),
      );
      return true;
    });
  });
});

describe("htpasswd (bcrypt) registry", () => {
  let reg: RunningRegistry;
  const users = { alice: "correct horse, battery:staple" };

  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", users });
    await seedImages(reg, tagSeries("team/svc", 5, { newest: hours(50) }));
  });
  after(() => reg.stop());

  test("explicit username/password", async () => {
    const c = new RegistryClient({
      registries: [{ host: reg.host, username: "alice", password: users.alice }],
      env: {},
    });
    const repo = { registry: reg.host, repository: "team/svc" };
    const list = await c.listTags(repo);
    assert.equal(list.tags.length, 5);
    const d = await c.describeTags(repo, { times: ["1.0.4"], digests: [] });
    assert.equal(d.get("1.0.4")?.created?.toISOString(), hours(50).toISOString());
    assert.equal(c.counts().token, 0);
  });

  test("auths entry from DOCKER_CONFIG (base64 auth)", async () => {
    const dir = join(tmp, "docker-config-auths");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({
        auths: { [`http://${reg.host}`]: { auth: Buffer.from(`alice:${users.alice}`).toString("base64") } },
      }),
    );
    const c = new RegistryClient({ env: { DOCKER_CONFIG: dir } });
    const list = await c.listTags({ registry: reg.host, repository: "team/svc" });
    assert.equal(list.tags.length, 5);
  });

  test("wrong password: 401 RegistryError that does not contain the password", async () => {
    const c = new RegistryClient({
      registries: [{ host: reg.host, username: "alice", password: "s3cret-wrong" }],
      env: {},
    });
    await assert.rejects(c.listTags({ registry: reg.host, repository: "team/svc" }), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 401);
      assert.doesNotMatch(err.message, /s3cret-wrong/);
      assert.doesNotMatch(JSON.stringify(err), /s3cret-wrong/);
      assert.match(err.message, /401 Unauthorized/);
      return true;
    });
  });
});

describe("token auth registry", () => {
  let reg: RunningRegistry;

  before(async () => {
    reg = await startRegistry({
      auth: "token",
      users: { bob: "hunter2" },
      anonymousPull: false,
      identityTokens: { "refresh-abc": "bob" },
    });
    await seedImages(reg, [
      ...tagSeries("org/api", 8, { newest: hours(30) }),
      ...tagSeries("org/web", 3, { newest: hours(40) }),
    ]);
  });
  after(() => reg.stop());

  test("credential helper (credHelpers) on PATH: one token per repository scope, reused", async () => {
    const bin = join(tmp, "helper-bin");
    const cfg = join(tmp, "docker-config-helper");
    const log = join(tmp, "helper.log");
    await mkdir(bin, { recursive: true });
    await mkdir(cfg, { recursive: true });
    const helper = join(bin, "docker-credential-laminartest");
    await writeFile(
      helper,
      [
        "#!/bin/sh",
        "read -r url",
        `echo "$1 $url" >> "${log}"`,
        `if [ "$url" = "${reg.host}" ]; then`,
        `  printf '{"ServerURL":"%s","Username":"bob","Secret":"hunter2"}' "$url"`,
        "else",
        '  echo "credentials not found in native keychain"; exit 1',
        "fi",
      ].join("\n") + "\n",
    );
    await chmod(helper, 0o755);
    await writeFile(
      join(cfg, "config.json"),
      JSON.stringify({
        credHelpers: { [reg.host]: "laminartest" },
        credsStore: "does-not-exist",
        auths: { [reg.host]: { auth: Buffer.from("bob:wrong").toString("base64") } },
      }),
    );
    const c = new RegistryClient({ env: { DOCKER_CONFIG: cfg, PATH: `${bin}:${process.env.PATH}` } });
    const before = reg.tokenServer!.issued();
    const api = { registry: reg.host, repository: "org/api" };
    const list = await c.listTags(api);
    const d = await c.describeTags(api, { times: list.tags, digests: [] });
    assert.equal(d.get("1.0.7")?.created?.toISOString(), hours(30).toISOString());
    assert.equal(reg.tokenServer!.issued() - before, 1, "one token for org/api, reused for 17 requests");
    await c.listTags({ registry: reg.host, repository: "org/web" });
    assert.equal(reg.tokenServer!.issued() - before, 2);
    assert.equal(c.counts().token, 2);
    assert.equal(c.counts().ping, 1);
    assert.match(await readFile(log, "utf8"), new RegExp(`^get ${reg.host.replace(/\./g, "\\.")}$`, "m"));
    const last = reg.tokenServer!.requests.at(-1)!;
    assert.equal(last.username, "bob");
    assert.deepEqual(last.scopes, ["repository:org/web:pull"]);
  });

  test("identity token (OAuth2 refresh token) from auths", async () => {
    const cfg = join(tmp, "docker-config-identity");
    await mkdir(cfg, { recursive: true });
    await writeFile(
      join(cfg, "config.json"),
      JSON.stringify({ auths: { [reg.host]: { identitytoken: "refresh-abc" } } }),
    );
    const c = new RegistryClient({ env: { DOCKER_CONFIG: cfg } });
    const list = await c.listTags({ registry: reg.host, repository: "org/web" });
    assert.equal(list.tags.length, 3);
    assert.equal(reg.tokenServer!.requests.at(-1)!.method, "POST");
  });

  test("no credentials: clear 401 error", async () => {
    const c = new RegistryClient({ env: { DOCKER_CONFIG: join(tmp, "empty") } });
    await assert.rejects(c.listTags({ registry: reg.host, repository: "org/api" }), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.status, 401);
      assert.match(err.message, /no credentials found/);
      return true;
    });
  });
});

describe("token auth with anonymous pull", () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry({ auth: "token", anonymousPull: true, tokenExpiresIn: 60 });
    await seedImages(reg, tagSeries("public/tool", 4, { newest: hours(10) }));
  });
  after(() => reg.stop());

  test("anonymous token works and cold counts hold with auth", async () => {
    const c = new RegistryClient({ env: { DOCKER_CONFIG: join(tmp, "empty") } });
    const repo = { registry: reg.host, repository: "public/tool" };
    const list = await c.listTags(repo);
    const d = await c.describeTags(repo, { times: list.tags, digests: [] });
    assert.equal(d.size, 4);
    const n = c.counts();
    assert.deepEqual([n.ping, n.token, n.tagPages, n.manifestGet, n.blobGet, n.manifestHead], [1, 1, 1, 4, 4, 0]);
    assert.equal(reg.tokenServer!.requests.at(-1)!.username, undefined);
  });
});
