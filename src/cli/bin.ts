#!/usr/bin/env node
// The `laminar` executable (dist/cli.js is bundled from this file). Only this entry runs the CLI;
// src/cli/main.ts is a module that tests and the library import without side effects.
import { describeError } from "./io.js";
import { main } from "./main.js";

main(process.argv.slice(2), {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  env: process.env,
  cwd: process.cwd(),
  progress: process.stderr,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`laminar: ${describeError(e)}\n`);
    process.exitCode = 1;
  },
);
