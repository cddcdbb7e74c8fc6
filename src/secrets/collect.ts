/**
 * Gathers the known secrets of a run: the pure {@link knownSecrets} over the environment, the
 * config and docker's config.json as read by the one reader (src/registry/docker-config.ts).
 */
import type { LaminarConfig } from "../config/types.js";
import { dockerConfigDir, readDockerConfig } from "../registry/docker-config.js";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { knownSecrets } from "./known-secrets.js";
import type { KnownSecret } from "./masker.js";

/** The secrets found, and what was wrong with docker's config.json (file and key named, no value). */
export interface CollectedSecrets {
  readonly secrets: readonly KnownSecret[];
  readonly problems: readonly string[];
}

/**
 * Reads docker's config.json (`$DOCKER_CONFIG` or `~/.docker`) and lists every known secret. A
 * malformed entry is named in `problems`; the well-formed entries are listed all the same.
 *
 * @param env - the environment of the run
 * @param options - the loaded config, and secrets given some other way
 */
export async function collectSecrets(
  env: NodeJS.ProcessEnv,
  options: { config?: Pick<LaminarConfig, "registries">; extra?: readonly KnownSecret[] } = {},
): Promise<CollectedSecrets> {
  const docker = await readDockerConfig(dockerConfigDir(env));
  const home = env.HOME || env.USERPROFILE;
  const googleText = await readText(googleCredentialsPath(env, home));
  const appPrivateKeyFile = await readText(env.LAMINAR_APP_PRIVATE_KEY_FILE?.trim());
  const tokenFiles: string[] = [];
  for (const name of ["AWS_WEB_IDENTITY_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"]) {
    const text = await readText(env[name]);
    if (text !== undefined) tokenFiles.push(text);
  }
  let googleCredentials: unknown;
  try {
    googleCredentials = googleText === undefined ? undefined : (JSON.parse(googleText) as unknown);
  } catch {
    // google-auth-library names a malformed file itself when a Google registry is used.
  }
  // Workload identity federation: the OIDC token the external_account file points at is a secret
  // like the file's own fields (google-github-actions/auth writes both; the token is exchanged for
  // an access token at Google's STS).
  tokenFiles.push(...(await googleSubjectTokens(googleCredentials)));
  // What the AWS SDK's chain reads besides the environment: the shared files' keys and the SSO
  // tokens `aws sso login` caches.
  const awsSharedFiles: string[] = [];
  for (const path of [
    env.AWS_SHARED_CREDENTIALS_FILE || (home && join(home, ".aws", "credentials")),
    env.AWS_CONFIG_FILE || (home && join(home, ".aws", "config")),
  ]) {
    const text = await readText(path || undefined);
    if (text !== undefined) awsSharedFiles.push(text);
  }
  const awsSsoCache = home ? await readJsonFiles(join(home, ".aws", "sso", "cache")) : [];
  return {
    secrets: knownSecrets({
      env,
      awsSharedFiles,
      awsSsoCache,
      ...(options.config ? { config: options.config } : {}),
      ...(docker ? { dockerConfig: docker.config } : {}),
      ...(googleCredentials !== undefined ? { googleCredentials } : {}),
      ...(appPrivateKeyFile !== undefined ? { appPrivateKeyFile } : {}),
      tokenFiles,
      ...(options.extra ? { extra: options.extra } : {}),
    }),
    problems: docker?.problems.map((p) => p.message) ?? [],
  };
}

/**
 * The subject token(s) of a Google `external_account` file's `credential_source.file`: the file's
 * text, and for `format.type: json` also the value of `format.subject_token_field_name` (the
 * token then sits inside a JSON document). AIP-4117 (external account credentials).
 */
async function googleSubjectTokens(credentials: unknown): Promise<string[]> {
  if (credentials === null || typeof credentials !== "object") return [];
  const c = credentials as { type?: unknown; credential_source?: unknown };
  if (c.type !== "external_account" || c.credential_source === null || typeof c.credential_source !== "object")
    return [];
  const source = c.credential_source as {
    file?: unknown;
    format?: { type?: unknown; subject_token_field_name?: unknown };
  };
  const text = typeof source.file === "string" ? await readText(source.file) : undefined;
  if (text === undefined) return [];
  const field = source.format?.type === "json" ? source.format.subject_token_field_name : undefined;
  if (typeof field !== "string") return [text];
  try {
    const value: unknown = (JSON.parse(text) as Record<string, unknown>)[field];
    return typeof value === "string" ? [text, value] : [text];
  } catch {
    // google-auth-library names a malformed token file itself.
    return [text];
  }
}

/**
 * The Google credentials file ADC reads: `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
 * well-known file (`gcloud auth application-default login`: a refresh token and client secret).
 */
function googleCredentialsPath(env: NodeJS.ProcessEnv, home: string | undefined): string | undefined {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return env.GOOGLE_APPLICATION_CREDENTIALS;
  const gcloud = env.CLOUDSDK_CONFIG || (home ? join(home, ".config", "gcloud") : undefined);
  return gcloud ? join(gcloud, "application_default_credentials.json") : undefined;
}

/** The parsed `*.json` files of a directory (none when it is missing; unparsable ones skipped). */
async function readJsonFiles(dir: string): Promise<unknown[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const text = await readText(join(dir, name));
    try {
      if (text !== undefined) out.push(JSON.parse(text) as unknown);
    } catch {
      // not a cache entry the SDK could use either
    }
  }
  return out;
}

/**
 * The text of a credentials file, or undefined when none is named or it cannot be read: its
 * user (google-auth-library, the GitHub App login) reports that, and an unread file holds no
 * secret to mask.
 */
async function readText(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}
