/**
 * Gates on the chosen candidate and targeted runs (issue #15), against the real docker-registry:
 * the plan engine over RegistryClient, with request counts proving what a run costs.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { RegistryClient } from "../src/registry/index.js";
import { scanText } from "../src/scan/scan.js";
import { seedImages, type SeededImage } from "./helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";

const T0 = new Date("2026-03-01T10:00:00Z");
const hours = (h: number) => new Date(T0.getTime() + h * 3600_000);

let tmp: string;
before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "laminar-gates-test-"));
});
after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function files(path: string, text: string) {
  return [{ path, references: scanText(Buffer.from(text)) }];
}

describe("artifact tags", () => {
  let reg: RunningRegistry;
  let seeded: SeededImage[];
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    seeded = await seedImages(reg, [
      { repository: "acme/signed", tag: "build-1", created: hours(1) },
      { repository: "acme/signed", tag: "build-2", created: hours(2) },
    ]);
    // cosign's signature and attestation tags for build-2, pushed later (newer "builds" than any image).
    const hex = (seeded[1] as SeededImage).digest.slice("sha256:".length);
    await seedImages(reg, [
      { repository: "acme/signed", tag: `sha256-${hex}.sig`, created: hours(9) },
      { repository: "acme/signed", tag: `sha256-${hex}.att`, created: hours(10) },
      { repository: "acme/signed", tag: `sha256-${hex}`, created: hours(11) },
    ]);
  });
  after(() => reg.stop());

  test("a glob:* channel never moves to a .sig/.att/referrers tag, and asks no time for them", async () => {
    const config = parseConfig(`updates:\n  - pattern: "glob:*"\n    files: [deploy]\n`);
    const client = new RegistryClient({ cachePath: join(tmp, "artifact-cache.json") });
    const plan = await planUpdates({
      config,
      files: files("deploy/app.yaml", `image: ${reg.host}/acme/signed:build-1\n`),
      tags: client,
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.from, c.to]),
      [["build-1", "build-2"]],
    );
    // Two image tags described (manifest + config blob each), none of the three artifact tags.
    assert.deepEqual([client.counts().manifestGet, client.counts().blobGet], [2, 2]);
  });
});
