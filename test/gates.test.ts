/**
 * Gates on the chosen candidate and targeted runs (issue #15), against the real docker-registry:
 * the plan engine over RegistryClient, with request counts proving what a run costs.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { parseImageTargets } from "../src/plan/targets.js";
import { MemoryTags } from "../src/registry/memory-tags.js";
import { RegistryClient } from "../src/registry/index.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanText } from "../src/scan/scan.js";
import { scanFile } from "../src/scan/structured/index.js";
import { laminar, writeRepo } from "./helpers/cli.js";
import { seedImages, tagSeries, type SeededImage } from "./helpers/registry/seed.js";
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

describe("targeted runs (images / --image)", () => {
  let reg: RunningRegistry;
  let cachePath: string;
  let text: string;
  const config = parseConfig(
    `updates:\n  - pattern: "glob:develop-*"\n    files: [deploy]\n  - pattern: "semver:^1"\n    files: [deploy]\n`,
  );
  const env = { DOCKER_CONFIG: "/nonexistent-laminar-docker-config" };
  const targeted = (values: string[]) => parseImageTargets(values, "--image");

  before(async () => {
    // Token auth with anonymous pull, as for a public GHCR image: every run needs a token.
    reg = await startRegistry({ auth: "token", anonymousPull: true });
    const auth = reg.credentials!;
    await seedImages(
      reg,
      [
        ...tagSeries("acme/app", 3, { prefix: "develop-", newest: hours(3) }).map((i, n) => ({
          ...i,
          tag: `develop-${n + 1}`,
        })),
        { repository: "acme/app", tag: "1.0.0", created: hours(1) },
        { repository: "acme/other", tag: "develop-1", created: hours(1) },
        { repository: "acme/other", tag: "develop-2", created: hours(2) },
      ],
      { auth },
    );
    cachePath = join(tmp, "targeted-cache.json");
    text = [
      `app: ${reg.host}/acme/app:develop-3`,
      `pinned: ${reg.host}/acme/app:develop-3@sha256:${"0".repeat(64)}`,
      `versioned: ${reg.host}/acme/app:1.0.0`,
      `other: ${reg.host}/acme/other:develop-1`,
    ].join("\n");
    // A scheduled full run warms the cache: build times, tag → digest, the registry's challenge.
    const warm = new RegistryClient({ cachePath, env });
    const plan = await planUpdates({ config, files: files("deploy/app.yaml", text), tags: warm });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.to]),
      [[4, "develop-2"]],
    );
    await warm.flush();
    await seedImages(
      reg,
      [
        { repository: "acme/app", tag: "develop-4", created: hours(4) },
        { repository: "acme/app", tag: "develop-0", created: hours(0.5) },
        { repository: "acme/app", tag: "1.1.0", created: hours(0.2) },
      ],
      { auth },
    );
  });
  after(() => reg.stop());

  test("one pushed tag on a warm cache: token + manifest + config blob, no ping, no listing", async () => {
    const client = new RegistryClient({ cachePath, env, reuseChallenges: true });
    const plan = await planUpdates({
      config,
      files: files("deploy/app.yaml", text),
      tags: client,
      targets: targeted([`${reg.host}/acme/app:develop-4`]),
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.from, c.to, c.previousBuildTime]),
      [
        [1, "develop-3", "develop-4", hours(3).toISOString()],
        [2, "develop-3", "develop-4", hours(3).toISOString()],
      ],
    );
    assert.match(plan.changes[1]!.toDigest ?? "", /^sha256:[0-9a-f]{64}$/);
    const reasons = plan.unchanged.map((u) => [u.line, u.reason]);
    assert.deepEqual(reasons, [
      [3, "no-candidates"],
      [4, "not-targeted"],
    ]);
    assert.match(plan.unchanged[0]!.detail, /develop-4 does not match semver:\^1/);
    const n = client.counts();
    assert.deepEqual(
      { ping: n.ping, token: n.token, tagPages: n.tagPages, head: n.manifestHead, get: n.manifestGet, blob: n.blobGet },
      { ping: 0, token: 1, tagPages: 0, head: 0, get: 1, blob: 1 },
    );
  });

  test("an older pushed tag stays older-than-current; a missing one is named; a value policy needs a HEAD only", async () => {
    const client = new RegistryClient({ cachePath, env, reuseChallenges: true });
    const plan = await planUpdates({
      config,
      files: files("deploy/app.yaml", text),
      tags: client,
      targets: targeted([`${reg.host}/acme/app:develop-0, ${reg.host}/acme/app:1.1.0\n${reg.host}/acme/app:develop-9`]),
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.to]),
      [[3, "1.1.0"]],
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.reason]),
      [
        [1, "older-than-current"],
        [2, "older-than-current"],
        [4, "not-targeted"],
      ],
    );
    const n = client.counts();
    // develop-0: manifest + blob; develop-9: one 404 manifest GET; 1.1.0: one HEAD (its version decides).
    assert.deepEqual([n.ping, n.token, n.tagPages, n.manifestHead, n.manifestGet, n.blobGet], [0, 1, 0, 1, 2, 1]);
  });

  test("a repository without a tag is planned whole; others stay not-targeted", async () => {
    const client = new RegistryClient({ cachePath, env, reuseChallenges: true });
    const plan = await planUpdates({
      config,
      files: files("deploy/app.yaml", text),
      tags: client,
      targets: targeted([`${reg.host}/acme/app`]),
    });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.to]),
      [
        [1, "develop-4"],
        [2, "develop-4"],
        [3, "1.1.0"],
      ],
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.reason]),
      [[4, "not-targeted"]],
    );
    assert.equal(client.counts().tagPages, 1);
  });

  test("bad values name the input and the entry", () => {
    assert.throws(
      () => parseImageTargets(["ghcr.io/acme/App:x"], "input images"),
      /^TargetError: input images: "ghcr.io\/acme\/App:x" is not an image reference/,
    );
    assert.throws(
      () => parseImageTargets([`nginx@sha256:${"a".repeat(64)}`], "--image"),
      /--image: .* pins a digest; give repository\[:tag\]/,
    );
    assert.deepEqual(parseImageTargets([" nginx:1.27 ,\n\n ghcr.io/a/b "], "x"), [
      { registry: "docker.io", repository: "library/nginx", tag: "1.27" },
      { registry: "ghcr.io", repository: "a/b" },
    ]);
  });
});

describe("CLI --image", () => {
  let reg: RunningRegistry;
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    await seedImages(reg, [
      { repository: "acme/app", tag: "develop-1", created: hours(1) },
      { repository: "acme/app", tag: "develop-2", created: hours(2) },
    ]);
  });
  after(() => reg.stop());

  test("apply --image REPO:TAG after a warm run: the pushed tag is written, two requests", async () => {
    const dir = await writeRepo({
      ".laminar.yaml": `updates:\n  - pattern: "glob:develop-*"\n    files: [deploy]\n`,
      "deploy/app.yaml": `image: ${reg.host}/acme/app:develop-2\nside: ${reg.host}/acme/side:develop-1\n`,
    });
    const cache = join(tmp, "cli-cache.json");
    try {
      const full = laminar(["plan", "--dir", dir, "--cache", cache, "--json", "--registry-errors", "warn"]);
      assert.equal(full.status, 0, full.stderr);
      await seedImages(reg, [{ repository: "acme/app", tag: "develop-3", created: hours(3) }]);
      const r = laminar([
        "apply",
        "--dir",
        dir,
        "--cache",
        cache,
        "--json",
        "--image",
        `${reg.host}/acme/app:develop-3`,
      ]);
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        unchanged: { reason: string }[];
        requests: Record<string, number>;
      };
      assert.equal(
        await readFile(join(dir, "deploy/app.yaml"), "utf8"),
        `image: ${reg.host}/acme/app:develop-3\nside: ${reg.host}/acme/side:develop-1\n`,
      );
      assert.deepEqual(
        out.unchanged.map((u) => u.reason),
        ["not-targeted"],
      );
      // No auth on this registry: the manifest and the config blob of develop-3, nothing else.
      assert.deepEqual(
        [
          out.requests.ping,
          out.requests.tagPages,
          out.requests.manifestHead,
          out.requests.manifestGet,
          out.requests.blobGet,
        ],
        [0, 0, 0, 1, 1],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a bad --image is a usage error naming it", () => {
    const r = laminar(["plan", "--image", "Not A Ref"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^laminar: --image: "Not A Ref" is not an image reference/);
  });
});

describe("platforms gate", () => {
  let reg: RunningRegistry;
  const both = ["linux/amd64", "linux/arm64"];
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    await seedImages(reg, [
      { repository: "acme/multi", tag: "develop-1", created: hours(1), platforms: both },
      { repository: "acme/multi", tag: "develop-2", created: hours(2), platforms: ["linux/amd64", "linux/arm64/v8"] },
      // The newest build forgot arm64.
      { repository: "acme/multi", tag: "develop-3", created: hours(3), platforms: ["linux/amd64"] },
      { repository: "acme/single", tag: "s-1", created: hours(1) },
      { repository: "acme/single", tag: "s-2", created: hours(2), platform: "linux/arm64" },
    ]);
  });
  after(() => reg.stop());

  const config = parseConfig(
    [
      "updates:",
      '  - pattern: "glob:develop-*"',
      "    files: [deploy]",
      "    platforms: [linux/amd64, linux/arm64]",
      '  - pattern: "glob:s-*"',
      "    files: [deploy]",
      "    platforms: [linux/amd64]",
      "",
    ].join("\n"),
  );

  test("an index lacking arm64 is skipped for the next; a single-platform image must be a required one", async () => {
    const cachePath = join(tmp, "platforms-cache.json");
    const text = `a: ${reg.host}/acme/multi:develop-1\nb: ${reg.host}/acme/single:s-1\n`;
    const cold = new RegistryClient({ cachePath });
    const plan = await planUpdates({ config, files: files("deploy/app.yaml", text), tags: cold });
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.from, c.to]),
      [[1, "develop-1", "develop-2"]],
    );
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.reason]),
      [[2, "missing-platform"]],
    );
    assert.match(plan.unchanged[0]!.detail, /^skipped s-2 lacks linux\/amd64 \(has linux\/arm64\); then up-to-date/);
    await cold.flush();
    // The platforms came from the manifests and config blobs the build times needed: no extra request.
    assert.deepEqual([cold.counts().manifestGet, cold.counts().blobGet], [3 + 3 + 2, 3 + 2]);

    // Warm: build times and platforms by digest from the cache, nothing fetched.
    const warm = new RegistryClient({ cachePath });
    const again = await planUpdates({ config, files: files("deploy/app.yaml", text), tags: warm });
    assert.deepEqual(
      again.changes.map((c) => c.to),
      ["develop-2"],
    );
    assert.deepEqual([warm.counts().manifestHead, warm.counts().manifestGet, warm.counts().blobGet], [0, 0, 0]);
  });

  test("platforms that are not os/arch are refused with file, line and key", () => {
    assert.throws(
      () => parseConfig(`updates:\n  - pattern: "glob:*"\n    files: [deploy]\n    platforms: [linux/amd64, arm64]\n`),
      /^ConfigError: \.laminar\.yaml:4:30: updates\[0\]\.platforms\[1\]: "arm64" is not os\/arch\[\/variant\]/,
    );
  });
});

describe("build times that cannot be trusted", () => {
  let reg: RunningRegistry;
  const EPOCH = new Date(0);
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    await seedImages(reg, [
      // ko / Bazel / Nix: every build says 1970-01-01T00:00:00Z.
      { repository: "acme/ko", tag: "main-aaa", created: EPOCH, labels: { commit: "aaa" } },
      { repository: "acme/ko", tag: "main-bbb", created: EPOCH, labels: { commit: "bbb" } },
      // Two different builds stamped with one SOURCE_DATE_EPOCH; a third tag on the same build is fine.
      { repository: "acme/same", tag: "main-1", created: hours(5), labels: { commit: "1" } },
      { repository: "acme/same", tag: "main-2", created: hours(5), labels: { commit: "2" } },
      { repository: "acme/clean", tag: "main-1", created: hours(1) },
      { repository: "acme/clean", tag: "main-2", created: hours(2) },
    ]);
  });
  after(() => reg.stop());

  test("epoch and identical build times stay ambiguous-build-time instead of a guess", async () => {
    const config = parseConfig(`updates:\n  - pattern: "glob:main-*"\n    files: [deploy]\n`);
    const text = [
      `a: ${reg.host}/acme/ko:main-aaa`,
      `b: ${reg.host}/acme/same:main-1`,
      `c: ${reg.host}/acme/clean:main-1`,
    ].join("\n");
    const cachePath = join(tmp, "fixed-times-cache.json");
    const cold = new RegistryClient({ cachePath });
    const plan = await planUpdates({ config, files: files("deploy/app.yaml", text), tags: cold });
    await cold.flush();
    assert.deepEqual(
      plan.changes.map((c) => [c.line, c.to]),
      [[3, "main-2"]],
    );
    // Warm: the "fixed time" verdict is cached by digest like a build time; nothing is fetched again.
    const warm = new RegistryClient({ cachePath });
    const again = await planUpdates({ config, files: files("deploy/app.yaml", text), tags: warm });
    assert.deepEqual(
      again.unchanged.map((u) => [u.reason, u.detail]),
      plan.unchanged.map((u) => [u.reason, u.detail]),
    );
    assert.equal(warm.counts().manifestGet + warm.counts().blobGet + warm.counts().manifestHead, 0);
    assert.deepEqual(
      plan.unchanged.map((u) => [u.line, u.reason]),
      [
        [1, "ambiguous-build-time"],
        [2, "ambiguous-build-time"],
      ],
    );
    assert.match(
      plan.unchanged[0]!.detail,
      /^main-aaa, main-bbb say a reproducible build's fixed time \(before 1980\)/,
    );
    assert.match(plan.unchanged[1]!.detail, /^main-2 and main-1 are different builds with the same build time/);
  });

  test("sort: push-time orders by the registry's push time, and says so where there is none", async () => {
    const config = parseConfig(`updates:\n  - pattern: "glob:main-*"\n    sort: push-time\n    files: ["*"]\n`);
    const hub = new MemoryTags({
      "docker.io/acme/ko": {
        "main-aaa": { created: "2026-01-01T00:00:00Z", source: "docker-hub-api" },
        "main-bbb": { created: "2026-01-02T00:00:00Z", source: "docker-hub-api" },
      },
    });
    const moved = await planUpdates({ config, files: files("a.yaml", "image: acme/ko:main-aaa\n"), tags: hub });
    assert.deepEqual(
      moved.changes.map((c) => [c.to, c.timeSource]),
      [["main-bbb", "docker-hub-api"]],
    );
    // The CNCF registry reports no push time: the reference stays, and the detail says why.
    const real = await planUpdates({
      config: parseConfig(`updates:\n  - pattern: "glob:main-*"\n    sort: push-time\n    files: ["*"]\n`),
      files: files("a.yaml", `image: ${reg.host}/acme/clean:main-1\n`),
      tags: new RegistryClient(),
    });
    assert.deepEqual(
      real.unchanged.map((u) => u.reason),
      ["unknown-build-time"],
    );
    assert.match(
      real.unchanged[0]!.detail,
      /reported no push time for the 2 candidate tag\(s\) \(sort: push-time needs/,
    );
  });
});

describe("digest: refresh", () => {
  let reg: RunningRegistry;
  let first: SeededImage;
  before(async () => {
    reg = await startRegistry({ auth: "none" });
    const seeded = await seedImages(reg, [{ repository: "library/nginx", tag: "1.27", created: hours(1) }]);
    first = seeded[0] as SeededImage;
  });
  after(() => reg.stop());

  test("a re-pushed tag gives pinned references its new digest, one-string and Helm values, as a digest-only change", async () => {
    const config = parseConfig(
      `updates:\n  - pattern: "glob:1.27"\n    digest: refresh\n    files: [deploy]\n  - pattern: "glob:1.27"\n    files: [keep]\n`,
    );
    const old = first.digest;
    const inline = `image: ${reg.host}/library/nginx:1.27@${old}\n`;
    const values = `image:\n  registry: ${reg.host}\n  repository: library/nginx\n  tag: "1.27"\n  digest: ${old}\n`;
    const scanned = () => [
      { path: "deploy/app.yaml", references: scanFile(inline, "deploy/app.yaml").sites },
      { path: "deploy/values.yaml", references: scanFile(values, "deploy/values.yaml").sites },
      { path: "keep/app.yaml", references: scanFile(inline, "keep/app.yaml").sites },
    ];
    const cachePath = join(tmp, "refresh-cache.json");
    const before = new RegistryClient({ cachePath });
    const same = await planUpdates({ config, files: scanned(), tags: before });
    await before.flush();
    assert.deepEqual(same.changes, []);
    assert.match(same.unchanged[0]!.detail, /its digest is current$/);

    // The same tag pushed again (a patched base image): the tag list, and so its hash, is unchanged.
    const [rebuilt] = await seedImages(reg, [{ repository: "library/nginx", tag: "1.27", created: hours(2) }]);
    const client = new RegistryClient({ cachePath });
    const plan = await planUpdates({ config, files: scanned(), tags: client });
    assert.deepEqual(
      plan.changes.map((c) => [c.file, c.form, c.from, c.to, c.fromDigest, c.toDigest, c.digestOnly]),
      [
        ["deploy/app.yaml", "inline", "1.27", "1.27", old, rebuilt!.digest, true],
        ["deploy/values.yaml", "helm-values", "1.27", "1.27", old, rebuilt!.digest, true],
      ],
    );
    // Only the digest bytes change; `keep/` has no `digest: refresh` and stays.
    const [a, b] = plan.changes;
    assert.equal(applyEdits(Buffer.from(inline), a!.edits).toString(), inline.replace(old, rebuilt!.digest));
    assert.equal(applyEdits(Buffer.from(values), b!.edits).toString(), values.replace(old, rebuilt!.digest));
    assert.deepEqual(
      plan.unchanged.map((u) => [u.file, u.reason]),
      [["keep/app.yaml", "up-to-date"]],
    );
    assert.equal(client.counts().manifestHead, 1, "one HEAD for the refreshed tag");
  });
});
