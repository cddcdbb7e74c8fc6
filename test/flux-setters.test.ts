import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { fluxExclusions, fluxTagPolicy } from "../src/policy/flux-policy.js";
import { PolicyError } from "../src/policy/policy.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { FluxSetterScan } from "../src/scan/flux-scan.js";
import { findSetterMarks } from "../src/scan/flux-setters.js";
import { scanText } from "../src/scan/scan.js";
import { scanFile } from "../src/scan/structured/index.js";
import { MemoryTags } from "./helpers/memory-tags.js";

/** The best tag of `tags` under a policy, the way the plan picks it (highest by `compare`). */
function best(policy: ReturnType<typeof fluxTagPolicy>, tags: string[]): string | undefined {
  const ok = tags.filter((t) => policy.matches(t));
  const compare = policy.compare as (a: string, b: string) => number;
  return ok.length ? ok.reduce((a, b) => (compare(b, a) > 0 ? b : a)) : undefined;
}

describe("Flux setter markers", () => {
  it("reads the policy, the field and the exact value span of each marker", () => {
    const text = [
      "spec:",
      "  containers:",
      '    - image: ghcr.io/acme/app:1.2.3 # {"$imagepolicy": "flux-system:app"}',
      "  values:",
      '    tag: "1.2.3"  # {"$imagepolicy":"flux-system:app:tag"}',
      '    repository: ghcr.io/acme/app # {"$imagepolicy": "flux-system:app:name"}',
      '    digest: sha256:abc # {"$imagepolicy": "apps:app:digest"}\r',
      '  - ghcr.io/acme/b:1 # {"$imagepolicy": "ns:b"}',
      '  bad: x # {"$imagepolicy": "only-one-part"}',
      '  other: y # {"$imagepolicy": "ns:p:bogus"}',
      '  glued: z#{"$imagepolicy": "ns:p"}',
    ].join("\n");
    const marks = findSetterMarks(text);
    assert.deepEqual(
      marks.map((m) => [m.namespace, m.name, m.field, m.value, m.style, m.line, m.column, text.slice(m.start, m.end)]),
      [
        ["flux-system", "app", "image", "ghcr.io/acme/app:1.2.3", "plain", 3, 14, "ghcr.io/acme/app:1.2.3"],
        ["flux-system", "app", "tag", "1.2.3", "double-quoted", 5, 11, "1.2.3"],
        ["flux-system", "app", "name", "ghcr.io/acme/app", "plain", 6, 17, "ghcr.io/acme/app"],
        ["apps", "app", "digest", "sha256:abc", "plain", 7, 13, "sha256:abc"],
        ["ns", "b", "image", "ghcr.io/acme/b:1", "plain", 8, 5, "ghcr.io/acme/b:1"],
      ],
    );
  });

  it("finds nothing (and parses nothing) in a file without a marker", () => {
    assert.deepEqual(findSetterMarks("image: ghcr.io/acme/app:1 # a comment\n"), []);
  });
});

describe("ImagePolicy → tag policy", () => {
  const tags = ["1.0.0", "1.2.0", "v1.4.2", "1.5", "1.6.0-rc.1", "2.0.0", "main-abc-100", "main-def-99", "latest"];

  it("semver range: Masterminds partial versions and `v`, commas as AND, prereleases left out", () => {
    const p = fluxTagPolicy({ policy: { semver: { range: ">=1.0.0, <2.0.0" } } });
    assert.equal(p.source, "semver:>=1.0.0, <2.0.0");
    assert.equal(best(p, tags), "1.5");
    assert.equal(p.matches("2.0.0"), false);
    assert.equal(p.matches("1.6.0-rc.1"), false);
    assert.equal(
      best(fluxTagPolicy({ policy: { semver: { range: "^1.0.0" } } }), ["1.0.0", "v1.4.2", "1.2.0"]),
      "v1.4.2",
    );
  });

  it("numerical with filterTags.pattern and extract orders by the extracted value", () => {
    const spec = {
      filterTags: { pattern: "^main-[a-f0-9]+-(?P<ts>[0-9]+)", extract: "$ts" },
      policy: { numerical: { order: "asc" } },
    };
    const p = fluxTagPolicy(spec);
    assert.equal(p.source, "numerical:asc filter ^main-[a-f0-9]+-(?P<ts>[0-9]+) extract $ts");
    // By the number, not the text: 100 > 99.
    assert.equal(best(p, tags), "main-abc-100");
    const desc = fluxTagPolicy({ ...spec, policy: { numerical: { order: "desc" } } });
    assert.equal(best(desc, tags), "main-def-99");
    // `${ts}` is the same template.
    assert.equal(
      best(fluxTagPolicy({ ...spec, filterTags: { ...spec.filterTags, extract: "${ts}" } }), tags),
      "main-abc-100",
    );
  });

  it("alphabetical: asc selects Z, desc selects A (Flux API reference)", () => {
    const abc = ["RELEASE.2024-01-01", "RELEASE.2025-06-30", "RELEASE.2023-12-31"];
    const asc = fluxTagPolicy({ filterTags: { pattern: "^RELEASE\\." }, policy: { alphabetical: {} } });
    assert.equal(best(asc, abc), "RELEASE.2025-06-30");
    const desc = fluxTagPolicy({ filterTags: { pattern: "^RELEASE\\." }, policy: { alphabetical: { order: "desc" } } });
    assert.equal(best(desc, abc), "RELEASE.2023-12-31");
    assert.equal(asc.matches("latest"), false);
  });

  it("rejects what Flux would reject; RE2 runs patterns that would hang a backtracking matcher (#13)", () => {
    assert.throws(() => fluxTagPolicy({}), PolicyError);
    assert.throws(() => fluxTagPolicy({ policy: { semver: { range: "not a range" } } }), PolicyError);
    assert.throws(() => fluxTagPolicy({ policy: { numerical: { order: "up" } } }), PolicyError);
    assert.throws(
      () => fluxTagPolicy({ filterTags: { pattern: "^(a)\\1$" }, policy: { alphabetical: {} } }),
      /filterTags.pattern: invalid regex .*RE2 syntax/,
    );
    const nested = fluxTagPolicy({ filterTags: { pattern: "^(a+)+$" }, policy: { alphabetical: {} } });
    assert.equal(nested.matches(`${"a".repeat(30_000)}!`), false);
    assert.equal(nested.matches("aaa"), true);
  });

  it("exclusionList: Flux's default leaves out cosign `.sig` tags; a given list replaces it", () => {
    const def = fluxExclusions(undefined);
    assert.equal(
      def.some((x) => x.matches("sha256-abc.sig")),
      true,
    );
    assert.equal(
      def.some((x) => x.matches("1.0.0")),
      false,
    );
    const given = fluxExclusions(["^1\\.2"]);
    assert.deepEqual(
      ["1.2.0", "sha256-abc.sig"].map((t) => given.some((x) => x.matches(t))),
      [true, false],
    );
  });
});

// Modelled on fluxcd/flux2-kustomize-helm-example (a HelmRelease's values) and stefanprodan/podinfo
// (kustomize/deployment.yaml), with the setters Flux's image-update guide adds.
const imageObjects = `---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
  exclusionList:
    - "^6\\\\.9"
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: flux-system
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
    semver:
      range: ^6.0.0
`;
const release = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: podinfo
spec:
  values:
    image:
      repository: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:podinfo:name"}
      tag: 6.5.0 # {"$imagepolicy": "flux-system:podinfo:tag"}
    redis:
      repository: public.ecr.aws/docker/library/redis
      tag: 7.0.0 # {"$imagepolicy": "flux-system:redis:tag"}
`;
const deployment = `apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.5.0 # {"$imagepolicy": "flux-system:podinfo"}
        - name: sidecar
          image: ghcr.io/acme/other:6.5.0 # {"$imagepolicy": "flux-system:podinfo"}
`;

/** The files as the repository scan hands them on: inline sites, then setters resolved repository-wide. */
function scanFluxRepo(files: Record<string, string>) {
  const flux = new FluxSetterScan();
  const scanned = Object.entries(files).map(([path, text]) => {
    flux.note(path, Buffer.from(text, "latin1"));
    return { path, references: scanFile(text, path).sites };
  });
  return flux.resolve(scanned.filter((f) => f.references.length));
}

describe("Flux setters in the plan", () => {
  const tags = new MemoryTags({
    "ghcr.io/stefanprodan/podinfo": {
      "6.5.0": {},
      "6.9.0": {}, // excluded by the ImageRepository
      "6.8.1": {},
      "7.0.0": {}, // outside ^6.0.0
      "sha256-abc.sig": {},
    },
  });
  // The rules select the files; their pattern says nothing about the setters' images.
  const config = parseConfig(`
updates:
  - pattern: glob:develop-*
    files: [apps, clusters]
`);
  const files = {
    "clusters/flux-system/image-automation.yaml": imageObjects,
    "apps/base/podinfo/release.yaml": release,
    "apps/base/podinfo/deployment.yaml": deployment,
  };

  it("moves each setter by its ImagePolicy and rewrites only the tag bytes, comments kept", async () => {
    const scanned = scanFluxRepo(files);
    const plan = await planUpdates({ config, files: scanned, tags });
    assert.deepEqual(
      plan.changes.map((c) => [c.file, c.line, c.form, c.image, c.from, c.to, c.rule, c.pattern]),
      [
        [
          "apps/base/podinfo/deployment.yaml",
          8,
          "flux-setter",
          "ghcr.io/stefanprodan/podinfo",
          "6.5.0",
          "6.8.1",
          "flux:flux-system/podinfo",
          "semver:^6.0.0",
        ],
        [
          "apps/base/podinfo/release.yaml",
          10,
          "flux-setter",
          "ghcr.io/stefanprodan/podinfo",
          "6.5.0",
          "6.8.1",
          "flux:flux-system/podinfo",
          "semver:^6.0.0",
        ],
      ],
    );
    const edits = (file: string) => plan.changes.filter((c) => c.file === file).flatMap((c) => c.edits);
    const path = "apps/base/podinfo/release.yaml";
    assert.equal(
      applyEdits(Buffer.from(release, "latin1"), edits(path)).toString("latin1"),
      release.replace(
        'tag: 6.5.0 # {"$imagepolicy": "flux-system:podinfo:tag"}',
        'tag: 6.8.1 # {"$imagepolicy": "flux-system:podinfo:tag"}',
      ),
    );
    assert.equal(
      applyEdits(Buffer.from(deployment, "latin1"), edits("apps/base/podinfo/deployment.yaml")).toString("latin1"),
      deployment.replace("podinfo:6.5.0 #", "podinfo:6.8.1 #"),
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.file, u.line, u.form, u.reason, u.detail]),
      [
        [
          "apps/base/podinfo/deployment.yaml",
          10,
          "flux-setter",
          "setter-not-applied",
          "ImagePolicy flux-system/podinfo follows ghcr.io/stefanprodan/podinfo, not ghcr.io/acme/other; Laminar moves tags, never names",
        ],
        [
          path,
          9,
          "flux-setter",
          "setter-not-applied",
          "name setters are not applied; Laminar moves tags (ImagePolicy flux-system/podinfo)",
        ],
        [path, 13, "flux-setter", "no-policy", "ImagePolicy flux-system/redis not found in the repository"],
        // The ImageRepository's own `image:` is a name without a tag: the inline scanner reports it as ever.
        ["clusters/flux-system/image-automation.yaml", 8, "inline", "no-tag", "no tag (docker would pull `latest`)"],
      ],
    );
  });

  it("a setter in a file no rule selects stays with `no-rule`", async () => {
    const only = parseConfig(`
updates:
  - pattern: glob:develop-*
    files: [somewhere-else]
`);
    const plan = await planUpdates({ config: only, files: scanFluxRepo(files), tags });
    assert.equal(plan.changes.length, 0);
    assert.ok(plan.unchanged.length > 0 && plan.unchanged.every((u) => u.reason === "no-rule"));
  });
});

describe("Flux setters: numerical policies, pinned digests, objects without a namespace", () => {
  const D = (c: string) => `sha256:${c.repeat(64)}`;
  const tags = new MemoryTags({
    "docker.io/acme/api": {
      "main-aaa-100": { digest: D("1") },
      "main-bbb-99": { digest: D("2") },
      "main-ccc-1000": { digest: D("3") },
      "pr-7-2000": { digest: D("4") },
    },
  });
  const config = parseConfig("updates:\n  - pattern: glob:x-*\n    files: [.]\n");
  // Written without metadata.namespace (kustomize sets it): matches the setter's namespace.
  const objects = [
    "apiVersion: image.toolkit.fluxcd.io/v1",
    "kind: ImageRepository",
    "metadata: {name: api}",
    "spec: {image: acme/api}",
    "---",
    "apiVersion: image.toolkit.fluxcd.io/v1",
    "kind: ImagePolicy",
    "metadata: {name: api}",
    "spec:",
    "  imageRepositoryRef: {name: api}",
    "  filterTags:",
    "    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'",
    "    extract: '$ts'",
    "  policy:",
    "    numerical: {order: asc}",
    "",
  ].join("\n");
  const app = `image: acme/api:main-aaa-100@${D("1")} # {"$imagepolicy": "apps:api"}\n`;

  it("picks by the extracted number and moves the pinned digest with the tag", async () => {
    const plan = await planUpdates({
      config,
      files: scanFluxRepo({ "policies.yaml": objects, "app.yaml": app }),
      tags,
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.file, c.from, c.to, c.toDigest, c.rule, c.pattern]),
      [
        [
          "app.yaml",
          "main-aaa-100",
          "main-ccc-1000",
          D("3"),
          "flux:apps/api",
          "numerical:asc filter ^main-[a-f0-9]+-(?P<ts>[0-9]+) extract $ts",
        ],
      ],
    );
    const change = plan.changes[0];
    assert.ok(change);
    assert.equal(
      applyEdits(Buffer.from(app, "latin1"), change.edits).toString("latin1"),
      `image: acme/api:main-ccc-1000@${D("3")} # {"$imagepolicy": "apps:api"}\n`,
    );
  });

  it("an ImagePolicy Laminar cannot translate leaves its setters with `no-policy` and the error", async () => {
    const bad = objects.replace("numerical: {order: asc}", "numerical: {order: upward}");
    const plan = await planUpdates({ config, files: scanFluxRepo({ "policies.yaml": bad, "app.yaml": app }), tags });
    assert.deepEqual(
      plan.unchanged.filter((u) => u.form === "flux-setter").map((u) => [u.reason, u.detail]),
      [
        [
          "no-policy",
          'ImagePolicy apps/api (policies.yaml:6): policy.numerical.order must be asc or desc, not "upward"',
        ],
      ],
    );
  });

  it("an ImagePolicy file that is not valid YAML is named in the `no-policy` detail", async () => {
    const broken = objects.replace("  imageRepositoryRef: {name: api}", "  imageRepositoryRef: {name: api\n   oops: [");
    const plan = await planUpdates({ config, files: scanFluxRepo({ "policies.yaml": broken, "app.yaml": app }), tags });
    const setter = plan.unchanged.find((u) => u.form === "flux-setter");
    assert.equal(setter?.reason, "no-policy");
    assert.match(
      setter?.detail ?? "",
      /^ImagePolicy apps\/api not found in the repository \(not valid YAML: policies\.yaml:\d+ /,
    );
  });

  it("a :tag setter on template text or on a value that is not a tag says which", async () => {
    const text = [
      'tag: "{{ .Values.tag }}" # {"$imagepolicy": "apps:api:tag"}',
      `tag: main-aaa-100@${D("1")} # {"$imagepolicy": "apps:api:tag"}`,
      "",
    ].join("\n");
    const plan = await planUpdates({ config, files: scanFluxRepo({ "policies.yaml": objects, "v.yaml": text }), tags });
    assert.deepEqual(
      plan.unchanged.filter((u) => u.file === "v.yaml").map((u) => [u.line, u.form, u.reason, u.detail]),
      [
        [1, "flux-setter", "templated", 'the tag "{{ .Values.tag }}" is template text; only a person can move it'],
        [
          2,
          "flux-setter",
          "setter-not-applied",
          `"main-aaa-100@${D("1")}" is not a tag; a :tag setter marks a tag value (ImagePolicy apps/api)`,
        ],
      ],
    );
  });

  it("a whole-reference setter vouches for a value the inline scanner passes over", async () => {
    const nginxObjects = objects
      .replace("spec: {image: acme/api}", "spec: {image: nginx}")
      .replace(/ {2}filterTags:\n.*\n.*\n/, "")
      .replace("numerical: {order: asc}", "semver: {range: '1.25.x'}");
    // `sidecarRef` is not an image-ish key and `nginx:1.25.0` has no `/`: only the marker says it is an image.
    const text = 'sidecarRef: nginx:1.25.0 # {"$imagepolicy": "apps:api"}\n';
    const nginx = new MemoryTags({ "docker.io/library/nginx": { "1.25.0": {}, "1.25.4": {}, "1.27.0": {} } });
    assert.deepEqual(scanText(text), []);
    const plan = await planUpdates({
      config,
      files: scanFluxRepo({ "policies.yaml": nginxObjects, "sidecar.yaml": text }),
      tags: nginx,
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.file, c.line, c.column, c.image, c.from, c.to, c.pattern]),
      [["sidecar.yaml", 1, 13, "nginx", "1.25.0", "1.25.4", "semver:1.25.x"]],
    );
    assert.equal(
      applyEdits(Buffer.from(text, "latin1"), plan.changes[0]?.edits ?? []).toString("latin1"),
      text.replace("1.25.0", "1.25.4"),
    );
  });
});
