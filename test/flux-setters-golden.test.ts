import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { DEFAULT_MAX_FILE_SIZE } from "../src/config/types.js";
import { planUpdates } from "../src/plan/plan.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanRepository } from "../src/scan/repository.js";
import { MemoryTags } from "./helpers/memory-tags.js";

/**
 * Golden directories for Flux setters (#10): `original/` is a repository (its `.laminar.yaml`
 * included), `expected/` the same files after scan → plan → rewrite. The repository scan runs for
 * real over `original/` (read only), since setters are resolved across files.
 */
const GOLDEN = new URL("./golden-flux/", import.meta.url).pathname;
const tags = () =>
  new MemoryTags({
    "ghcr.io/stefanprodan/podinfo": { "6.5.0": {}, "6.8.1": {}, "6.9.0": {}, "7.0.0": {}, "sha256-1.sig": {} },
    "public.ecr.aws/docker/library/redis": { "8.6.2": {}, "8.8.0": {} },
  });

function filesUnder(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
    .sort();
}

describe("golden directories for Flux setters: original → expected", () => {
  for (const c of readdirSync(GOLDEN, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    it(c.name, async () => {
      const original = join(GOLDEN, c.name, "original");
      const config = parseConfig(readFileSync(join(original, ".laminar.yaml"), "utf8"));
      const include = [...new Set(config.updates.flatMap((u) => u.files))];
      const scan = await scanRepository(original, { include, maxFileSize: DEFAULT_MAX_FILE_SIZE });
      const plan = await planUpdates({ config, files: scan.files, tags: tags() });
      assert.deepEqual(plan.failures, []);
      const names = filesUnder(original);
      for (const n of names) {
        const bytes = readFileSync(join(original, n));
        const edits = plan.changes.filter((ch) => ch.file === n).flatMap((ch) => ch.edits);
        const expected = readFileSync(join(GOLDEN, c.name, "expected", n)).toString("latin1");
        assert.equal(applyEdits(bytes, edits).toString("latin1"), expected, `${c.name}/${n}`);
      }
      assert.deepEqual(names, filesUnder(join(GOLDEN, c.name, "expected")));
    });
  }
});
