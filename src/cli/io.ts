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
  /**
   * Traps Ctrl-C / SIGTERM for a run that must clean up (apply): the signal aborts, `received` names
   * it. The executable passes one; tests running in-process need not.
   */
  readonly trapInterrupts?: () => InterruptTrap;
}

/** Signals trapped while `laminar apply` runs; `release` restores the default behaviour. */
export interface InterruptTrap {
  readonly signal: AbortSignal;
  received(): NodeJS.Signals | undefined;
  release(): void;
}

/** The exit status of a process ended by `sig`, as shells report it (128 + its number). */
export const signalStatus = (sig: NodeJS.Signals): number => (sig === "SIGINT" ? 130 : sig === "SIGTERM" ? 143 : 1);

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
    trapInterrupts,
  };
}

/** The process's SIGINT/SIGTERM as an abort signal while a run must clean up (apply). */
function trapInterrupts(): ReturnType<NonNullable<CliIo["trapInterrupts"]>> {
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
}
