import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanFile } from "../src/scan/structured/index.js";
import { MemoryTags } from "./helpers/memory-tags.js";

const GOLDEN = new URL("./golden/", import.meta.url).pathname;
// `1.9` / `1.10` are not semver (two parts): the quoting golden orders them by their minor number.
const config = parseConfig(
  [
    "updates:",
    '  - pattern: "semver:^1.0.0"',
    '    files: ["**"]',
    '    images: ["ghcr.io/acme/app", "ghcr.io/acme/cache"]',
    '  - pattern: "regex:1\\\\.(?<minor>\\\\d+)"',
    '    files: ["**"]',
    '    images: ["ghcr.io/acme/quoting"]',
    "    sort: {by: numerical, capture: minor}",
    "",
  ].join("\n"),
);
const tags = () =>
  new MemoryTags({
    "ghcr.io/acme/app": { "1.2.3": {}, "1.4.0": {}, "2.0.0-rc.1": {} },
    "ghcr.io/acme/cache": { "1.2.3": {}, "1.3.0": {} },
    // 1.10 written plain would read as the number 1.1: the quoting golden.
    "ghcr.io/acme/quoting": { "1.9": {}, "1.10": {} },
  });

/** Scans, plans and rewrites every file of `original/` in memory, the way `laminar apply` does on disk. */
async function run(dir: string): Promise<Map<string, string>> {
  const names = readdirSync(join(dir, "original")).sort();
  const bytes = new Map(names.map((n) => [n, readFileSync(join(dir, "original", n))]));
  const files = names.map((n) => ({
    path: n,
    references: scanFile((bytes.get(n) as Buffer).toString("latin1"), n).sites,
  }));
  const plan = await planUpdates({ config, files, tags: tags() });
  assert.deepEqual(plan.failures, []);
  const out = new Map<string, string>();
  for (const n of names) {
    const edits = plan.changes.filter((c) => c.file === n).flatMap((c) => c.edits);
    out.set(n, applyEdits(bytes.get(n) as Buffer, edits).toString("latin1"));
  }
  return out;
}

describe("golden directories: original → expected per form", () => {
  for (const form of readdirSync(GOLDEN, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    it(form.name, async () => {
      const dir = join(GOLDEN, form.name);
      const got = await run(dir);
      for (const [name, text] of got)
        assert.equal(text, readFileSync(join(dir, "expected", name)).toString("latin1"), `${form.name}/${name}`);
      assert.deepEqual([...got.keys()], readdirSync(join(dir, "expected")).sort());
    });
  }
});
