import { CommandFailedError } from "../apply/apply.js";
import { ConfigError } from "../config/errors.js";
import { terminalText } from "../output/terminal.js";
import type { ProgressStream } from "./progress.js";

/** Where the CLI writes and what it runs in; tests pass their own to run it in-process. */
export interface CliIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The terminal for the progress line (process.stderr); none in tests and pipes. */
  readonly progress?: ProgressStream;
}

/** One line a person can act on; the config error already names file, line and key. */
export function describeError(e: unknown): string {
  if (e instanceof ConfigError) return `config error: ${e.message}`;
  if (e instanceof CommandFailedError)
    return `${e.message}\n--- output of \`${e.result.command}\` ---\n${e.result.output.trimEnd()}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

/**
 * Writes `text` and a newline to `stream` through the terminal sink (src/output/terminal.ts): the
 * one place every line the CLI prints passes, so registry text, file names and command output can
 * neither drive the terminal (escape sequences) nor run a GitHub Actions workflow command when the
 * CLI runs in a step (issue #13).
 */
export function printTo(stream: { write(s: string): unknown }): (text: string) => void {
  return (text) => void stream.write(`${terminalText(text)}\n`);
}

/** The real process's io: stdout, stderr (each line through {@link printTo}), environment, cwd. */
export function processIo(): CliIo {
  return {
    out: printTo(process.stdout),
    err: printTo(process.stderr),
    env: process.env,
    cwd: process.cwd(),
    progress: process.stderr,
  };
}
