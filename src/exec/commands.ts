import { spawn } from "node:child_process";
import type { CommandSpec } from "../config/types.js";

export interface CommandResult {
  readonly command: string;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  /** Killed because the caller's AbortSignal fired (e.g. `laminar serve` shutting down). */
  readonly aborted: boolean;
  /** stdout and stderr interleaved, the last 64 KiB. */
  readonly output: string;
  readonly durationMs: number;
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Runs one configured command with `sh -c` in `cwd`; kills its whole process group on timeout, or
 * when `signal` aborts (so a server that is stopping does not wait for a long command).
 */
export function runCommand(
  spec: CommandSpec,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  signal?: AbortSignal,
): Promise<CommandResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", spec.run], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const take = (chunk: Buffer): void => {
      output += chunk.toString("utf8");
      if (output.length > OUTPUT_LIMIT * 2) output = output.slice(-OUTPUT_LIMIT);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    let timedOut = false;
    let aborted = false;
    const killGroup = (): void => {
      try {
        process.kill(-(child.pid as number), "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, spec.timeout * 1000);
    const onAbort = (): void => {
      aborted = true;
      killGroup();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const done = (exitCode: number | null, killedBy: string | null): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve({
        command: spec.run,
        exitCode,
        signal: killedBy,
        timedOut,
        aborted,
        output: output.slice(-OUTPUT_LIMIT),
        durationMs: Date.now() - started,
      });
    };
    child.on("error", (e) => {
      output += `\n${e.message}`;
      finish(127, null);
    });
    // Finished means the command exited, not that its output closed: a background process it left
    // (a daemon, `sleep 600 &`) keeps the pipes open and would hold the run until the timeout (issue
    // #13). Output still in flight gets a short grace period, then the pipes are let go.
    let settled = false;
    const finish = (code: number | null, killedBy: string | null): void => {
      if (settled) return;
      settled = true;
      done(code, killedBy);
    };
    child.on("exit", (code, killedBy) => {
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, killedBy);
      }, OUTPUT_GRACE_MS);
      child.on("close", () => {
        clearTimeout(grace);
        finish(code, killedBy);
      });
    });
  });
}

/** How long output may keep arriving after the command exited (see the `exit` handler). */
const OUTPUT_GRACE_MS = 500;

export function commandFailed(r: CommandResult): boolean {
  return r.timedOut || r.aborted || r.exitCode !== 0;
}

export function describeFailure(r: CommandResult, timeout: number): string {
  if (r.timedOut) return `command \`${r.command}\` timed out after ${timeout}s`;
  if (r.aborted) return `command \`${r.command}\` was stopped: the run was abandoned`;
  if (r.signal) return `command \`${r.command}\` was killed by ${r.signal}`;
  return `command \`${r.command}\` failed with exit code ${r.exitCode}`;
}
