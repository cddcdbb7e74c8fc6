/**
 * Quay's and Harbor's timestamp APIs (issue #11), served in front of the real CNCF registry: the
 * push times come from one API page instead of a manifest and a config blob per tag, the plan's
 * source says so, and a failing API falls back to the manifests with a named warning.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RegistryClient } from "../src/registry/index.js";
import { seedImages, type SeededImage } from "./helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { startVendorApiFront, type VendorApiFront, type VendorTag } from "./helpers/registry/vendor-api-front.js";

const built = (i: number) => new Date(Date.UTC(2026, 9, 1 + i));
/** Push times differ from build times, so the test sees which one was used. */
const pushed = (i: number) => new Date(Date.UTC(2026, 10, 1 + i, 12));
const TAGS = Array.from({ length: 6 }, (_, i) => `v1.${i}`);

for (const api of ["quay", "harbor"] as const) {
  describe(`${api} timestamp API in front of the real registry`, () => {
    let registry: RunningRegistry;
    let front: VendorApiFront;
    let seeded: SeededImage[];
    const repo = "acme/app";
    before(async () => {
      registry = await startRegistry({ auth: api === "harbor" ? "htpasswd" : "none" });
      seeded = await seedImages(
        registry,
        TAGS.map((tag, i) => ({ repository: repo, tag, created: built(i) })),
      );
      const tags: VendorTag[] = seeded.map((s, i) => ({
        repository: repo,
        tag: s.tag,
        digest: s.digest,
        pushed: pushed(i),
      }));
      front = await startVendorApiFront({ api, registryUrl: registry.url, tags });
    });
    after(async () => {
      await front?.close();
      await registry?.stop();
    });

    const client = (setting: "none" | "quay" | "harbor", warn?: (m: string) => void) =>
      new RegistryClient({
        env: {},
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxTotalWaitMs: 500 },
        ...(warn ? { log: { warn } } : {}),
        registries: [{ host: front.host, api: setting, ...(registry.credentials ?? {}) }],
      });
    const ref = () => ({ registry: front.host, repository: repo });

    test(`times and digests from the ${api} API: fewer requests than the manifest path, source recorded`, async () => {
      const generic = client("none");
      await generic.listTags(ref());
      const viaManifests = await generic.describeTags(ref(), { times: TAGS, digests: [] });
      assert.equal(viaManifests.get("v1.3")?.source, "config-blob");
      const genericCounts = generic.counts();

      const seen = front.apiRequests.length;
      const c = client(api);
      await c.listTags(ref());
      const d = await c.describeTags(ref(), { times: TAGS, digests: [] });
      for (const [i, s] of seeded.entries()) {
        const got = d.get(s.tag);
        assert.equal(got?.source, api === "quay" ? "quay-tag-api" : "harbor-api", s.tag);
        assert.equal(got?.created?.getTime(), pushed(i).getTime(), s.tag);
        assert.equal(got?.digest, s.digest, s.tag);
      }
      const counts = c.counts();
      assert.equal(counts.api, 1, "one API page for six tags");
      assert.equal(counts.manifestGet + counts.manifestHead + counts.blobGet, 0);
      const total = (x: typeof counts) => x.manifestGet + x.manifestHead + x.blobGet + x.api;
      assert.ok(
        total(counts) < total(genericCounts),
        `API path ${JSON.stringify(counts)} vs manifest path ${JSON.stringify(genericCounts)}`,
      );
      const call = front.apiRequests.slice(seen);
      assert.equal(call.length, 1);
      if (api === "quay")
        assert.match(call[0]!.url, /^\/api\/v1\/repository\/acme\/app\/tag\/\?onlyActiveTags=true&limit=100&page=1$/);
      else {
        assert.match(
          call[0]!.url,
          /^\/api\/v2\.0\/projects\/acme\/repositories\/app\/artifacts\?with_tag=true&page=1&page_size=100$/,
        );
        // Harbor takes the registry's own username and password.
        const { username, password } = registry.credentials!;
        assert.equal(call[0]!.authorization, `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`);
      }
    });

    test(`the ${api} API failing: named warning, build times from the manifests`, async () => {
      front.fail(503, 100);
      try {
        const warnings: string[] = [];
        const c = client(api, (m) => warnings.push(m));
        await c.listTags(ref());
        const d = await c.describeTags(ref(), { times: ["v1.2"], digests: [] });
        assert.equal(d.get("v1.2")?.source, "config-blob");
        assert.equal(d.get("v1.2")?.created?.getTime(), built(2).getTime());
        assert.equal(warnings.length, 1, warnings.join("\n"));
        const path =
          api === "quay" ? "/api/v1/repository/acme/app/tag/" : "/api/v2.0/projects/acme/repositories/app/artifacts";
        assert.match(
          warnings[0]!,
          new RegExp(
            `^registry ${front.host}: GET ${path.replace(/\./g, "\\.")} → 503 Service Unavailable \\(gave up after 5 attempts, [\\d.]+ s waiting\\); using manifests instead$`,
          ),
        );
        assert.ok(c.counts().manifestGet >= 1 && c.counts().blobGet >= 1);
      } finally {
        front.fail(0, 0);
      }
    });
  });
}
