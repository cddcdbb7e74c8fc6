// Fails when the committed dist/ bundle is not what the current sources build to.
import { bundle } from "./bundle.mjs";
import { readFileSync, existsSync } from "node:fs";
const outputs = await bundle({ write: false });
let stale = [];
for (const { path, text } of outputs) {
  if (!existsSync(path) || readFileSync(path, "utf8") !== text) stale.push(path);
}
if (stale.length) {
  console.error(`dist/ is stale (run \`npm run bundle\` and commit): ${stale.join(", ")}`);
  process.exit(1);
}
console.log("dist/ is up to date");
