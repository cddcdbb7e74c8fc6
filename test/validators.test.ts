// The `.laminar.yaml` validator and the registry wire shapes are compiled ahead of time
// (scripts/validators.mjs, #12): this fails while a generated file lags behind its schemas, and
// checks the generated config validator still rejects bad input with file, line and key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { validatorSource, VALIDATOR_FILE, WIRE_FILE, wireSource } from "../scripts/validators.mjs";
import { parseConfig } from "../src/config/parse.js";
import { ConfigError } from "../src/config/errors.js";

test("the generated config validator matches src/config/schema.ts (run `npm run validators`)", () => {
  assert.equal(readFileSync(VALIDATOR_FILE, "utf8"), validatorSource());
});

test("the generated wire validators match the shape(...) declarations of src/registry/ (run `npm run validators`)", () => {
  assert.equal(readFileSync(WIRE_FILE, "utf8"), wireSource());
});

test("the generated validator reports the key and line of a schema error", () => {
  const text = "updates:\n  - name: x\n    pattern: 'semver:^1'\n    files: [a]\n    colour: red\n";
  assert.throws(
    () => parseConfig(text),
    (e: unknown) => e instanceof ConfigError && e.line === 5 && /colour/.test(e.message),
  );
  assert.equal(parseConfig("updates:\n  - pattern: 'semver:^1'\n    files: [a]\n").updates.length, 1);
});
