import { spawn } from "node:child_process";
import type { SecretMasker } from "../secrets/masker.js";

/** What one git invocation produced. Output is kept whole: callers parse it (porcelain formats). */
export interface GitOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Standard output as bytes, when asked for with `binary` (`cat-file --batch` sizes count bytes). */
  readonly stdoutBytes?: Buffer;
}

export interface ExecGitOptions {
  readonly cwd: string;
  /** Variables added on top of the fixed environment (identity, scoped config). */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to git's standard input, then closed (commit messages, object content). */
  readonly input?: string | Buffer;
  /** Masks the secrets (the token and its forms) that must never leave this module in an error message. */
  readonly secrets?: SecretMasker;
  /** Also return standard output as bytes (`stdoutBytes`). */
  readonly binary?: boolean;
}

/**
 * Variables that would make git act on a repository other than `cwd`, or carry config we did not
 * choose. They leak in when Laminar itself runs from a git hook or from a wrapper script.
 */
const INHERITED_GIT_VARIABLES = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  // Any askpass program would open a prompt (or a GUI) on a runner; we want a plain failure.
  "GIT_ASKPASS",
  "SSH_ASKPASS",
];

/**
 * The environment every git command runs with. Fixed so that output is parseable and a missing
 * credential fails at once instead of waiting for a prompt that nobody will answer:
 * - `GIT_TERMINAL_PROMPT=0`: no username/password prompt on the terminal.
 * - `GCM_INTERACTIVE=never`: Git Credential Manager (Windows/macOS runners) must not pop up either.
 * - `LC_ALL=C`: messages in English, so stderr classification (push results) is stable.
 */
export function gitEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_GIT_VARIABLES) delete env[name];
  return {
    ...env,
    GIT_TERMINAL_PROMPT: "0",
    GCM_INTERACTIVE: "never",
    LC_ALL: "C",
    LANG: "C",
    ...extra,
  };
}

/** Runs git and resolves with its exit code and output; never rejects on a non-zero exit. */
export function execGit(args: readonly string[], options: ExecGitOptions): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd: options.cwd,
      env: gitEnvironment(options.env),
      stdio: ["pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const mask = (text: string): string => options.secrets?.mask(text) ?? text;
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => reject(new Error(`could not start git: ${e.message}`)));
    child.on("close", (code, signal) => {
      const bytes = Buffer.concat(out);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        ...(options.binary ? { stdoutBytes: bytes } : {}),
        stdout: bytes.toString("utf8"),
        stderr: mask(Buffer.concat(err).toString("utf8")),
      });
    });
    // EPIPE when git exits before reading stdin (e.g. a bad argument) is not our error to report.
    child.stdin.on("error", () => undefined);
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
  });
}

/** A git command that exited non-zero where the caller needed success. */
export class GitCommandError extends Error {
  override readonly name = "GitCommandError";
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed with exit code ${exitCode}: ${stderr.trim() || "(no output)"}`);
  }
}
