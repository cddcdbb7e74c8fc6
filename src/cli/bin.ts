#!/usr/bin/env node
// The `laminar` executable (dist/cli.js is bundled from this file). Only this entry runs the CLI;
// src/cli/main.ts is a module that tests and the library import without side effects.
import { setFlagsFromString } from "node:v8";
import { describeError, processIo } from "./io.js";
import { main } from "./main.js";

// Node's fetch parses HTTP with llhttp compiled to WebAssembly, and V8's optimizing tier for that
// module alone costs about 30 MB of RSS, a third of a small `plan` (#12). The baseline compiler
// parses short answers about as fast; it must be chosen before the first fetch. Registry requests
// no longer use fetch (src/registry/http.ts: node:http); GitHub's API (Octokit) and some cloud SDKs
// still do. At 2,000 files / 500 repositories the flag cost no measurable CPU or wall time.
setFlagsFromString("--liftoff-only");

const io = processIo();
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    io.err(`laminar: ${describeError(e)}`);
    process.exitCode = 1;
  },
);
