/**
 * `limits.candidates` bounds the build times fetched per run, not the channel's size: a channel
 * with more tags is learnt over several runs (`learning-build-times`), the cache keeping each
 * batch, and decided once every time is known; after that only new tags cost requests. Against the
 * real docker-registry, with request counts proving what each run costs.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import type { Plan } from "../src/plan/types.js";
import { MemoryTags } from "../src/registry/memory-tags.js";
import { RegistryClient } from "../src/registry/index.js";
import type { TagSource } from "../src/registry/types.js";
import { scanText } from "../src/scan/scan.js";
import { seedImages, tagSeries } from "./helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { startVendorApiFront } from "./helpers/registry/vendor-api-front.js";

const env = { DOCKER_CONFIG: "/nonexistent-laminar-docker-config" };
const NEWEST = new Date("2026-03-01T10:00:00Z");

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "laminar-candidate-limit-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function config(candidates?: number) {
  const limits = candidates === undefined ? "" : `limits:\n  candidates: ${candidates}\n`;
  return parseConfig(`updates:\n  - pattern: "glob:main-*"\n    files: [deploy]\n${limits}`);
}

/** One run as the CLI makes it: a fresh client over the shared cache file, planned, then saved. */
async function run(image: string, cachePath: string, current: string, candidates?: number) {
  const client = new RegistryClient({ cachePath, env });
  const text = `image: ${image}:${current}\n`;
  const plan = await planUpdates({
    config: config(candidates),
    files: [{ path: "deploy/app.yaml", references: scanText(Buffer.from(text)) }],
    tags: client,
  });
  await client.flush();
  const c = client.counts();
  return { plan, fetched: c.manifestGet + c.blobGet, heads: c.manifestHead, tagPages: c.tagPages, counts: c };
}

function outcome(plan: Plan): string {
  const change = plan.changes[0];
  if (change) return `move ${change.to}`;
  const u = plan.unchanged[0];
  return `${u?.reason}: ${u?.detail}`;
}

describe("limits.candidates: a large build-time channel is learnt over several runs", () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    await seedImages(reg, tagSeries("acme/app", 25, { prefix: "main-", newest: NEWEST }));
    await seedImages(reg, tagSeries("acme/big", 300, { prefix: "main-", newest: NEWEST }));
  });
  after(() => reg.stop());

  test("25 tags, limit 10: learning, learning, then the newest; then free; a new tag costs only itself", async () => {
    const cachePath = join(tmp, "learn-cache.json");
    const r1 = await run(`${reg.host}/acme/app`, cachePath, "main-3", 10);
    assert.equal(r1.plan.unchanged[0]?.reason, "learning-build-times", outcome(r1.plan));
    assert.match(
      String(r1.plan.unchanged[0]?.detail),
      /^asked 10 of 25 build times of .*acme\/app \(glob:main-\*\) this run \(limits\.candidates\); 15 left, about 2 more runs; raise limits\.candidates to finish in one run$/,
    );
    assert.equal(r1.fetched, 20, JSON.stringify(r1.counts)); // 10 manifests + 10 config blobs

    const r2 = await run(`${reg.host}/acme/app`, cachePath, "main-3", 10);
    assert.equal(r2.plan.unchanged[0]?.reason, "learning-build-times", outcome(r2.plan));
    assert.match(String(r2.plan.unchanged[0]?.detail), /^asked 10 of 15 build times .*; 5 left, about 1 more run;/);
    assert.equal(r2.fetched, 20, JSON.stringify(r2.counts));

    // The last 5 are within the limit: asked, and the channel decided.
    const r3 = await run(`${reg.host}/acme/app`, cachePath, "main-3", 10);
    assert.equal(outcome(r3.plan), "move main-24");
    assert.equal(r3.fetched, 10, JSON.stringify(r3.counts));

    const r4 = await run(`${reg.host}/acme/app`, cachePath, "main-3", 10);
    assert.equal(outcome(r4.plan), "move main-24");
    assert.deepEqual([r4.fetched, r4.heads], [0, 0], JSON.stringify(r4.counts));

    await seedImages(reg, [{ repository: "acme/app", tag: "main-25", created: new Date(NEWEST.getTime() + 3600_000) }]);
    const r5 = await run(`${reg.host}/acme/app`, cachePath, "main-24", 10);
    assert.equal(outcome(r5.plan), "move main-25");
    assert.equal(r5.fetched, 2, JSON.stringify(r5.counts)); // main-25's manifest and config blob only
  });

  test("300 times learnt with the limit raised: the default limit then decides and asks nothing", async () => {
    const cachePath = join(tmp, "raised-cache.json");
    const cold = await run(`${reg.host}/acme/big`, cachePath, "main-0", 1000);
    assert.equal(outcome(cold.plan), "move main-299");
    assert.equal(cold.fetched, 600, JSON.stringify(cold.counts));
    const warm = await run(`${reg.host}/acme/big`, cachePath, "main-0");
    assert.equal(outcome(warm.plan), "move main-299");
    assert.deepEqual([warm.fetched, warm.heads], [0, 0], JSON.stringify(warm.counts));
  });

  test("300 tags with the default limit: decided on the second run, at most 2 × 200 fetches per run", async () => {
    const cachePath = join(tmp, "default-cache.json");
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run(`${reg.host}/acme/big`, cachePath, "main-0");
      outcomes.push(outcome(r.plan).split(":")[0]!);
      assert.ok(r.fetched <= 400, JSON.stringify(r.counts));
    }
    assert.deepEqual(outcomes, ["learning-build-times", "move main-299", "move main-299"]);
  });

  test("semver and numerical channels are not bounded by limits.candidates (no build time needed)", async () => {
    const cachePath = join(tmp, "numerical-cache.json");
    const client = new RegistryClient({ cachePath, env });
    const cfg = parseConfig(
      `updates:\n  - pattern: "regex:^main-(?<n>\\\\d+)$"\n    sort: numerical\n    files: [deploy]\nlimits:\n  candidates: 10\n`,
    );
    const plan = await planUpdates({
      config: cfg,
      files: [{ path: "deploy/app.yaml", references: scanText(Buffer.from(`image: ${reg.host}/acme/big:main-3\n`)) }],
      tags: client,
    });
    assert.equal(outcome(plan), "move main-299");
    assert.equal(client.counts().manifestGet + client.counts().blobGet, 0);
  });
});

/** 25 `main-` builds of acme/app in `registry`, behind a Quay or Harbor tag API giving their push times. */
async function seededApiFront(registry: RunningRegistry, api: "quay" | "harbor") {
  const seeded = await seedImages(registry, tagSeries("acme/app", 25, { prefix: "main-", newest: NEWEST }));
  return startVendorApiFront({
    api,
    registryUrl: registry.url,
    tags: seeded.map((s, i) => ({
      repository: "acme/app",
      tag: s.tag,
      digest: s.digest,
      pushed: new Date(NEWEST.getTime() + i * 60_000),
    })),
  });
}

describe("limits.candidates and a timestamp API (Quay's tag API in front of the real registry)", () => {
  test("times come in API pages, not a fetch per tag: not bounded, decided in one run", async () => {
    const registry = await startRegistry({ auth: "none" });
    try {
      const front = await seededApiFront(registry, "quay");
      try {
        const client = new RegistryClient({ env, registries: [{ host: front.host, api: "quay" }] });
        const text = `image: ${front.host}/acme/app:main-3\n`;
        const plan = await planUpdates({
          config: config(10),
          files: [{ path: "deploy/app.yaml", references: scanText(Buffer.from(text)) }],
          tags: client,
        });
        assert.equal(outcome(plan), "move main-24");
        const c = client.counts();
        assert.equal(c.manifestGet + c.blobGet, 0, JSON.stringify(c));
        assert.ok(c.api >= 1, JSON.stringify(c));
      } finally {
        await front.close();
      }
    } finally {
      await registry.stop();
    }
  });
});

for (const api of ["quay", "harbor"] as const) {
  describe(`limits.candidates when the ${api} timestamp API fails (#12: the manifest fallback is bounded too)`, () => {
    let registry: RunningRegistry;
    let front: Awaited<ReturnType<typeof startVendorApiFront>>;
    before(async () => {
      registry = await startRegistry({ auth: api === "harbor" ? "htpasswd" : "none" });
      front = await seededApiFront(registry, api);
    });
    after(async () => {
      await front?.close();
      await registry?.stop();
    });

    /** One run with the API answering 500 to everything: a fresh client over the shared cache file. */
    async function failingRun(cachePath: string) {
      front.fail(500, 1000);
      const client = new RegistryClient({
        cachePath,
        env,
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxTotalWaitMs: 500 },
        log: { warn: () => {} },
        registries: [{ host: front.host, api, ...(registry.credentials ?? {}) }],
      });
      const apiBefore = front.apiRequests.length;
      try {
        const plan = await planUpdates({
          config: config(10),
          files: [
            {
              path: "deploy/app.yaml",
              references: scanText(
                Buffer.from(`image: ${front.host}/acme/app:main-3
`),
              ),
            },
          ],
          tags: client,
        });
        await client.flush();
        const c = client.counts();
        return { plan, fetched: c.manifestGet + c.blobGet, counts: c, apiAsked: front.apiRequests.length - apiBefore };
      } finally {
        front.fail(0, 0);
      }
    }

    test("25 tags, limit 10, API answering 500: at most 10 times per run from manifests, the failure named, then decided", async () => {
      const cachePath = join(tmp, `${api}-failing-cache.json`);
      const path =
        api === "quay" ? "/api/v1/repository/acme/app/tag/" : "/api/v2.0/projects/acme/repositories/app/artifacts";
      const failed = `timestamp API failed \\(registry ${front.host}: GET ${path.replace(/\./g, "\\.")} → 500 [^)]*\\)[^)]*\\), so build times come from manifests: `;

      const r1 = await failingRun(cachePath);
      assert.equal(r1.plan.unchanged[0]?.reason, "learning-build-times", outcome(r1.plan));
      assert.match(
        String(r1.plan.unchanged[0]?.detail),
        new RegExp(
          `^${failed}asked 10 of 25 build times of .*acme/app \\(glob:main-\\*\\) this run \\(limits\\.candidates\\); 15 left`,
        ),
      );
      assert.equal(r1.fetched, 20, JSON.stringify(r1.counts)); // 10 manifests + 10 config blobs, not 25 + 25
      // The failed API is asked once per run (with its retries), not again for the fallback.
      assert.ok(r1.apiAsked >= 1 && r1.apiAsked <= 5, String(r1.apiAsked));

      const r2 = await failingRun(cachePath);
      assert.equal(r2.plan.unchanged[0]?.reason, "learning-build-times", outcome(r2.plan));
      assert.match(String(r2.plan.unchanged[0]?.detail), new RegExp(`^${failed}asked 10 of 15 build times .*; 5 left`));
      assert.equal(r2.fetched, 20, JSON.stringify(r2.counts));

      // The last 5 are within the limit: fetched, and the channel decided on build times (API still down).
      const r3 = await failingRun(cachePath);
      assert.equal(outcome(r3.plan), "move main-24");
      assert.equal(r3.fetched, 10, JSON.stringify(r3.counts));
    });
  });
}

describe("limits.candidates with library tag sources", () => {
  const tags = Object.fromEntries(
    Array.from({ length: 5 }, (_, i) => [`main-${i}`, { created: `2026-03-01T0${i}:00:00Z` }]),
  );
  const files = [{ path: "deploy/app.yaml", references: scanText(Buffer.from("image: ghcr.io/acme/app:main-0\n")) }];

  test("MemoryTags learns like a registry client with its cache: a batch per run, newest names first", async () => {
    const memory = new MemoryTags({ "ghcr.io/acme/app": tags });
    const plans: Plan[] = [];
    for (let i = 0; i < 3; i++) plans.push(await planUpdates({ config: config(2), files, tags: memory }));
    assert.deepEqual(
      plans.map(outcome).map((o) => o.split(":")[0]),
      ["learning-build-times", "learning-build-times", "move main-4"],
    );
    assert.deepEqual(
      memory.asked.map((a) => a.request.times),
      [
        ["main-4", "main-3"],
        ["main-2", "main-1"],
        ["main-0", "main-1", "main-2", "main-3", "main-4"],
      ],
    );
  });

  test("a source that cannot say which times it holds (no timesToFetch): too-many-candidates, nothing asked", async () => {
    const memory = new MemoryTags({ "ghcr.io/acme/app": tags });
    const plain: TagSource = { listTags: (r) => memory.listTags(r), describeTags: (r, q) => memory.describeTags(r, q) };
    const plan = await planUpdates({ config: config(2), files, tags: plain });
    assert.equal(plan.unchanged[0]?.reason, "too-many-candidates");
    assert.deepEqual(memory.asked, []);
  });
});
