import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar } from "./helpers/cli.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

// Issue #10, "Proof: end to end on the real registry": a chart's values, a Kustomize overlay, a Flux
// HelmRelease and an Argo CD Application in one repository; the CLI's `apply` moves each, and
// `kubectl kustomize` renders the rewritten overlay with the new image.

/** Whether `kubectl` runs here; the render check is skipped (with this reason) when it does not. */
function kubectlMissing(): string | false {
  const r = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" });
  return r.error || r.status !== 0 ? "kubectl is not installed (Debian package `kubectl`)" : false;
}

/** The repository before `apply`; `after` is the same with only the tag bytes moved. */
function manifests(h: string): Record<string, { before: string; after: string }> {
  const pair = (text: string, moves: Array<[string, string]>) => ({
    before: text,
    after: moves.reduce((t, [from, to]) => {
      assert.equal(t.split(from).length, 2, `one ${from} in the fixture`);
      return t.replace(from, to);
    }, text),
  });
  return {
    ".laminar.yaml": pair(
      [
        "updates:",
        '  - pattern: "semver:^1"',
        '    files: ["**"]',
        `    images: ["${h}/acme/web"]`,
        // `1.9` / `1.10` are not semver (two parts): ordered by the minor number instead.
        "  - pattern: 'regex:1\\.(?<minor>\\d+)'",
        '    files: ["**"]',
        `    images: ["${h}/acme/chart"]`,
        "    sort: {by: numerical, capture: minor}",
        "",
      ].join("\n"),
      [],
    ),
    "charts/app/values.yaml": pair(
      [
        "# Default values for app.",
        "image:",
        `  registry: ${h}`,
        "  repository: acme/chart",
        "  tag: 1.9   # plain: 1.10 would read as the number 1.1",
        "  pullPolicy: IfNotPresent",
        "",
        "web:",
        "  image:",
        `    repository: ${h}/acme/web`,
        "    # quoted by the chart author",
        '    tag: "1.0.0"',
        "",
      ].join("\n"),
      [
        ["tag: 1.9 ", 'tag: "1.10" '],
        ['tag: "1.0.0"', 'tag: "1.2.0"'],
      ],
    ),
    "base/kustomization.yaml": pair("resources:\n  - deployment.yaml\n", []),
    "base/deployment.yaml": pair(
      [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: web",
        "spec:",
        "  selector:",
        "    matchLabels: {app: web}",
        "  template:",
        "    metadata:",
        "      labels: {app: web}",
        "    spec:",
        "      containers:",
        "        - name: web",
        "          image: web",
        "",
      ].join("\n"),
      [],
    ),
    "overlays/prod/kustomization.yaml": pair(
      [
        "apiVersion: kustomize.config.k8s.io/v1beta1",
        "kind: Kustomization",
        "resources:",
        "  - ../../base",
        "images:",
        "  - name: web # the base's placeholder",
        `    newName: ${h}/acme/web`,
        "    newTag: 1.0.0",
        "",
      ].join("\n"),
      [["newTag: 1.0.0", "newTag: 1.2.0"]],
    ),
    "flux/helmrelease.yaml": pair(
      [
        "apiVersion: helm.toolkit.fluxcd.io/v2",
        "kind: HelmRelease",
        "metadata:",
        "  name: web",
        "  namespace: apps",
        "spec:",
        "  interval: 10m",
        "  chart:",
        "    spec:",
        "      chart: web",
        "      sourceRef: {kind: HelmRepository, name: acme}",
        "  values:",
        `    image: {repository: ${h}/acme/web, tag: '1.0.0'}  # flow map`,
        "",
      ].join("\n"),
      [["tag: '1.0.0'", "tag: '1.2.0'"]],
    ),
    "argocd/application.yaml": pair(
      [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: Application",
        "metadata:",
        "  name: web",
        "spec:",
        "  source:",
        "    repoURL: https://charts.example.com",
        "    chart: web",
        "    targetRevision: 1.0.0",
        "    helm:",
        "      valuesObject:",
        "        image:",
        `          repository: ${h}/acme/web`,
        "          tag: 1.0.0",
        "      values: |",
        "        worker:",
        "          image:",
        `            repository: ${h}/acme/chart`,
        "            tag: 1.9",
        "      parameters:",
        "        - name: api.image.repository",
        `          value: ${h}/acme/web`,
        "        - name: api.image.tag",
        '          value: "1.0.0"',
        "",
      ].join("\n"),
      [
        ["tag: 1.0.0", "tag: 1.2.0"],
        ["tag: 1.9", 'tag: "1.10"'],
        ['value: "1.0.0"', 'value: "1.2.0"'],
      ],
    ),
  };
}

describe("structured image sites end to end (CLI, real registry, kubectl)", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(
      registry,
      ["1.0.0", "1.2.0", "2.0.0"]
        .map((tag) => ({ repository: "acme/web", tag }))
        .concat(["1.9", "1.10"].map((tag) => ({ repository: "acme/chart", tag }))),
    );
  });
  after(async () => {
    await registry?.stop();
  });

  it("plan reports each form at its tag value, apply moves only tag bytes, kubectl renders the overlay", async (t) => {
    const h = registry.host;
    const files = manifests(h);
    const dir = await mkdtemp(join(tmpdir(), "laminar-e2e-"));
    for (const [p, { before: text }] of Object.entries(files)) {
      await mkdir(join(dir, p, ".."), { recursive: true });
      await writeFile(join(dir, p), text);
    }
    const env = { XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")) };

    const planned = laminar(["plan", "--dir", dir, "--json"], env);
    assert.equal(planned.status, 0, planned.stderr);
    const plan = JSON.parse(planned.stdout);
    assert.deepEqual(plan.failures, []);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [
        c.file,
        c.line,
        c.column,
        c.form,
        c.image,
        c.from,
        c.to,
        c.quoted,
      ]),
      [
        ["argocd/application.yaml", 14, 16, "helm-values", `${h}/acme/web`, "1.0.0", "1.2.0", undefined],
        ["argocd/application.yaml", 19, 18, "helm-values", `${h}/acme/chart`, "1.9", "1.10", true],
        ["argocd/application.yaml", 24, 19, "argocd-parameters", `${h}/acme/web`, "1.0.0", "1.2.0", undefined],
        ["charts/app/values.yaml", 5, 8, "helm-values", `${h}/acme/chart`, "1.9", "1.10", true],
        ["charts/app/values.yaml", 12, 11, "helm-values", `${h}/acme/web`, "1.0.0", "1.2.0", undefined],
        ["flux/helmrelease.yaml", 13, 42 + h.length, "helm-values", `${h}/acme/web`, "1.0.0", "1.2.0", undefined],
        ["overlays/prod/kustomization.yaml", 8, 13, "kustomize", `${h}/acme/web`, "1.0.0", "1.2.0", undefined],
      ],
    );
    // The base's placeholder `image: web` is not an image Laminar was asked to move.
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, unknown>) => [u.file, u.line, u.reason]),
      [["base/deployment.yaml", 14, "image-not-selected"]],
    );

    const applied = laminar(["apply", "--dir", dir], env);
    assert.equal(applied.status, 0, applied.stderr);
    for (const [p, { after: text }] of Object.entries(files))
      assert.equal(await readFile(join(dir, p), "latin1"), text, p);
    // Nothing is left to move: the rewrite is what the registry offers.
    const again = JSON.parse(laminar(["plan", "--dir", dir, "--json"], env).stdout);
    assert.deepEqual(again.changes, []);

    const missing = kubectlMissing();
    if (missing) return t.skip(missing);
    const rendered = spawnSync("kubectl", ["kustomize", join(dir, "overlays/prod")], { encoding: "utf8" });
    assert.equal(rendered.status, 0, rendered.stderr);
    assert.match(rendered.stdout, /kind: Deployment/);
    const images = [...rendered.stdout.matchAll(/^\s*(?:- )?image: (\S+)$/gm)].map((m) => m[1]);
    assert.deepEqual(images, [`${h}/acme/web:1.2.0`]);
  });
});
