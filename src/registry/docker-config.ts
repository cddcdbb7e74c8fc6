/**
 * The one reader of docker's `config.json` (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): used by the credential lookup (credentials.ts) and by the collector of
 * known secrets (src/secrets/known-secrets.ts), so both see the same entries.
 *
 * Each entry is checked on its own: a malformed one is reported (naming the file and the key) and
 * left out, and every well-formed entry is still used — and still masked. An earlier version gave
 * up on the whole file for one bad entry, which silently dropped good credentials from the masker.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** One `auths` entry after validation; `username`/`password` come from `auth` when it is given. */
export interface DockerAuthEntry {
  /** The `auth` value as found (kept so it can be masked even where it was not usable). */
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

/** The parts of config.json Laminar reads, keeping only well-formed values. */
export interface DockerConfig {
  readonly auths: Readonly<Record<string, DockerAuthEntry>>;
  readonly credHelpers: Readonly<Record<string, string>>;
  readonly credsStore?: string;
}

/** A malformed value of config.json. */
export interface DockerConfigProblem {
  /** Names the file and the key, never a value (a value may be a secret). */
  readonly message: string;
  /**
   * The registry key (of `auths` or `credHelpers`) the value belongs to, so a credential lookup
   * reports only the entries of the host it looks up; absent for a problem of the whole file.
   */
  readonly registryKey?: string;
}

/** A config.json as read: its path, the usable part, and one problem per malformed value. */
export interface DockerConfigFile {
  readonly path: string;
  readonly config: DockerConfig;
  readonly problems: readonly DockerConfigProblem[];
}

/** The directory docker reads config.json from: `$DOCKER_CONFIG`, else `~/.docker`. */
export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_CONFIG || join(homedir(), ".docker");
}

const STRING_FIELDS = ["username", "password", "identitytoken", "registrytoken"] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `auth` must be base64 of `user:password`; the strict alphabet check catches a pasted raw password. */
function decodeAuth(auth: string): { username: string; password: string } | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(auth) || auth.length === 0) return undefined;
  const decoded = Buffer.from(auth, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  if (i <= 0) return undefined;
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/**
 * Validates the text of a config.json (pure: no disk). A file that is not a JSON object yields an
 * empty config and one problem; otherwise each malformed value is one problem and is left out.
 *
 * @param text - the file's content
 * @param path - the file's path, named in every problem
 */
export function parseDockerConfig(text: string, path: string): DockerConfigFile {
  const problems: DockerConfigProblem[] = [];
  const problem = (message: string, registryKey?: string): void => {
    problems.push({ message: `${path}: ${message}`, ...(registryKey !== undefined ? { registryKey } : {}) });
  };
  const empty: DockerConfig = { auths: {}, credHelpers: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not the parser's message: recent Node versions quote the text around the error, which may be
    // a password.
    problem("not valid JSON; its credentials are not used");
    return { path, config: empty, problems };
  }
  if (!isObject(raw)) {
    problem("not a JSON object; ignored");
    return { path, config: empty, problems };
  }

  const auths: Record<string, DockerAuthEntry> = {};
  if (raw.auths !== undefined && !isObject(raw.auths)) problem(`auths is not an object; ignored`);
  for (const [key, value] of Object.entries(isObject(raw.auths) ? raw.auths : {})) {
    const where = `auths[${JSON.stringify(key)}]`;
    if (!isObject(value)) {
      problem(`${where} is not an object; ignored`, key);
      continue;
    }
    const entry: { -readonly [K in keyof DockerAuthEntry]: DockerAuthEntry[K] } = {};
    for (const field of STRING_FIELDS) {
      const v = value[field];
      if (v === undefined || v === "") continue;
      if (typeof v === "string") entry[field] = v;
      else problem(`${where}.${field} is not a string; ignored`, key);
    }
    if (value.auth !== undefined && value.auth !== "") {
      if (typeof value.auth !== "string") problem(`${where}.auth is not a string; ignored`, key);
      else {
        entry.auth = value.auth;
        const pair = decodeAuth(value.auth);
        // docker lets `auth` win over username/password when both are given.
        if (pair) Object.assign(entry, pair);
        else problem(`${where}.auth is not base64 "user:password"; ignored`, key);
      }
    }
    auths[key] = entry;
  }

  const credHelpers: Record<string, string> = {};
  if (raw.credHelpers !== undefined && !isObject(raw.credHelpers)) problem(`credHelpers is not an object; ignored`);
  for (const [key, value] of Object.entries(isObject(raw.credHelpers) ? raw.credHelpers : {})) {
    if (typeof value === "string" && value) credHelpers[key] = value;
    else problem(`credHelpers[${JSON.stringify(key)}] is not a helper name; ignored`, key);
  }

  let credsStore: string | undefined;
  if (typeof raw.credsStore === "string" && raw.credsStore) credsStore = raw.credsStore;
  else if (raw.credsStore !== undefined && raw.credsStore !== "") problem(`credsStore is not a helper name; ignored`);

  return { path, config: { auths, credHelpers, ...(credsStore ? { credsStore } : {}) }, problems };
}

/**
 * Reads and validates `<dir>/config.json`; `undefined` when there is no such file (the usual case
 * on a machine that never ran `docker login`).
 *
 * @param dir - the directory holding config.json, see {@link dockerConfigDir}
 */
export async function readDockerConfig(dir: string): Promise<DockerConfigFile | undefined> {
  const path = join(dir, "config.json");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  return parseDockerConfig(text, path);
}
