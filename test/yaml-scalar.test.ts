import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { readsAsNonString, tagText } from "../src/rewrite/yaml-scalar.js";

// Tags that, written plain, a YAML 1.1 or 1.2 core parser reads as a number, bool or null.
// prettier-ignore
const NON_STRING = [
  "1.10", "2024.01", "1", "0", "10", "012", "08", "0x1F", "0o17", "0b101", "1e3", "1E3", "1e+3", "10e10",
  "1.0e-3", "1.", "e3", "1_000", "1_", "0_8", "1.2_3", "true", "True", "FALSE", "yes", "Yes", "No", "y", "Y",
  "n", "on", "On", "OFF", "off", "null", "NULL",
];
// The `yaml` package reads these as strings, but go-yaml v2 (Helm, sigs.k8s.io/yaml) hands them to
// strconv.ParseInt with base 0, which takes an upper-case prefix: quote them too.
const GO_YAML_NUMBERS = ["0X1f", "0B101", "0O17"];
// Tags that stay strings written plain: semver, prefixed versions, words, almost-numbers.
// prettier-ignore
const STRING = [
  "1.2.3", "1.10-alpha", "v1.10", "latest", "develop-abc", "2024.01.05", "1.2e3.4", "9e", "0xZZ", "0b2",
  "_1", "a_1", "inf", "nan", "yes-1", "null-2", "on_call", "nightly", "1-2", "sha-abc1234", "0.1.0-rc.1",
];

describe("tag text: the value stays a string (issue #10)", () => {
  it("quotes plain scalars that would read as a number, bool or null, in YAML 1.1 and 1.2", () => {
    for (const tag of [...NON_STRING, ...GO_YAML_NUMBERS]) {
      assert.equal(readsAsNonString(tag), true, tag);
      const w = tagText("plain", tag);
      assert.deepEqual(w, { text: `"${tag}"`, quoted: true }, tag);
      for (const version of ["1.1", "1.2"] as const)
        assert.equal(parse(`tag: ${w.text}`, { version }).tag, tag, `${tag} in YAML ${version}`);
    }
  });
  it("the table is honest: each of those tags written plain is a non-string in some YAML version", () => {
    for (const tag of NON_STRING) {
      const kinds = (["1.1", "1.2"] as const).map((version) => typeof parse(`tag: ${tag}`, { version }).tag);
      assert.ok(
        kinds.some((k) => k !== "string"),
        `${tag}: ${kinds.join(", ")}`,
      );
    }
  });
  it("leaves tags that stay strings plain, and they parse back as the same string", () => {
    for (const tag of STRING) {
      assert.equal(readsAsNonString(tag), false, tag);
      assert.deepEqual(tagText("plain", tag), { text: tag, quoted: false }, tag);
      for (const version of ["1.1", "1.2"] as const)
        assert.equal(parse(`tag: ${tag}`, { version }).tag, tag, `${tag} in YAML ${version}`);
    }
  });
  it("writes a tag inside a reference or a quoted scalar as is: a quoted value stays quoted", () => {
    for (const tag of [...NON_STRING, ...STRING]) {
      assert.deepEqual(tagText("reference", tag), { text: tag, quoted: false });
      assert.deepEqual(tagText(undefined, tag), { text: tag, quoted: false });
      assert.deepEqual(tagText("double-quoted", tag), { text: tag, quoted: false });
      assert.deepEqual(tagText("single-quoted", tag), { text: tag, quoted: false });
      for (const version of ["1.1", "1.2"] as const) {
        assert.equal(parse(`tag: "${tag}"`, { version }).tag, tag, `"${tag}" in YAML ${version}`);
        assert.equal(parse(`tag: '${tag}'`, { version }).tag, tag, `'${tag}' in YAML ${version}`);
      }
    }
  });
});
