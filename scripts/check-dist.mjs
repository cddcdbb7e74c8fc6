// Fails when the committed dist/ bundle is not what the current sources build to: the entries,
// every lazily loaded chunk in dist/chunks/, and no chunk the build no longer makes.
import { bundle, CHUNK_DIR } from "./bundle.mjs";
import { readFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
const outputs = await bundle({ write: false });
let stale = [];
for (const { path, text } of outputs) {
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) stale.push(path);
}
const chunkDir = new URL(`../dist/${CHUNK_DIR}`, import.meta.url).pathname;
const made = new Set(outputs.map((o) => o.path));
if (existsSync(chunkDir))
  for (const f of readdirSync(chunkDir))
    if (!made.has(join(chunkDir, f))) stale.push(`${join(chunkDir, f)} (left over)`);
if (stale.length) {
  console.error(`dist/ is stale (run \`npm run bundle\` and commit): ${stale.join(", ")}`);
  process.exit(1);
}
console.log("dist/ is up to date");
