import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { parseImageReference } from "../src/reference/parse.js";
import { RegistryError, type DescribeRequest, type RepositoryRef, type TagDetails } from "../src/registry/types.js";
import { planToJson } from "../src/report/format.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanText } from "../src/scan/scan.js";
import type { ImageSite } from "../src/scan/site.js";
import { MemoryTags } from "./helpers/memory-tags.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const tags = new MemoryTags(
  {
    "ghcr.io/acme/app": {
      "develop-aaa": { created: "2026-11-01T00:00:00Z", digest: D("1") },
      "develop-bbb": { created: "2026-11-03T00:00:00Z", digest: D("2") },
      "develop-ccc": { created: "2026-11-02T00:00:00Z", digest: D("3") },
      "develop-bad": { created: "2026-11-09T00:00:00Z", digest: D("4") },
      latest: { created: "2026-11-10T00:00:00Z", digest: D("5") },
      "master-1": { created: "2026-11-05T00:00:00Z", digest: D("6") },
      "1.2.0": { created: "2026-10-01T00:00:00Z" },
      "1.3.1": { created: "2026-09-01T00:00:00Z" },
      "v1.4.0": { created: "2026-08-01T00:00:00Z" },
      "2.0.0": { created: "2026-12-01T00:00:00Z" },
    },
    "ghcr.io/acme/old": {
      "develop-zzz": { created: "2026-01-01T00:00:00Z" },
      "develop-yyy": { created: "2025-01-01T00:00:00Z" },
    },
    "docker.io/library/nginx": { "1.25.0": {}, "1.27.1": {} },
  },
  { "ghcr.io/acme/broken": 500 },
);

const config = parseConfig(`
updates:
  - pattern: glob:develop-*
    files: [dev]
    exclude: [develop-bad]
  - pattern: "semver:^1.2"
    files: [prod]
  - pattern: glob:master-*
    files: [dev]
`);

function scanned(path: string, text: string) {
  return { path, references: scanText(Buffer.from(text)) };
}

describe("planUpdates", async () => {
  const devText = [
    "image: ghcr.io/acme/app:develop-aaa", // → develop-bbb (newest build; develop-bad excluded; latest never)
    "also: ghcr.io/acme/app:master-1", // master channel: already newest
    `pinned: ghcr.io/acme/app:develop-ccc@${D("3")}`, // → develop-bbb with its digest
    "old: ghcr.io/acme/old:develop-yyy", // → develop-zzz
    "older: ghcr.io/acme/old:develop-zzz", // up to date
    "other: ghcr.io/acme/app:feature-x", // not in any channel
    "image: nginx", // no tag
    "x: ghcr.io/acme/broken:develop-1", // registry error, isolated
    "gone: ghcr.io/acme/missing:develop-1", // 404
  ].join("\n");
  const files = [
    scanned("dev/app.yaml", devText),
    scanned("prod/app.yaml", 'image: ghcr.io/acme/app:1.2.0\nweb: {image: "nginx:1.25.0"}\n'),
    scanned("docs/readme.txt", "see ghcr.io/acme/app:develop-aaa\n"),
  ];
  const plan = await planUpdates({ config, files, tags });
  const change = (line: number, file = "dev/app.yaml") => plan.changes.find((c) => c.file === file && c.line === line);
  const left = (line: number, file = "dev/app.yaml") => plan.unchanged.find((c) => c.file === file && c.line === line);

  it("moves glob channels to the newest build, skipping excluded tags and latest", () => {
    const c = change(1);
    assert.ok(c);
    assert.deepEqual(
      [c.image, c.from, c.to, c.rule, c.pattern, c.buildTime, c.timeSource, c.previousBuildTime],
      [
        "ghcr.io/acme/app",
        "develop-aaa",
        "develop-bbb",
        "updates[0]",
        "glob:develop-*",
        "2026-11-03T00:00:00.000Z",
        "config-blob",
        "2026-11-01T00:00:00.000Z",
      ],
    );
  });
  it("follows the channel of the current tag", () => {
    assert.equal(left(2)?.reason, "up-to-date");
    assert.equal(left(2)?.rule, "updates[2]");
  });
  it("updates the digest of tag@digest references", () => {
    const c = change(3);
    assert.equal(c?.toDigest, D("2"));
    assert.equal(c?.fromDigest, D("3"));
    assert.equal(c?.edits.length, 2);
  });
  it("explains every reference it leaves alone", () => {
    assert.equal(change(4)?.to, "develop-zzz");
    assert.equal(left(5)?.reason, "up-to-date");
    assert.equal(left(6)?.reason, "not-in-channel");
    assert.match(left(6)!.detail, /feature-x matches none of glob:develop-\*, glob:master-\*/);
    assert.equal(left(7)?.reason, "no-tag");
    assert.equal(left(8)?.reason, "registry-error");
    assert.match(left(8)!.detail, /→ 500/);
    assert.equal(left(9)?.reason, "registry-error");
    assert.equal(left(1, "docs/readme.txt")?.reason, "no-rule");
    assert.equal(plan.failures.length, 2);
    assert.equal(plan.changes.length + plan.unchanged.length, 12);
    assert.equal(plan.changes.length, 5);
  });
  it("semver picks the highest version in range, v prefix included", () => {
    const c = change(1, "prod/app.yaml");
    assert.equal(c?.to, "v1.4.0");
    assert.equal(change(2, "prod/app.yaml")?.to, "1.27.1");
    assert.equal(change(2, "prod/app.yaml")?.image, "nginx");
  });
  it("asks each repository once, and only for candidates and current tags", () => {
    assert.equal(tags.listed.filter((r) => r === "ghcr.io/acme/app").length, 1);
    const asked = tags.asked.filter((a) => a.repo === "ghcr.io/acme/app");
    const times = asked.flatMap((a) => a.request.times).sort();
    assert.deepEqual(times, ["develop-aaa", "develop-bbb", "develop-ccc", "master-1"]);
  });
  it("edits rewrite exactly the tag and digest", () => {
    const src = Buffer.from(devText);
    const out = applyEdits(
      src,
      plan.changes.filter((c) => c.file === "dev/app.yaml").flatMap((c) => c.edits),
    ).toString();
    assert.equal(out.split("\n")[0], "image: ghcr.io/acme/app:develop-bbb");
    assert.equal(out.split("\n")[2], `pinned: ghcr.io/acme/app:develop-bbb@${D("2")}`);
    assert.equal(out.split("\n")[3], "old: ghcr.io/acme/old:develop-zzz");
    assert.deepEqual(out.split("\n").slice(4), devText.split("\n").slice(4));
  });
});

describe("planUpdates: monotonic guard and orderings", () => {
  it("never moves to an older build or a lower version", async () => {
    const t = new MemoryTags({
      "docker.io/acme/a": {
        "develop-new": { created: "2026-01-02T00:00:00Z" },
        "develop-old": { created: "2026-01-01T00:00:00Z" },
        "develop-bad": { created: "2026-01-03T00:00:00Z" },
      },
    });
    const cfg = parseConfig("updates:\n  - pattern: glob:develop-*\n    files: [x.yaml]\n    exclude: [develop-bad]\n");
    const plan = await planUpdates({ config: cfg, files: [scanned("x.yaml", "image: acme/a:develop-bad\n")], tags: t });
    assert.equal(plan.changes.length, 0);
    assert.equal(plan.unchanged[0]?.reason, "older-than-current");
  });
  it("regex with numerical capture orders by the capture, not the build time", async () => {
    const t = new MemoryTags({
      "docker.io/acme/a": {
        "build-9": { created: "2026-01-05T00:00:00Z" },
        "build-10": { created: "2026-01-01T00:00:00Z" },
        "build-2": {},
      },
    });
    const cfg = parseConfig(
      "updates:\n  - pattern: 'regex:build-(?<n>\\d+)'\n    sort: numerical\n    files: [x.yaml]\n",
    );
    const plan = await planUpdates({ config: cfg, files: [scanned("x.yaml", "image: acme/a:build-2\n")], tags: t });
    assert.equal(plan.changes[0]?.to, "build-10");
    assert.equal(t.asked.length, 0, "value orderings need no build times");
  });
  it("images filters and configured registries select references", async () => {
    const t = new MemoryTags({
      "docker.io/acme/a": { "d-2": { created: "2026-01-05T00:00:00Z" }, "d-1": { created: "2026-01-01T00:00:00Z" } },
    });
    const cfg = parseConfig("registries: [{host: ghcr.io}]\nupdates:\n  - pattern: glob:d-*\n    files: [x.yaml]\n");
    const plan = await planUpdates({ config: cfg, files: [scanned("x.yaml", "image: acme/a:d-1\n")], tags: t });
    assert.equal(plan.unchanged[0]?.reason, "image-not-selected");
    assert.match(plan.unchanged[0]!.detail, /docker.io is not among the configured registries/);
    const cfg2 = parseConfig(
      "updates:\n  - pattern: glob:d-*\n    files: [x.yaml]\n    images: [acme/b]\n  - pattern: glob:d-*\n    files: [x.yaml]\n    images: ['docker.io/acme/*']\n",
    );
    const plan2 = await planUpdates({ config: cfg2, files: [scanned("x.yaml", "image: acme/a:d-1\n")], tags: t });
    assert.equal(plan2.changes[0]?.rule, "updates[1]");
  });
  it("no candidates and unknown build times are reported", async () => {
    const t = new MemoryTags({ "docker.io/acme/a": { "d-1": {}, "d-2": {} } });
    const cfg = parseConfig(
      "updates:\n  - pattern: glob:d-*\n    files: [x.yaml]\n  - pattern: glob:z-*\n    files: [x.yaml]\n",
    );
    const plan = await planUpdates({
      config: cfg,
      files: [scanned("x.yaml", "a: acme/a:d-1\nb: acme/a:z-1\n")],
      tags: t,
    });
    assert.deepEqual(
      plan.unchanged.map((u) => u.reason),
      ["unknown-build-time", "no-candidates"],
    );
  });
});

describe("planUpdates: structured image sites (issue #10)", () => {
  // Hand-built sites of form helm-values, as the structured scanner emits them: name and tag on
  // different lines, spans into the file, the tag's YAML style, and a skip for a templated tag.
  const text = [
    "image:",
    "  repository: ghcr.io/acme/app",
    "  tag: 1.9",
    "sidecar:",
    "  repository: ghcr.io/acme/side",
    '  tag: "{{ .Values.sideTag }}"',
    "quoted:",
    "  repository: ghcr.io/acme/app",
    '  tag: "1.9"',
    "",
  ].join("\n");
  const at = (needle: string, from = 0): number => {
    const i = text.indexOf(needle, from);
    assert.ok(i >= 0, needle);
    return i;
  };
  const helmSite = (
    line: number,
    tagStart: number,
    tag: string | undefined,
    name: string,
    extra: Partial<ImageSite> = {},
  ): ImageSite => {
    // The `repository:` value right above the tag.
    const nameStart = text.lastIndexOf("repository: ", tagStart) + "repository: ".length;
    const end = tag === undefined ? tagStart : tagStart + tag.length;
    return {
      form: "helm-values",
      start: tagStart,
      end,
      text: tag ?? "",
      line,
      column: tagStart - text.lastIndexOf("\n", tagStart - 1),
      reference: parseImageReference(tag === undefined ? name : `${name}:${tag}`),
      name,
      nameSpan: [nameStart, nameStart + name.length],
      ...(tag === undefined ? {} : { tagSpan: [tagStart, end] as const }),
      tagStyle: "plain",
      ...extra,
    };
  };
  const sites: ImageSite[] = [
    helmSite(3, at("1.9"), "1.9", "ghcr.io/acme/app"),
    helmSite(6, at("{{"), undefined, "ghcr.io/acme/side", {
      tagStyle: "double-quoted",
      skip: { reason: "templated", detail: "tag is template text `{{ .Values.sideTag }}`" },
    }),
    helmSite(9, at('"1.9"') + 1, "1.9", "ghcr.io/acme/app", { tagStyle: "double-quoted" }),
  ];
  const t = new MemoryTags({ "ghcr.io/acme/app": { "1.8": {}, "1.9": {}, "1.10": {}, "2.0": {} } });
  const cfg = parseConfig(
    "updates:\n  - pattern: 'regex:^1\\.(?<n>\\d+)$'\n    sort: numerical\n    files: [values.yaml]\n",
  );

  it("moves 1.9 to 1.10 as a string, quoting a plain scalar, and leaves a templated tag alone", async () => {
    const plan = await planUpdates({ config: cfg, files: [{ path: "values.yaml", references: sites }], tags: t });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.column, c.form, c.image, c.from, c.to, c.quoted]),
      [
        [3, 8, "helm-values", "ghcr.io/acme/app", "1.9", "1.10", true],
        [9, 9, "helm-values", "ghcr.io/acme/app", "1.9", "1.10", undefined],
      ],
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.form, u.image, u.tag, u.reason, u.detail]),
      [[6, "helm-values", "ghcr.io/acme/side", null, "templated", "tag is template text `{{ .Values.sideTag }}`"]],
    );
    const out = applyEdits(
      Buffer.from(text),
      plan.changes.flatMap((c) => c.edits),
    ).toString();
    assert.equal(
      out,
      [
        "image:",
        "  repository: ghcr.io/acme/app",
        '  tag: "1.10"',
        "sidecar:",
        "  repository: ghcr.io/acme/side",
        '  tag: "{{ .Values.sideTag }}"',
        "quoted:",
        "  repository: ghcr.io/acme/app",
        '  tag: "1.10"',
        "",
      ].join("\n"),
    );
    for (const version of ["1.1", "1.2"] as const) {
      const v = parseYaml(out, { version }) as Record<string, { tag: unknown }>;
      assert.deepEqual([v.image?.tag, v.quoted?.tag], ["1.10", "1.10"], `YAML ${version}`);
    }
    const json = planToJson(plan) as {
      changes: Array<Record<string, unknown>>;
      unchanged: Array<Record<string, unknown>>;
    };
    assert.equal(json.changes[0]?.form, "helm-values");
    assert.equal(json.changes[0]?.quoted, true);
    assert.equal(json.changes[0]?.edits, undefined, "byte edits stay internal");
    assert.equal(json.unchanged[0]?.reason, "templated");
  });
  it("two sites sharing one anchored tag span write it once", async () => {
    const anchored =
      "a:\n  repository: ghcr.io/acme/app\n  tag: &v 1.9\nb:\n  repository: ghcr.io/acme/app\n  tag: *v\n";
    const start = anchored.indexOf("1.9");
    const shared = (line: number): ImageSite => ({
      form: "helm-values",
      start,
      end: start + 3,
      text: "1.9",
      line,
      column: 11,
      reference: parseImageReference("ghcr.io/acme/app:1.9"),
      name: "ghcr.io/acme/app",
      tagSpan: [start, start + 3],
      tagStyle: "plain",
    });
    const plan = await planUpdates({
      config: cfg,
      files: [{ path: "values.yaml", references: [shared(3), shared(6)] }],
      tags: t,
    });
    assert.equal(plan.changes.length, 2);
    assert.equal(
      applyEdits(
        Buffer.from(anchored),
        plan.changes.flatMap((c) => c.edits),
      ).toString(),
      anchored.replace("&v 1.9", '&v "1.10"'),
    );
  });
});

describe("planUpdates: a failed digest question", () => {
  /** The in-memory registry, except that asking for digests fails (a registry whose manifests 503). */
  class DigestsFail extends MemoryTags {
    readonly digestQuestions: string[][] = [];
    override async describeTags(
      repo: RepositoryRef,
      request: DescribeRequest,
    ): Promise<ReadonlyMap<string, TagDetails>> {
      this.digestQuestions.push([...request.digests]);
      if (request.digests.length)
        throw new RegistryError(`registry ${repo.registry}: HEAD manifest → 503`, repo.registry, 503, repo.repository);
      return super.describeTags(repo, request);
    }
  }
  it("marks only the pinned sites that needed it, once, and moves the others", async () => {
    const t = new DigestsFail({ "docker.io/acme/p": { "1.0.0": { digest: D("0") }, "1.1.0": { digest: D("1") } } });
    const cfg = parseConfig("updates:\n  - pattern: 'semver:^1'\n    files: [p.yaml]\n");
    const plan = await planUpdates({
      config: cfg,
      files: [scanned("p.yaml", `a: acme/p:1.0.0@${D("0")}\nb: acme/p:1.0.0\nc: acme/p:1.0.0@${D("0")}\n`)],
      tags: t,
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.to]),
      [[2, "1.1.0"]],
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.reason, u.detail, u.rule]),
      [
        [1, "registry-error", "registry docker.io: HEAD manifest → 503", "updates[0]"],
        [3, "registry-error", "registry docker.io: HEAD manifest → 503", "updates[0]"],
      ],
    );
    assert.deepEqual(plan.failures, [
      { registry: "docker.io", repository: "acme/p", status: 503, message: "registry docker.io: HEAD manifest → 503" },
    ]);
    assert.deepEqual(t.digestQuestions, [["1.1.0"]], "one digest question for the repository");
  });
});
