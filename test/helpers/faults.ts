/**
 * Shared by the fault suites (test/faults-*.test.ts): the CLI as a child process (bundled once
 * from the current sources, so each run costs ~0.1 s instead of tsx's ~0.7 s), temporary
 * repositories, and byte-and-mode snapshots of a tree to prove that nothing was lost.
 */
import { spawn } from "node:child_process";
import { build } from "esbuild";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;

let bundled: Promise<string> | undefined;

/**
 * `src/cli/bin.ts` bundled with the options of scripts/bundle.mjs into a temp dir. The file is
 * named `cli.js` (the CLI runs itself when argv[1] ends so) next to a package.json making it ESM.
 */
export function cliPath(): Promise<string> {
  bundled ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-faults-cli-"));
    await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { cli: "src/cli/bin.ts" },
      outdir: dir,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      write: false,
      legalComments: "none",
      logLevel: "silent",
      banner: {
        js: "import { createRequire as __laminarCreateRequire } from 'node:module';\nconst require = __laminarCreateRequire(import.meta.url);",
      },
    });
    const out = result.outputFiles.find((f) => f.path.endsWith("cli.js"));
    if (!out) throw new Error("esbuild produced no cli.js");
    await writeFile(join(dir, "cli.js"), out.text);
    return join(dir, "cli.js");
  })();
  return bundled;
}

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `laminar ARGS` as a user does and resolves with its exit status and output. Asynchronous on
 * purpose: the fake registry lives in this process and must keep answering while the CLI runs.
 * The environment is only what is given plus PATH/HOME, so no credential of the machine leaks in.
 */
export async function laminar(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  opts: { cwd?: string } = {},
): Promise<CliResult> {
  const cli = await cliPath();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: opts.cwd ?? tmpdir(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolve({ status: code ?? (signal ? 128 : -1), stdout, stderr, ms: Date.now() - started }),
    );
  });
}

/** A temporary repository with these files (string or exact bytes). */
export async function makeRepo(
  files: Readonly<Record<string, string | Uint8Array>>,
  prefix = "laminar-fault-",
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  for (const [p, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), content);
  }
  return dir;
}

export interface TreeEntry {
  readonly bytes: Buffer;
  readonly mode: number;
}

/** Every file under `dir` (symlinks as their target text), with its bytes and permission bits. */
export async function snapshotTree(dir: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const abs = join(d, e.name);
      const rel = relative(dir, abs);
      const st = await lstat(abs);
      if (e.isDirectory()) await walk(abs);
      else if (e.isSymbolicLink())
        out.set(rel, { bytes: Buffer.from(`-> ${await readlink(abs)}`), mode: st.mode & 0o7777 });
      else out.set(rel, { bytes: await readFile(abs), mode: st.mode & 0o7777 });
    }
  };
  await walk(dir);
  return out;
}

/**
 * The paths whose bytes or mode differ between two snapshots (added and removed ones included),
 * sorted: `[]` means nothing was lost or changed.
 */
export function changedPaths(before: ReadonlyMap<string, TreeEntry>, after: ReadonlyMap<string, TreeEntry>): string[] {
  const paths = new Set([...before.keys(), ...after.keys()]);
  return [...paths]
    .filter((p) => {
      const a = before.get(p);
      const b = after.get(p);
      return !a || !b || !a.bytes.equals(b.bytes) || a.mode !== b.mode;
    })
    .sort();
}

/** `127.0.0.1:5000` → a RegExp source that matches it literally. */
export function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
