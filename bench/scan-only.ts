/**
 * Only the scan comparison of the benchmark (issue #12), without a registry or plan runs:
 *
 *   npx tsx bench/scan-only.ts [--corpus-mb 100] [--scan-runs 5] [--dir DIR]
 *
 * writes the corpus as `bench/run.ts` does (bench/corpus.ts; the registry host and digests are
 * stand-ins, the scanner never asks a registry), reusing DIR when it already holds one, then runs
 * compareScan (bench/scan-bench.ts) and prints its figures and one JSON line.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeCorpus } from "./corpus.js";
import { refPicker } from "./manifests.js";
import { buildRepos } from "./registry-data.js";
import { compareScan, type ToolScan } from "./scan-bench.js";

const { values } = parseArgs({
  options: {
    "corpus-mb": { type: "string", default: "100" },
    "scan-runs": { type: "string", default: "5" },
    dir: { type: "string" },
  },
});
const mb = Number(values["corpus-mb"]);
const runs = Number(values["scan-runs"]);
if (!(mb > 0) || !(runs > 0)) throw new Error("--corpus-mb and --scan-runs take positive numbers");
const dir = values.dir ?? join(tmpdir(), `laminar-scan-corpus-${mb}mb`);

if (!existsSync(join(dir, ".laminar.yaml"))) {
  // The same repositories as the default bench (50 × 500); any digest will do for a pinned reference.
  const host = "127.0.0.1:5000";
  const repos = buildRepos(50, 500);
  const digests = new Map<string, string>();
  for (const r of repos)
    for (const t of r.tags)
      digests.set(`${r.name}:${t.tag}`, `sha256:${createHash("sha256").update(`${r.name}:${t.tag}`).digest("hex")}`);
  const t = performance.now();
  const c = await writeCorpus(dir, { mb, repos, host, pick: refPicker(host, digests) });
  console.error(
    `corpus: ${c.files} files, ${(c.bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
}
const s = await compareScan(dir, runs);
const line = (name: string, x: ToolScan | undefined): string =>
  x
    ? `${name.padEnd(22)} ${x.mbPerS.toFixed(1).padStart(7)} MB/s  median ${x.medianMs.toFixed(0)} ms  matches ${x.matches}`
    : "";
console.error(`${dir}: ${s.files} files, ${(s.bytes / 1e6).toFixed(1)} MB`);
console.error(line("laminar scanRepository", s.laminar));
console.error(line("laminar scanText only", s.laminarTextOnly));
console.error(line("rg", s.rg));
console.error(line("rg -j1", s.rgOneThread));
console.error(
  s.ratio === undefined
    ? (s.rgMissing ?? "")
    : `ratio rg ÷ laminar: ${s.ratio.toFixed(2)}× (of the medians), ${s.pairedRatio?.toFixed(2)}× (median of each turn's)`,
);
console.log(JSON.stringify(s));
