/**
 * Issue #14 end to end on the real registry through the real CLI: `minAge`, rollbacks respected and
 * promotions with soak times measured from real git histories whose commit dates the tests set.
 * Times are placed relative to the run's start (builds and commits "5 hours ago"); assertions only
 * compare against those seeded times, never against the wall clock.
 */
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar, writeRepo } from "./helpers/cli.js";
import { parseConfig } from "../src/config/parse.js";
import { ConfigError } from "../src/config/errors.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const HOUR = 3_600_000;
const start = Date.now();
const ago = (hours: number): Date => new Date(Math.floor((start - hours * HOUR) / 1000) * 1000);

describe("minAge on an update rule", () => {
  let registry: RunningRegistry;
  let cacheHome: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: ago(72) },
      { repository: "acme/app", tag: "develop-2", created: ago(5) },
      { repository: "acme/app", tag: "develop-3", created: ago(0.5) },
      { repository: "acme/lib", tag: "1.0.0", created: ago(72) },
      { repository: "acme/lib", tag: "1.1.0", created: ago(1) },
    ]);
    cacheHome = await mkdtemp(join(tmpdir(), "laminar-minage-cache-"));
  });
  after(async () => registry?.stop());

  it("skips builds younger than minAge, says when the newest becomes eligible, and asks nothing more when warm", async () => {
    const h = registry.host;
    const dir = await writeRepo({
      ".laminar.yaml": `updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n    minAge: 2h\n  - pattern: "semver:^1"\n    files: [lib]\n    minAge: 1d\n`,
      "k8s/a.yaml": `image: ${h}/acme/app:develop-1\n`,
      "k8s/b.yaml": `image: ${h}/acme/app:develop-2\n`,
      "lib/c.yaml": `image: ${h}/acme/lib:1.0.0\n`,
    });
    const env = { XDG_CACHE_HOME: cacheHome };
    const r = laminar(["plan", "--dir", dir, "--json"], env);
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [c.file, c.from, c.to]),
      [["k8s/a.yaml", "develop-1", "develop-2"]],
      "develop-3 (30 minutes old) is not taken; develop-2 (5 hours) is",
    );
    const eligible = new Date(ago(0.5).getTime() + 2 * HOUR).toISOString();
    const libEligible = new Date(ago(1).getTime() + 24 * HOUR).toISOString();
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, unknown>) => [u.file, u.tag, u.reason, u.detail]),
      [
        [
          "k8s/b.yaml",
          "develop-2",
          "too-new",
          `newest candidate develop-3 was built ${ago(0.5).toISOString()}; minAge 2h: eligible from ${eligible}`,
        ],
        [
          "lib/c.yaml",
          "1.0.0",
          "too-new",
          `newest candidate 1.1.0 was built ${ago(1).toISOString()}; minAge 1d: eligible from ${libEligible}`,
        ],
      ],
    );
    const text = laminar(["plan", "--dir", dir], env);
    assert.match(text.stdout, /too-new/);

    // Warm: the times are cached, so minAge costs no manifest or blob request.
    const warm = JSON.parse(laminar(["plan", "--dir", dir, "--json"], env).stdout);
    assert.equal(warm.requests.manifestGet + warm.requests.manifestHead + warm.requests.blobGet, 0);
    assert.deepEqual(
      warm.unchanged.map((u: Record<string, unknown>) => u.reason),
      ["too-new", "too-new"],
    );
  });

  it("a malformed minAge is a config error naming file, line and key", () => {
    assert.throws(
      () => parseConfig(`updates:\n  - pattern: glob:*\n    files: [k8s]\n    minAge: 2 hours\n`),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.line === 4 &&
        e.key === "updates[0].minAge" &&
        /"2 hours" is not a duration/.test(e.message),
    );
  });
});
