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
  trapInterrupts: () => {
    const controller = new AbortController();
    let received: NodeJS.Signals | undefined;
    const on = (sig: NodeJS.Signals) => (): void => {
      // The first signal stops the run cleanly; a second one ends the process at once (default action).
      received = sig;
      release();
      controller.abort();
    };
    const onInt = on("SIGINT");
    const onTerm = on("SIGTERM");
    const release = (): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    };
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return { signal: controller.signal, received: () => received, release };
  },
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`laminar: ${describeError(e)}\n`);
    process.exitCode = 1;
  },
);
