/**
 * The Action's log: every line it writes goes through here, so text from outside (registry answers,
 * file names, git's remote messages, command output) passes the terminal sink
 * (src/output/terminal.ts) once. `core.info` writes its text as it is, so without this a registry
 * message with `\n::add-mask::…` or a file name with `\n::warning::…` would run as a workflow
 * command (issue #13). `core.warning`/`error`/`setFailed` escape newlines themselves; their text still
 * loses its control characters here, and their properties are escaped by `core`.
 */
import * as core from "@actions/core";
import { terminalText } from "../output/terminal.js";

/** A line of the step's log. */
export function info(message: string): void {
  core.info(terminalText(message));
}

/** A debug line (shown when the run has step debug logging on). */
export function debug(message: string): void {
  core.debug(terminalText(message));
}

/** A warning annotation. */
export function warning(message: string, properties?: core.AnnotationProperties): void {
  core.warning(terminalText(message), properties);
}

/** An error annotation that does not fail the step. */
export function error(message: string, properties?: core.AnnotationProperties): void {
  core.error(terminalText(message), properties);
}

/** Fails the step with this message. */
export function failed(message: string): void {
  core.setFailed(terminalText(message));
}

/**
 * Runs `fn` inside a folded log group; the group is closed however `fn` ends (issue #13: a failed
 * run left groups open, folding the error into the last phase).
 */
export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  core.startGroup(terminalText(name));
  try {
    return await fn();
  } finally {
    core.endGroup();
  }
}
