import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isArtifactTag } from "../src/policy/artifact-tags.js";
import { isNeverChosen, parsePolicy, PolicyError } from "../src/policy/policy.js";

const best = (
  pattern: string,
  tags: string[],
  sort?: NonNullable<Parameters<typeof parsePolicy>[1]>["sort"],
): string | undefined => {
  const p = parsePolicy(pattern, { sort });
  const m = tags.filter((t) => p.matches(t));
  return m.length ? m.reduce((a, b) => (p.compare!(b, a) > 0 ? b : a)) : undefined;
};

describe("policies", () => {
  it("artifact tags (cosign .sig/.att/.sbom, OCI referrers fallback) and latest are never chosen", () => {
    const hex = "ab".repeat(32);
    for (const t of [
      `sha256-${hex}.sig`,
      `sha256-${hex}.att`,
      `sha256-${hex}.sbom`,
      `sha256-${hex}`,
      `sha512-${hex}.sig`,
    ])
      assert.ok(isArtifactTag(t) && isNeverChosen(t), t);
    assert.ok(isNeverChosen("latest") && !isArtifactTag("latest"));
    // A tag that merely starts like one, or a short hash, is an image tag.
    for (const t of ["sha256-abc.sig", `develop-${hex}`, `sha256-${hex}x`, "1.2.3", `sha256-${hex.toUpperCase()}.sig`])
      assert.ok(!isNeverChosen(t), t);
  });
  it("glob: wildcards over the whole tag, a bare value is a glob", () => {
    const p = parsePolicy("glob:develop-*");
    assert.equal(p.kind, "glob");
    assert.equal(p.sort, "build-time");
    assert.ok(p.matches("develop-52af76b8") && p.matches("develop-"));
    assert.ok(!p.matches("xdevelop-1") && !p.matches("master-1"));
    assert.ok(parsePolicy("release-?.?").matches("release-1.2"));
    assert.ok(parsePolicy("glob:v[0-9]*").matches("v9"));
  });
  it("regex: anchored, build-time by default", () => {
    const p = parsePolicy("regex:develop-[0-9a-f]{8}");
    assert.ok(p.matches("develop-52af76b8"));
    assert.ok(!p.matches("develop-52af76b8-dirty") && !p.matches("a-develop-52af76b8"));
    assert.equal(p.compare, undefined);
  });
  it("regex with a named capture: numerical and alphabetical, asc and desc", () => {
    assert.equal(
      best("regex:^main-(?<ts>\\d+)-[a-f0-9]+$", ["main-9-aa", "main-10-bb", "main-2-cc"], { by: "numerical" }),
      "main-10-bb",
    );
    assert.equal(best("regex:^rc-(?<n>\\d+)$", ["rc-9", "rc-10"], { by: "alphabetical" }), "rc-9");
    assert.equal(best("regex:^rc-(?<n>\\d+)$", ["rc-9", "rc-10", "rc-3"], { by: "numerical", order: "desc" }), "rc-3");
    assert.equal(best("regex:^(?<a>[a-z]+)-(?<b>\\d+)$", ["x-1", "y-0"], { by: "numerical", capture: "b" }), "x-1");
    assert.throws(
      () => parsePolicy("regex:^rc-(?<n>\\d+)$", { sort: { by: "numerical", capture: "zz" } }),
      /no named group "zz"/,
    );
  });
  it("semver: node-semver ranges, v prefixes, prereleases excluded by default", () => {
    assert.equal(
      best("semver:^1.2", ["1.2.0", "v1.9.3", "1.10.0", "2.0.0", "1.11.0-rc.1", "latest", "1.12"]),
      "1.10.0",
    );
    assert.equal(best("semver:>=1.0.0 <2", ["v1.0.0", "1.0.1"]), "1.0.1");
    assert.equal(best("semver:~1.11.0-0", ["1.11.0-rc.1", "1.11.0-rc.2"]), "1.11.0-rc.2");
    const pre = parsePolicy("semver:^1", { prerelease: true });
    assert.ok(pre.matches("1.5.0-beta.1"));
    assert.ok(!parsePolicy("semver:^1").matches("1.5.0-beta.1"));
    assert.throws(() => parsePolicy("semver:not a range"), PolicyError);
  });
  it("semver: a tag asked again gets the same answer (versions are parsed once per policy, #12)", () => {
    const p = parsePolicy("semver:^1.0.0");
    // Only strict versions are releases, though the range itself is read loosely: `=1.2.3` and
    // `1.2.3.4` are not versions, a second ask included.
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(
        ["1.2.3", "v1.2.3", "=1.2.3", "1.2", "1.2.3.4", "2.0.0", "1.3.0-rc.1"].map((t) => p.matches(t)),
        [true, true, false, false, false, false, false],
      );
      assert.ok(p.compare!("1.10.0", "1.9.9") > 0);
      assert.ok(p.compare!("v1.0.0", "1.0.0") < 0, "same version: the spelling without a v wins");
      assert.equal(p.compare!("1.2", "1.0.0"), 0, "no version: no order");
    }
  });
  it("rejects empty and invalid patterns", () => {
    assert.throws(() => parsePolicy("glob:"), /empty/);
    assert.throws(() => parsePolicy("regex:("), /invalid regex/);
    assert.throws(() => parsePolicy("glob:a", { sort: { by: "numerical" } }), /regex/);
  });
  it("regexes are RE2 (#13): nested quantifiers are accepted and linear, backreferences and lookaround refused", () => {
    const hostile = `${"a".repeat(30_000)}!`;
    const accepted: [pattern: string, tag: string][] = [
      ["(a+)+b", "aab"],
      ["(a*)*b", "ab"],
      ["(a|aa)+b", "aaab"],
      ["((ab)*)+b", "ababb"],
      ["(.*a){3,}b", "aaab"],
      ["(a+){5}b", "aaaaab"],
      [".*.*.*.*.*.*x", "ax"],
    ];
    for (const [p, tag] of accepted) {
      const policy = parsePolicy(`regex:${p}`);
      // Returns at all: a backtracking engine would need longer than the universe's age here.
      assert.equal(policy.matches(hostile), false, p);
      assert.equal(policy.matches(tag), true, p);
    }
    for (const bad of ["(a)\\1", "(?<x>a)\\k<x>", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<!a)b"]) {
      assert.throws(
        () => parsePolicy(`regex:${bad}`),
        (e: unknown) =>
          e instanceof PolicyError &&
          e.message.includes("backreferences and lookaround") &&
          e.message.includes("RE2 syntax"),
        bad,
      );
    }
    assert.ok(!parsePolicy("regex:v\\d+(\\.\\d+)*").matches(`v1${".1".repeat(60)}x`));
  });
  it("named captures in both RE2 spellings sort numerically", () => {
    for (const g of ["(?P<n>\\d+)", "(?<n>\\d+)"]) {
      const policy = parsePolicy(`regex:build-${g}`, { sort: { by: "numerical", capture: "n" } });
      const tags = ["build-9", "build-10", "build-2", "other-1"].filter((t) => policy.matches(t));
      assert.deepEqual(
        tags.sort((a, b) => policy.compare?.(a, b) ?? 0),
        ["build-2", "build-9", "build-10"],
        g,
      );
    }
  });
});
