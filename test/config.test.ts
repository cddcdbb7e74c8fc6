import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError } from "../src/config/errors.js";
import { loadConfig } from "../src/config/load.js";
import { parseConfig } from "../src/config/parse.js";
import { laminarSchema } from "../src/config/schema.js";

function error(text: string): ConfigError {
  try {
    parseConfig(text, "repo/.laminar.yaml");
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("parseConfig: the original laminar format", () => {
  it("accepts updates/pattern/files[].path/blacklist, dockerRegistries and preCommitCommands unchanged", () => {
    const c = parseConfig(
      [
        "dockerRegistries:",
        "- reg: 1122334455.dkr.ecr.eu-west-2.amazonaws.com/acmecorp",
        "  name: acmecorp-aws",
        "  timeOut: 30",
        "updates:",
        '- pattern: "glob:develop-*"',
        "  files:",
        "  - path: dev/",
        "  - path: inventory/classes/images-dev.yml",
        "  blacklist:",
        '  - pattern: "glob:develop-bad*"',
        "preCommitCommands:",
        "- make render",
        "global:",
        "  gitUser: Laminar",
        "  gitEmail: laminar@example.com",
        "",
      ].join("\n"),
    );
    assert.deepEqual(c.registries, [
      { host: "1122334455.dkr.ecr.eu-west-2.amazonaws.com", prefix: "acmecorp", name: "acmecorp-aws", timeout: 30 },
    ]);
    assert.equal(c.updates.length, 1);
    const u = c.updates[0]!;
    assert.deepEqual(u.files, ["dev", "inventory/classes/images-dev.yml"]);
    assert.equal(u.policy.kind, "glob");
    assert.ok(u.policy.matches("develop-52af76b8"));
    assert.ok(!u.policy.matches("master-1"));
    assert.equal(u.exclude.length, 1);
    assert.ok(u.exclude[0]!.policy.matches("develop-bad1"));
    assert.deepEqual(c.commands, [{ run: "make render", timeout: 600 }]);
    assert.deepEqual(c.commit, { authorName: "Laminar", authorEmail: "laminar@example.com" });
  });
});

describe("parseConfig: the modern form", () => {
  it("accepts file globs, exclude, images, regex sort, semver, registries and commands", () => {
    const c = parseConfig(`
registries:
  - host: localhost:5000
    insecure: true
    usernameEnv: REG_USER
    passwordEnv: REG_PASS
updates:
  - name: dev
    pattern: "glob:develop-*"
    files: ["dev/**/*.yaml", "compose.yaml"]
    images: ["acme/*"]
    exclude: ["develop-broken", {pattern: "regex:develop-0.*", images: ["acme/old"]}]
  - pattern: "regex:^build-(?<n>\\\\d+)$"
    sort: numerical
    files: [ci/]
  - pattern: "semver:^1.2"
    files: [prod]
commands:
  - make render
  - {run: "./check.sh", timeout: 30}
scan:
  maxFileSize: 1000
  exclude: ["vendor/**"]
`);
    assert.equal(c.updates[0]!.name, "dev");
    assert.deepEqual(c.updates[0]!.images, ["acme/*"]);
    assert.equal(c.updates[0]!.exclude.length, 2);
    assert.deepEqual(c.updates[0]!.exclude[1]!.images, ["acme/old"]);
    const r = c.updates[1]!.policy;
    assert.equal(r.sort, "numerical");
    assert.ok(r.compare!("build-10", "build-9") > 0);
    assert.ok(!r.matches("xbuild-1"), "regexes are anchored");
    assert.equal(c.updates[2]!.policy.kind, "semver");
    assert.deepEqual(c.commands[1], { run: "./check.sh", timeout: 30 });
    assert.deepEqual(c.scan, { maxFileSize: 1000, exclude: ["vendor/**"] });
    assert.equal(c.registries[0]!.insecure, true);
    assert.equal(c.updates[0]!.position.line, 8);
  });
});

describe("parseConfig: errors name file, line, column and key", () => {
  it("unknown keys, with a suggestion", () => {
    const e = error("updates:\n  - pattern: glob:x\n    files: [a]\n    exlude: [b]\n");
    assert.equal(e.key, "updates[0].exlude");
    assert.equal(e.line, 4);
    assert.equal(e.column, 5);
    assert.match(
      e.message,
      /^repo\/\.laminar\.yaml:4:5: updates\[0\]\.exlude: unknown key "exlude" \(did you mean "exclude"\?\)/,
    );
  });
  it("wrong types", () => {
    const e = error("updates:\n  - pattern: 12\n    files: [a]\n");
    assert.equal(e.key, "updates[0].pattern");
    assert.equal(e.line, 2);
    assert.match(e.detail, /must be a string/);
    const f = error("updates:\n  - pattern: glob:x\n    files: a\n");
    assert.equal(f.key, "updates[0].files");
    assert.match(f.detail, /must be a list/);
  });
  it("missing required keys", () => {
    const e = error("updates:\n  - pattern: glob:x\n");
    assert.equal(e.key, "updates[0]");
    assert.match(e.detail, /missing required key "files"/);
  });
  it("invalid glob, regex and semver range", () => {
    assert.match(error("updates:\n  - pattern: 'glob:develop-['\n    files: [a]\n").detail, /invalid glob/);
    const r = error("updates:\n  - pattern: 'regex:develop-(\\d+'\n    files: [a]\n");
    assert.equal(r.key, "updates[0].pattern");
    assert.equal(r.line, 2);
    assert.match(r.detail, /invalid regex/);
    assert.match(error("updates:\n  - pattern: 'semver:>>1.x.y.z'\n    files: [a]\n").detail, /invalid semver range/);
    assert.match(error("updates:\n  - pattern: glob:x\n    files: ['k8s/[a']\n").detail, /invalid glob/);
  });
  it("regexes are RE2 (#13): nested quantifiers load and run linear; backreferences are refused at their line", () => {
    const c = parseConfig("updates:\n  - pattern: 'regex:(a+)+b'\n    files: [a]\n    exclude: ['regex:(x|xx)*z']\n");
    assert.equal(c.updates[0]?.policy.matches(`${"a".repeat(30_000)}!`), false);
    assert.equal(c.updates[0]?.exclude[0]?.policy.matches(`${"x".repeat(30_000)}!`), false);
    const e = error("updates:\n  - pattern: 'regex:(a)-\\1'\n    files: [a]\n");
    assert.equal(e.key, "updates[0].pattern");
    assert.equal(e.line, 2);
    assert.match(e.detail, /backreferences and lookaround .* not supported.*RE2 syntax, as in Flux/);
  });
  it("ordinary patterns pass the safety check: a separator that closes the repeated group (#13)", () => {
    const c = parseConfig("updates:\n  - pattern: 'regex:^v(\\d+\\.)*\\d+$'\n    files: [a]\n");
    const policy = c.updates[0]?.policy;
    assert.equal(policy?.matches("v1.22.3"), true);
    assert.equal(policy?.matches("v1.22.x"), false);
    assert.equal(
      parseConfig("updates:\n  - pattern: 'regex:(a+\\.?)+b'\n    files: [a]\n").updates[0]?.policy.matches("a.ab"),
      true,
    );
  });
  it(
    "literal excludes are compared as strings: 50k of them load, with no timing check to fail at random (#13)",
    { timeout: 300_000 },
    () => {
      const n = 50_000;
      const list = Array.from({ length: n }, (_, i) => (i % 2 ? `      - v${i}.1` : `      - regex:v${i}\\.2`)).join(
        "\n",
      );
      const c = parseConfig(`updates:\n  - pattern: glob:v*\n    files: [a]\n    exclude:\n${list}\n`);
      const exclude = c.updates[0]?.exclude ?? [];
      assert.equal(exclude.length, n);
      assert.equal(exclude[1]?.policy.literal, "v1.1");
      assert.equal(exclude[2]?.policy.literal, "v2.2");
      assert.equal(exclude[2]?.policy.matches("v2.2"), true);
      assert.equal(exclude[2]?.policy.matches("v2x2"), false, "an escaped dot is a dot");
    },
  );
  it("YAML merge keys (<<: *anchor) are accepted (#13)", () => {
    const c = parseConfig(
      "updates:\n  - &base\n    pattern: glob:develop-*\n    files: [k8s]\n  - <<: *base\n    pattern: glob:main-*\n",
    );
    assert.deepEqual(
      c.updates.map((u) => [u.policy.source, u.files]),
      [
        ["glob:develop-*", ["k8s"]],
        ["glob:main-*", ["k8s"]],
      ],
    );
  });
  it("sort by capture needs a named group", () => {
    const e = error("updates:\n  - pattern: 'regex:build-\\d+'\n    sort: numerical\n    files: [a]\n");
    assert.equal(e.key, "updates[0].sort");
  });
  it("duplicate update entries", () => {
    const e = error("updates:\n  - pattern: glob:x\n    files: [a]\n  - pattern: glob:x\n    files: [a/]\n");
    assert.equal(e.key, "updates[1]");
    assert.equal(e.line, 4);
    assert.match(e.detail, /duplicate of updates\[0\]/);
  });
  it("paths that escape the repository", () => {
    const e = error("updates:\n  - pattern: glob:x\n    files: [../other]\n");
    assert.equal(e.key, "updates[0].files[0]");
    assert.equal(e.line, 3);
    assert.match(e.detail, /outside the repository/);
    assert.match(error("updates:\n  - pattern: glob:x\n    files: [{path: /etc}]\n").detail, /absolute/);
    assert.match(error("updates:\n  - pattern: glob:x\n    files: [a/../../b]\n").detail, /outside the repository/);
  });
  it("empty file, YAML syntax errors, duplicate keys", () => {
    assert.match(error("").detail, /empty/);
    assert.match(error("# only a comment\n").detail, /empty/);
    const s = error("updates:\n  - pattern: [unclosed\n");
    assert.match(s.detail, /YAML syntax error/);
    assert.ok(s.line >= 2);
    assert.match(error("updates: []\nupdates: []\n").detail, /YAML syntax error/);
  });
  it("alias bombs, deep nesting and huge documents are refused", () => {
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
      );
    assert.match(error(bomb.join("\n")).detail, /alias/i);
    assert.match(error(`${"[".repeat(200)}${"]".repeat(200)}`).detail, /nesting|YAML|parse/);
    assert.match(error(`updates: []\n# ${"x".repeat(1024 * 1024)}`).detail, /larger than/);
  });
  it("both original and modern names for one thing", () => {
    const e = error(
      "dockerRegistries: [{reg: a.io}]\nregistries: [{host: b.io}]\nupdates:\n  - pattern: glob:x\n    files: [a]\n",
    );
    assert.equal(e.key, "dockerRegistries");
    assert.equal(e.line, 1);
  });
});

describe("loadConfig", () => {
  it("names a missing file and refuses a files entry that links outside the repository", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-config-"));
    await assert.rejects(
      loadConfig(dir),
      (e: unknown) => e instanceof ConfigError && /not found/.test(e.message) && e.file === ".laminar.yaml",
    );
    const outside = await mkdtemp(join(tmpdir(), "laminar-outside-"));
    await symlink(outside, join(dir, "linked"));
    await mkdir(join(dir, "dev"));
    await writeFile(
      join(dir, ".laminar.yaml"),
      "updates:\n  - pattern: glob:x\n    files:\n      - dev\n      - linked\n",
    );
    await assert.rejects(
      loadConfig(dir),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.key === "updates[0].files[1]" &&
        e.line === 5 &&
        /symbolic link pointing outside/.test(e.message),
    );
  });
});

describe("schema/laminar.schema.json", () => {
  it("is the schema the code validates with", async () => {
    const file = JSON.parse(await readFile(new URL("../schema/laminar.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(file, laminarSchema, "run `npm run schema` to regenerate");
  });
});

describe("parseConfig: Docker Hub spellings", () => {
  // One alias list (src/reference/docker-hub.ts) for config, credentials and the client: a
  // `registries` entry for registry.hub.docker.com must select docker.io references.
  it("every Docker Hub host name is the registry docker.io", () => {
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]) {
      const c = parseConfig(`registries: [{host: ${host}/acme}]\nupdates:\n  - pattern: glob:x\n    files: [a]\n`);
      assert.equal(c.registries[0]?.host, "docker.io", host);
      assert.equal(c.registries[0]?.prefix, "acme", host);
    }
  });
});

describe("cloud registry settings (#11)", () => {
  const withRegistry = (lines: string) =>
    `version: 1\nregistries:\n  - host: 123456789012.dkr.ecr.eu-west-1.amazonaws.com\n${lines}\nupdates:\n  - files: ["*.yaml"]\n    images: ["x/y"]\n    pattern: "semver:^1"\n`;

  it("aws: roleArn, region, profile, endpoint; cloud", () => {
    const c = parseConfig(
      withRegistry(
        "    cloud: aws\n    aws:\n      roleArn: arn:aws:iam::210987654321:role/laminar\n      region: eu-west-1\n      profile: ci\n      endpoint: https://vpce.example",
      ),
    );
    assert.equal(c.registries[0]?.cloud, "aws");
    assert.deepEqual(c.registries[0]?.aws, {
      roleArn: "arn:aws:iam::210987654321:role/laminar",
      region: "eu-west-1",
      profile: "ci",
      endpoint: "https://vpce.example",
    });
  });

  it("bad values are named with file, line and key", () => {
    assert.throws(
      () => parseConfig(withRegistry("    aws:\n      roleArn: not-an-arn")),
      /\.laminar\.yaml:5:16: registries\[0\]\.aws\.roleArn: must match pattern/,
    );
    assert.throws(
      () => parseConfig(withRegistry("    aws:\n      regio: eu-west-1")),
      /\.laminar\.yaml:5:7: registries\[0\]\.aws\.regio: unknown key "regio" \(did you mean "region"\?\)/,
    );
    assert.throws(
      () => parseConfig(withRegistry("    cloud: gcp")),
      /\.laminar\.yaml:4:12: registries\[0\]\.cloud: must be one of "aws", "google", "azure", "none"/,
    );
  });
});
