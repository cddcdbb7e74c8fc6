import { CommandFailedError } from "../apply/apply.js";
import { ConfigError } from "../config/errors.js";
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
