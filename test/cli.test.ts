import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar, writeRepo } from "./helpers/cli.js";
import { defaultCachePath } from "../src/registry/cache.js";
import { laminar as runCli } from "./helpers/faults.js";
import { startFakeRegistry, type FakeRegistry } from "./helpers/registry/fake-registry.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const repo = (files: Record<string, string>): Promise<string> => writeRepo(files, "laminar-cli-");

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("laminar CLI against the real registry", () => {
  let anon: RunningRegistry;
  let locked: RunningRegistry;
  let cacheHome: string;
  before(async () => {
    [anon, locked] = await Promise.all([
      startRegistry(),
      startRegistry({ auth: "htpasswd", users: { ci: "s3cret-pass" } }),
    ]);
    const imgs = [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-3", created: day(3) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
      { repository: "acme/app", tag: "develop-9", created: day(9) },
      { repository: "acme/app", tag: "1.0.0", created: day(1) },
      { repository: "acme/app", tag: "v1.4.2", created: day(2) },
      { repository: "acme/app", tag: "2.0.0", created: day(3) },
      { repository: "acme/multi", tag: "develop-a", created: day(1), platforms: ["linux/amd64", "linux/arm64"] },
      { repository: "acme/multi", tag: "develop-b", created: day(5), platforms: ["linux/amd64", "linux/arm64"] },
    ];
    await Promise.all([seedImages(anon, imgs), seedImages(locked, imgs)]);
    cacheHome = await mkdtemp(join(tmpdir(), "laminar-cache-"));
  });
  after(async () => {
    await Promise.all([anon?.stop(), locked?.stop()]);
  });

  it("plan --json picks the newest build for glob, the highest version for semver, with request counts", async () => {
    const h = anon.host;
    const dir = await repo({
      ".laminar.yaml": `updates:\n  - pattern: glob:develop-*\n    files: [dev]\n    exclude: [develop-9]\n  - pattern: "semver:^1"\n    files: [prod]\n`,
      "dev/app.yaml": `image: ${h}/acme/app:develop-1\nsidecar: ${h}/acme/multi:develop-a\nother: ${h}/acme/app:feature\n`,
      "prod/app.yaml": `image: "${h}/acme/app:1.0.0"\n`,
    });
    const r = laminar(["plan", "--dir", dir, "--json"], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.changes.map((c: Record<string, unknown>) => [c.file, c.line, c.image, c.from, c.to, c.timeSource]),
      [
        ["dev/app.yaml", 1, `${h}/acme/app`, "develop-1", "develop-3", "config-blob"],
        ["dev/app.yaml", 2, `${h}/acme/multi`, "develop-a", "develop-b", "config-blob"],
        ["prod/app.yaml", 1, `${h}/acme/app`, "1.0.0", "v1.4.2", undefined],
      ],
    );
    assert.deepEqual(
      plan.unchanged.map((u: Record<string, unknown>) => [u.file, u.line, u.image, u.tag, u.reason]),
      [["dev/app.yaml", 3, `${h}/acme/app`, "feature", "not-in-channel"]],
    );
    assert.ok(plan.requests.tagPages >= 2 && plan.requests.manifestGet > 0 && plan.requests.blobGet > 0);
    // A second run with nothing new makes no manifest or blob request at all.
    const warm = JSON.parse(laminar(["plan", "--dir", dir, "--json"], { XDG_CACHE_HOME: cacheHome }).stdout);
    assert.equal(warm.requests.manifestGet + warm.requests.manifestHead + warm.requests.blobGet, 0);
    assert.deepEqual(
      warm.changes.map((c: Record<string, unknown>) => c.to),
      ["develop-3", "develop-b", "v1.4.2"],
    );
  });

  it("works with htpasswd auth, credentials from the variables the config names", async () => {
    const h = locked.host;
    const dir = await repo({
      ".laminar.yaml": `registries:\n  - host: ${h}\n    usernameEnv: REG_USER\n    passwordEnv: REG_PASS\nupdates:\n  - pattern: glob:develop-*\n    files: [.]\n`,
      "a.yaml": `image: ${h}/acme/app:develop-2\n`,
    });
    const ok = laminar(["plan", "--dir", dir, "--json"], {
      REG_USER: "ci",
      REG_PASS: "s3cret-pass",
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "c-")),
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).changes[0].to, "develop-9");
    assert.ok(!ok.stdout.includes("s3cret-pass") && !ok.stderr.includes("s3cret-pass"));

    const bad = laminar(["plan", "--dir", dir, "--json"], {
      REG_USER: "ci",
      REG_PASS: "wrong-pass",
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "c-")),
    });
    assert.equal(bad.status, 3, "a failing registry exits 3");
    const plan = JSON.parse(bad.stdout);
    assert.equal(plan.unchanged[0].reason, "registry-error");
    assert.match(plan.failures[0].message, new RegExp(`${h.replace(/\./g, "\\.")}.*401`));
    assert.ok(!bad.stdout.includes("wrong-pass") && !bad.stderr.includes("wrong-pass"));
    const warn = laminar(["plan", "--dir", dir, "--registry-errors", "warn"], {
      REG_USER: "ci",
      REG_PASS: "wrong-pass",
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "c-")),
    });
    assert.equal(warn.status, 0);
    assert.match(warn.stdout, /Failures:/);
  });

  it("apply rewrites only the tags and runs the commands", async () => {
    const h = anon.host;
    const text = `# deploy\r\nimage: ${h}/acme/app:develop-1  # keep this comment\r\nargs: ["{{ .Values.x }}"]`;
    const dir = await repo({
      ".laminar.yaml":
        "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\ncommands:\n  - cp k8s/app.yaml rendered.yaml\n",
      "k8s/app.yaml": text,
    });
    const r = laminar(["apply", "--dir", dir], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await readFile(join(dir, "k8s/app.yaml"), "utf8"), text.replace("develop-1", "develop-9"));
    assert.equal(await readFile(join(dir, "rendered.yaml"), "utf8"), text.replace("develop-1", "develop-9"));
    assert.match(r.stdout, /Rewrote 1 file\(s\): k8s\/app\.yaml/);
  });

  it("scan --json lists every reference with its parsed parts", async () => {
    const compose =
      "services:\n  db:\n    image: postgres\n  web:\n    image: ghcr.io/acme/web:1.2@sha256:" +
      "c".repeat(64) +
      "\n    ports: ['5000:5000/tcp']\n";
    const dir = await repo({ "compose.yaml": compose });
    const at = (s: string): number => compose.indexOf(s);
    const r = laminar(["scan", "--dir", dir, "--json"]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).references, [
      {
        file: "compose.yaml",
        line: 3,
        column: 12,
        text: "postgres",
        registry: "docker.io",
        repository: "library/postgres",
        tag: null,
        digest: null,
        form: "inline",
        nameSpan: [at("postgres"), at("postgres") + 8],
        tagSpan: null,
        digestSpan: null,
      },
      {
        file: "compose.yaml",
        line: 5,
        column: 12,
        text: `ghcr.io/acme/web:1.2@sha256:${"c".repeat(64)}`,
        registry: "ghcr.io",
        repository: "acme/web",
        tag: "1.2",
        digest: `sha256:${"c".repeat(64)}`,
        form: "inline",
        nameSpan: [at("ghcr.io"), at("ghcr.io") + "ghcr.io/acme/web".length],
        tagSpan: [at("1.2@"), at("1.2@") + 3],
        digestSpan: [at("sha256:"), at("sha256:") + 71],
      },
    ]);
  });

  it("config errors name file, line and key and exit 1; usage errors exit 2", async () => {
    const dir = await repo({ ".laminar.yaml": "updates:\n  - pattern: glob:x\n    files: [a]\n    exlude: [b]\n" });
    const r = laminar(["plan", "--dir", dir]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /config error: \.laminar\.yaml:4:5: updates\[0\]\.exlude: unknown key "exlude"/);
    assert.equal(laminar(["frobnicate"]).status, 2);
    assert.equal(laminar(["plan", "--bogus"]).status, 2);
    const missing = laminar(["plan", "--dir", await repo({})]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /\.laminar\.yaml.*not found/);
  });

  it("a registry that is down fails only its references, naming it", async () => {
    const h = anon.host;
    const dir = await repo({
      ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [.]\n",
      "a.yaml": `a: ${h}/acme/app:develop-1\nb: 127.0.0.1:1/acme/app:develop-1\n`,
    });
    const r = laminar(["plan", "--dir", dir, "--json"], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 3);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.changes.length, 1);
    assert.equal(plan.unchanged[0].reason, "registry-error");
    assert.match(plan.unchanged[0].detail, /127\.0\.0\.1:1/);
  });
});

describe("laminar --help", () => {
  // The help text once named `DIR/.laminar-cache/registry.json` while the CLI used another file;
  // both now come from defaultCachePath, so the test asks that function rather than repeating a path.
  it("names the default cache path that defaultCachePath returns", async () => {
    const xdg = await mkdtemp(join(tmpdir(), "c-"));
    for (const env of [{ XDG_CACHE_HOME: xdg }, { XDG_CACHE_HOME: "" }]) {
      const r = laminar(["--help"], env);
      assert.equal(r.status, 0);
      const expected = defaultCachePath({ ...process.env, ...env });
      assert.ok(
        r.stdout.includes(`registry metadata cache (default: ${expected})`),
        `help should name ${expected}:\n${r.stdout}`,
      );
      assert.doesNotMatch(r.stdout, /\.laminar-cache/);
    }
  });
});

describe("per-registry timeout (two fake registries)", () => {
  // The CLI once gave the client the largest configured timeout for every registry. Here one
  // registry stalls under a 1 s timeout and the other answers after 1.5 s under a 3 s timeout: the
  // first must fail naming its own 1 s, the second must still succeed (its answer is slower than
  // the first registry's timeout, so a shared timeout either way would break one of the two).
  const DEVELOP = [1, 2, 3].map((d) => ({ tag: `develop-${d}`, created: day(d) }));
  let stalled: FakeRegistry;
  let slow: FakeRegistry;
  before(async () => {
    [stalled, slow] = await Promise.all([
      startFakeRegistry({ repositories: { "acme/app": { tags: DEVELOP } } }),
      startFakeRegistry({ repositories: { "acme/app": { tags: DEVELOP } } }),
    ]);
  });
  after(async () => {
    await Promise.all([stalled?.stop(), slow?.stop()]);
  });

  for (const [format, registries] of [
    [
      "registries[].timeout",
      (a: string, b: string) => `registries:\n  - host: ${a}\n    timeout: 1\n  - host: ${b}\n    timeout: 3\n`,
    ],
    [
      "dockerRegistries[].timeOut (original format)",
      (a: string, b: string) => `dockerRegistries:\n  - reg: ${a}\n    timeOut: 1\n  - reg: ${b}\n    timeOut: 3\n`,
    ],
  ] as const) {
    it(`${format}: each registry is cut at its own timeout`, async () => {
      for (const fake of [stalled, slow]) {
        fake.clearRules();
        fake.reset();
      }
      stalled.rule({ kind: "tagPages", delayMs: 4_000, times: Infinity });
      slow.rule({ kind: "tagPages", delayMs: 1_500, times: Infinity });
      const a = stalled.host;
      const b = slow.host;
      const dir = await repo({
        ".laminar.yaml": `${registries(a, b)}updates:\n  - pattern: glob:develop-*\n    files: [.]\n`,
        "a.yaml": `a: ${a}/acme/app:develop-1\n`,
        "b.yaml": `b: ${b}/acme/app:develop-1\n`,
      });
      // A child process run without blocking: the fake registries answer from this process.
      const r = await runCli(["plan", "--dir", dir, "--json", "--registry-errors", "warn"], {
        XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "c-")),
      });
      assert.equal(r.status, 0, r.stderr);
      const plan = JSON.parse(r.stdout);
      assert.deepEqual(
        plan.changes.map((c: Record<string, unknown>) => [c.file, c.from, c.to]),
        [["b.yaml", "develop-1", "develop-3"]],
        JSON.stringify(plan.unchanged),
      );
      const stuck = plan.unchanged.find((u: Record<string, unknown>) => u.file === "a.yaml");
      assert.equal(stuck?.reason, "registry-error");
      // The text documented in docs/reliability.md, with this registry's own 1 s.
      assert.match(
        stuck.detail,
        new RegExp(
          String.raw`^registry ${a.replace(/\./g, "\\.")}: GET /v2/acme/app/tags/list → network error: timed out after 1 s \(gave up after 5 attempts, [\d.]+ s waiting\)$`,
        ),
      );
      // The slow registry answered its first try: it was never cut at the stalled one's 1 s.
      assert.equal(slow.counts().tagPages, 1);
    });
  }
});
