/**
 * Peak-RSS wrapper for machines without GNU time:
 *
 *   BENCH_MEASURE_OUT=F node --import tsx bench/measure-child.ts SCRIPT [ARGS...]
 *
 * runs SCRIPT in this process (as if it were `node SCRIPT ARGS...`) and, when the process exits,
 * writes `{"maxRssKb": N}` to F from `process.resourceUsage().maxRSS`. Node cannot read a child's
 * rusage, hence in-process. The figure includes tsx's own footprint, so /usr/bin/time is
 * preferred when present (bench/measure.ts decides).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [script, ...args] = process.argv.slice(2);
const out = process.env.BENCH_MEASURE_OUT;
if (!script || !out) {
  process.stderr.write("usage: BENCH_MEASURE_OUT=FILE node --import tsx bench/measure-child.ts SCRIPT [ARGS...]\n");
  process.exit(2);
}
const path = resolve(script);
// The script sees the argv it would see when run directly (the CLI decides to run from argv[1]).
process.argv = [process.argv[0] as string, path, ...args];
process.on("exit", () => {
  writeFileSync(out, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS }));
});
await import(pathToFileURL(path).href);
