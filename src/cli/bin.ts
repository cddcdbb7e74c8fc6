#!/usr/bin/env node
// The `laminar` executable (dist/cli.js is bundled from this file). Only this entry runs the CLI;
// src/cli/main.ts is a module that tests and the library import without side effects.
import { describeError, processIo } from "./io.js";
import { main } from "./main.js";
import { tuneV8 } from "../v8-flags.js";

tuneV8();

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
