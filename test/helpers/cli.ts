import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;

/** Runs the CLI the way a user does: a child process, its stdout, stderr and exit status. */
export function laminar(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A temporary directory holding `files` (repo-relative path → text). */
export async function writeRepo(files: Record<string, string>, prefix = "laminar-repo-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  for (const [p, text] of Object.entries(files)) {
    await mkdir(join(dir, p, ".."), { recursive: true });
    await writeFile(join(dir, p), text);
  }
  return dir;
}
