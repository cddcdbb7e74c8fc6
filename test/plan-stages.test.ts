import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { classifySite, rulesForFile } from "../src/plan/classify.js";
import { checkDigest, digestsWanted, RepositoryDecisions, tagInfo, type Tracked } from "../src/plan/decide.js";
import { editsFor } from "../src/plan/output.js";
import type { TagDetails } from "../src/registry/types.js";
import { scanText } from "../src/scan/scan.js";
import type { ImageSite } from "../src/scan/site.js";

// The pure stages of the plan, without a TagSource: classification from config and file alone,
// decisions from a tag list and tag details given as plain values.

const D = (c: string) => `sha256:${c.repeat(64)}`;
const site = (text: string): ImageSite => {
  const [s] = scanText(`image: ${text}\n`);
  assert.ok(s, text);
  return s;
};
const config = parseConfig(`
registries: [{host: ghcr.io}]
updates:
  - pattern: glob:develop-*
    files: [dev/**]
    images: [ghcr.io/acme/*]
    exclude: [develop-bad]
  - pattern: glob:master-*
    files: [dev/**]
  - pattern: "semver:^1"
    files: [prod/**]
`);
const devRules = rulesForFile(config, "dev/app.yaml");

describe("classifySite (pure)", () => {
  it("a site follows the first selecting rule whose pattern its tag matches", () => {
    const c = classifySite(site("ghcr.io/acme/app:master-3"), devRules, config.registries);
    assert.ok("follows" in c);
    assert.equal(c.follows.name, "updates[1]");
    assert.equal(c.tag, "master-3");
  });
  it("explains each way a site stays before any registry is asked", () => {
    const stays = (s: ImageSite, rules = devRules) => {
      const c = classifySite(s, rules, config.registries);
      assert.ok("stays" in c);
      return [c.stays, c.detail];
    };
    assert.deepEqual(stays(site("ghcr.io/acme/app:develop-1"), rulesForFile(config, "other.yaml")), [
      "no-rule",
      "no update rule selects this file",
    ]);
    assert.deepEqual(stays(site("docker.io/acme/app:develop-1")), [
      "image-not-selected",
      "registry docker.io is not among the configured registries",
    ]);
    assert.deepEqual(stays(site(`ghcr.io/acme/app@${D("1")}`)), [
      "no-tag",
      "pinned by digest only; add a tag to let Laminar move it",
    ]);
    assert.deepEqual(stays(site("ghcr.io/acme/app")), ["no-tag", "no tag (docker would pull `latest`)"]);
    assert.deepEqual(stays(site("ghcr.io/acme/app:feature-x")), [
      "not-in-channel",
      "tag feature-x matches none of glob:develop-*, glob:master-*",
    ]);
  });
  it("a skip from the file wins over image selection, not over a missing rule", () => {
    const templated: ImageSite = {
      ...site("docker.io/acme/app"),
      form: "helm-values",
      skip: { reason: "templated", detail: "tag is `{{ .Values.tag }}`" },
    };
    // docker.io is not a configured registry, yet the reader learns the real reason: the template.
    assert.deepEqual(classifySite(templated, devRules, config.registries), {
      stays: "templated",
      detail: "tag is `{{ .Values.tag }}`",
    });
    assert.deepEqual(classifySite(templated, [], config.registries), {
      stays: "no-rule",
      detail: "no update rule selects this file",
    });
  });
});

const track = (text: string, rule = 0): Tracked => {
  const s = site(text);
  const r = config.updates[rule];
  assert.ok(r && s.reference.tag);
  return { file: "dev/app.yaml", site: s, rule: r, tag: s.reference.tag };
};
const repo = { registry: "ghcr.io", repository: "acme/app" };
const details = (m: Record<string, { created?: string; digest?: string }>): Map<string, TagDetails> =>
  new Map(
    Object.entries(m).map(([t, d]) => [
      t,
      { ...(d.created ? { created: new Date(d.created) } : {}), ...(d.digest ? { digest: d.digest } : {}) },
    ]),
  );

describe("RepositoryDecisions (pure)", () => {
  const list = {
    tags: ["develop-a", "develop-b", "develop-bad", "develop-x\ninjected: 1", "latest", "master-1"],
    times: details({ "develop-a": { created: "2026-01-01T00:00:00Z" } }),
  };
  const known = details({
    "develop-b": { created: "2026-01-03T00:00:00Z", digest: D("b") },
    "develop-bad": { created: "2026-01-09T00:00:00Z" },
  });

  it("candidates leave out invalid tags, exclusions and never-chosen tags", () => {
    const d = new RepositoryDecisions(repo, list);
    assert.deepEqual(d.candidates(track("ghcr.io/acme/app:develop-a")), ["develop-a", "develop-b"]);
  });
  it("asks build times only for what the listing did not give", () => {
    const d = new RepositoryDecisions(repo, list);
    assert.deepEqual(d.timesWanted([track("ghcr.io/acme/app:develop-a"), track("ghcr.io/acme/app:develop-gone")]), [
      "develop-b",
    ]);
  });
  it("moves to the newest build, or says why not", () => {
    const d = new RepositoryDecisions(repo, list);
    const info = tagInfo(list, known);
    assert.deepEqual(d.decide(track("ghcr.io/acme/app:develop-a"), info), { move: "develop-b" });
    const upToDate = d.decide(track("ghcr.io/acme/app:develop-b"), info);
    assert.ok("stays" in upToDate);
    assert.equal(upToDate.stays, "up-to-date");
    assert.equal(upToDate.detail, "develop-b is the newest of 2 tag(s) matching glob:develop-*");
    assert.equal(upToDate.current?.created?.toISOString(), "2026-01-03T00:00:00.000Z");
    const older = d.decide(track("ghcr.io/acme/app:develop-bad"), info);
    assert.ok("stays" in older);
    assert.equal(older.stays, "older-than-current");
  });
  it("no candidates and unknown build times, with the exclusion and page-cap notes", () => {
    const capped = { tags: ["develop-bad", "master-1"], truncated: true };
    const none = new RepositoryDecisions(repo, capped).decide(
      track("ghcr.io/acme/app:develop-a"),
      tagInfo(capped, new Map()),
    );
    assert.deepEqual(none, {
      stays: "no-candidates",
      detail:
        "no tag in ghcr.io/acme/app matches glob:develop-* outside its 1 exclusion(s) (tag list truncated by the page cap)",
    });
    const unknown = new RepositoryDecisions(repo, { tags: ["develop-a"] }).decide(
      track("ghcr.io/acme/app:develop-a"),
      () => undefined,
    );
    assert.deepEqual(unknown, {
      stays: "unknown-build-time",
      detail: "no build time could be learnt for the 1 candidate tag(s)",
    });
  });
  it("digests: asked only for pinned moves whose digest is unknown; only a valid digest is written", () => {
    const pinned = track(`ghcr.io/acme/app:develop-a@${D("a")}`);
    const plain = track("ghcr.io/acme/app:develop-a");
    const info = tagInfo(list, known);
    assert.deepEqual(
      digestsWanted(
        [
          { it: pinned, to: "develop-c" },
          { it: pinned, to: "develop-b" },
          { it: plain, to: "develop-d" },
        ],
        info,
      ),
      ["develop-c"],
    );
    assert.deepEqual(checkDigest(repo, plain, "develop-b", undefined), { toDigest: undefined });
    assert.deepEqual(checkDigest(repo, pinned, "develop-b", D("b")), { toDigest: D("b") });
    assert.deepEqual(checkDigest(repo, pinned, "develop-b", undefined), {
      stays: "registry-error",
      detail: "could not learn the digest of develop-b",
    });
    const bad = checkDigest(repo, pinned, "develop-b", "sha256:zz\nx: 1");
    assert.ok("failure" in bad && bad.failure);
    assert.equal(bad.stays, "registry-error");
    assert.equal(
      bad.failure.message,
      'registry ghcr.io: acme/app:develop-b has an invalid digest "sha256:zz\\nx: 1"; not writing it',
    );
  });
});

describe("editsFor (pure)", () => {
  it("edits the tag and digest spans; a plain scalar that would read as a number is quoted", () => {
    const s = site(`ghcr.io/acme/app:1.9@${D("a")}`);
    const { edits, quoted } = editsFor(s, "1.10", D("b"));
    assert.equal(quoted, false, "a tag inside a reference needs no quotes");
    assert.deepEqual(
      edits.map((e) => [e.expect, e.replace]),
      [
        ["1.9", "1.10"],
        [D("a"), D("b")],
      ],
    );
    const plain: ImageSite = { ...s, form: "helm-values", tagStyle: "plain" };
    assert.deepEqual(editsFor(plain, "1.10", undefined), {
      edits: [{ start: s.tagSpan![0], end: s.tagSpan![1], expect: "1.9", replace: '"1.10"' }],
      quoted: true,
    });
  });
});
