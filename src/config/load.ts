import { lstat, readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { ConfigError } from "./errors.js";
import { MAX_CONFIG_BYTES, parseConfig } from "./parse.js";
import type { LaminarConfig, SourcePosition } from "./types.js";

/** The config file {@link loadConfig} reads when no path is given, relative to the repository root. */
export const DEFAULT_CONFIG_FILE = ".laminar.yaml";

/**
 * Reads and validates the config of the repository at `dir` (default file `DIR/.laminar.yaml`),
 * then checks what only the disk can tell: a `files` entry that is a symlink leading out of the
 * repository is refused with its line and key.
 */
export async function loadConfig(dir: string, configPath?: string): Promise<LaminarConfig> {
  const path = configPath ? resolve(dir, configPath) : join(dir, DEFAULT_CONFIG_FILE);
  const shown = displayPath(dir, path);
  const st = await lstat(path).catch(() => undefined);
  if (!st)
    throw new ConfigError(
      shown,
      0,
      0,
      "",
      "config file not found; create it (see README: .laminar.yaml) or pass --config",
    );
  if (!st.isFile() && !st.isSymbolicLink()) throw new ConfigError(shown, 0, 0, "", "is not a file");
  // A config inside the repository that links (itself or through a directory) to a file outside it
  // is refused before it is read: its content would reach error messages and the logs (issue #13).
  // A --config that names a path outside the repository is the user's own choice and is read.
  const lexical = relative(dir, path);
  if (!lexical.startsWith("..") && !isAbsolute(lexical)) {
    const root = await realpath(dir);
    const real = await realpath(path).catch(() => undefined);
    if (real === undefined)
      throw new ConfigError(shown, 0, 0, "", "is a symbolic link to nothing (a dangling link); point it at a file");
    if (real !== root && !real.startsWith(root + sep))
      throw new ConfigError(
        shown,
        0,
        0,
        "",
        "is a symbolic link pointing outside the repository; refusing to read it (copy the file into the repository or pass --config with its real path)",
      );
  }
  if (st.size > MAX_CONFIG_BYTES)
    throw new ConfigError(shown, 1, 1, "", `file is larger than ${MAX_CONFIG_BYTES} bytes; refusing to parse it`);
  const text = await readFile(path, "utf8");
  const config = parseConfig(text.replace(/^\uFEFF/, ""), shown);
  await checkSelectorsStayInside(dir, config);
  return config;
}

/**
 * `updates[].files` and `promotions[].from/to` entries that lead out of the repository through a
 * symbolic link are refused: Laminar would read (and for `files` and `to`, write) outside it.
 */
async function checkSelectorsStayInside(dir: string, config: LaminarConfig): Promise<void> {
  const root = await realpath(dir);
  const check = async (selector: string, pos: SourcePosition, key: string): Promise<void> => {
    if (/[*?[\]{}]/.test(selector)) return;
    // Check every existing prefix: `a/b/c` escapes if `a` is a link to elsewhere.
    const parts = selector.split("/");
    for (let k = 1; k <= parts.length; k++) {
      const p = join(root, ...parts.slice(0, k));
      const real = await realpath(p).catch(() => undefined);
      if (real === undefined) break;
      if (real !== root && !real.startsWith(root + sep))
        throw new ConfigError(
          config.file,
          pos.line,
          pos.column,
          key,
          `${JSON.stringify(selector)} is a symbolic link pointing outside the repository`,
        );
    }
  };
  for (const rule of config.updates)
    for (const [j, selector] of rule.files.entries())
      await check(selector, rule.filePositions?.[j] ?? rule.position, `updates[${rule.index}].files[${j}]`);
  for (const rule of config.promotions)
    for (const key of ["from", "to"] as const)
      for (const [j, selector] of rule[key].entries())
        await check(selector, rule.pathPositions?.[key][j] ?? rule.position, `promotions[${rule.index}].${key}[${j}]`);
}

function displayPath(dir: string, path: string): string {
  const rel = relative(dir, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}
