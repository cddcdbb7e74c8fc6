import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar, writeRepo } from "./helpers/cli.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const repo = (files: Record<string, string>): Promise<string> => writeRepo(files, "laminar-flux-");

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("Flux setters end to end: laminar apply against the real registry", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/web", tag: "1.0.0", created: day(1) },
      { repository: "acme/web", tag: "1.2.0", created: day(2) },
      { repository: "acme/web", tag: "1.3.0", created: day(3) },
      { repository: "acme/web", tag: "2.0.0", created: day(4) }, // outside ^1.0.0
      { repository: "acme/web", tag: "sha256-abc.sig", created: day(5) }, // Flux's default exclusion
    ]);
  });
  after(async () => {
    await registry?.stop();
  });

  it("moves HelmRelease and Deployment setters to the newest version their ImagePolicy allows", async () => {
    const h = registry.host;
    // The ImagePolicy sits beside flux-system, outside the files the config selects (as in
    // fluxcd/flux2-kustomize-helm-example); the rule's pattern does not cover the setters' tags.
    const objects = [
      "apiVersion: image.toolkit.fluxcd.io/v1beta2",
      "kind: ImageRepository",
      "metadata:",
      "  name: web",
      "  namespace: flux-system",
      "spec:",
      `  image: ${h}/acme/web`,
      "  interval: 1m",
      "---",
      "apiVersion: image.toolkit.fluxcd.io/v1beta2",
      "kind: ImagePolicy",
      "metadata:",
      "  name: web",
      "  namespace: flux-system",
      "spec:",
      "  imageRepositoryRef:",
      "    name: web",
      "  policy:",
      "    semver:",
      "      range: ^1.0.0",
      "",
    ].join("\n");
    const release = [
      "apiVersion: helm.toolkit.fluxcd.io/v2",
      "kind: HelmRelease",
      "metadata:",
      "  name: web",
      "spec:",
      "  values:",
      "    image:",
      `      repository: ${h}/acme/web # {"$imagepolicy": "flux-system:web:name"}`,
      '      tag: "1.0.0" # {"$imagepolicy": "flux-system:web:tag"}',
      "",
    ].join("\n");
    const deployment = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "spec:",
      "  template:",
      "    spec:",
      "      containers:",
      "        - name: web",
      `          image: ${h}/acme/web:1.2.0 # {"$imagepolicy": "flux-system:web"}`,
      "",
    ].join("\n");
    const dir = await repo({
      ".laminar.yaml": "updates:\n  - pattern: glob:never-*\n    files: [apps]\n",
      "clusters/production/image-automation.yaml": objects,
      "apps/web/release.yaml": release,
      "apps/web/deployment.yaml": deployment,
    });
    const env = { XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")) };

    const planned = laminar(["plan", "--dir", dir, "--json"], env);
    assert.equal(planned.status, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [c.file, c.line, c.form, c.from, c.to, c.rule, c.pattern]),
      [
        ["apps/web/deployment.yaml", 8, "flux-setter", "1.2.0", "1.3.0", "flux:flux-system/web", "semver:^1.0.0"],
        ["apps/web/release.yaml", 9, "flux-setter", "1.0.0", "1.3.0", "flux:flux-system/web", "semver:^1.0.0"],
      ],
    );

    const applied = laminar(["apply", "--dir", dir], env);
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal(
      await readFile(join(dir, "apps/web/release.yaml"), "utf8"),
      release.replace('tag: "1.0.0" #', 'tag: "1.3.0" #'),
    );
    assert.equal(
      await readFile(join(dir, "apps/web/deployment.yaml"), "utf8"),
      deployment.replace("acme/web:1.2.0 #", "acme/web:1.3.0 #"),
    );
    assert.equal(await readFile(join(dir, "clusters/production/image-automation.yaml"), "utf8"), objects);
  });
});
