#!/usr/bin/env node
// `npm run example` as the first command on a fresh clone: install dependencies and the Debian
// packages it needs, then run examples/run.ts (TypeScript, through tsx, which npm ci brings).
import { spawnSync } from "node:child_process";
import { ensureDependencies, ensureTools } from "./tools.mjs";

const root = new URL("..", import.meta.url).pathname;
ensureDependencies();
ensureTools({ node24: false });
const r = spawnSync(process.execPath, ["--import", "tsx", "examples/run.ts", ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: root,
});
process.exit(r.status ?? 1);
