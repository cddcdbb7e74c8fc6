/**
 * The one list of secrets Laminar knows about, for every front end: the CLI and watch mask their
 * output with it, the Action hands the same forms to `core.setSecret`. Pure: the caller reads
 * docker's config.json (see collect.ts).
 */
import type { LaminarConfig } from "../config/types.js";
import type { DockerConfig } from "../registry/docker-config.js";
import { PROXY_VARIABLES, proxyUrl } from "../registry/proxy.js";
import type { KnownSecret } from "./masker.js";

/** Environment variables that hold credentials Laminar may use whatever the config says. */
const WELL_KNOWN = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AZURE_CLIENT_SECRET", // a service principal's secret (DefaultAzureCredential, src/registry/cloud/azure.ts)
] as const;

/**
 * The secret fields of a Google credentials file (`GOOGLE_APPLICATION_CREDENTIALS`): a service
 * account's `private_key`, an authorized user's `client_secret` and `refresh_token`.
 */
const GOOGLE_SECRET_FIELDS = ["private_key", "client_secret", "refresh_token"] as const;

/**
 * Secret keys of the AWS shared config and credentials files (`~/.aws/config`, `~/.aws/credentials`),
 * which the AWS SDK's chain reads for `AWS_PROFILE` (src/registry/cloud/ecr.ts).
 */
const AWS_FILE_SECRET = /^[ \t]*(?:aws_secret_access_key|aws_session_token)[ \t]*=[ \t]*(\S+)[ \t]*$/gim;

/** The secret fields of the AWS SDK's SSO cache entries (`~/.aws/sso/cache/*.json`). */
const AWS_SSO_CACHE_FIELDS = ["accessToken", "refreshToken", "clientSecret"] as const;

/** Where known secrets come from; each part is optional. */
export interface SecretSources {
  /** The well-known credential variables, and the values of the variables the config names. */
  readonly env: NodeJS.ProcessEnv;
  /** Its `registries` name `passwordEnv` / `tokenEnv` (with `usernameEnv` for the Basic pair). */
  readonly config?: Pick<LaminarConfig, "registries">;
  /** docker's config.json, already validated: passwords, `auth` values and tokens of `auths`. */
  readonly dockerConfig?: DockerConfig;
  /** The parsed JSON of the file `GOOGLE_APPLICATION_CREDENTIALS` names (else gcloud's ADC file), when read. */
  readonly googleCredentials?: unknown;
  /** The text of the file `LAMINAR_APP_PRIVATE_KEY_FILE` names (a GitHub App's key), when read. */
  readonly appPrivateKeyFile?: string;
  /**
   * The text of the federated token files the environment names (`AWS_WEB_IDENTITY_TOKEN_FILE`,
   * `AZURE_FEDERATED_TOKEN_FILE`) or a Google external_account file's `credential_source.file`
   * names (and the token field of a JSON one): OIDC tokens a cloud exchanges for credentials.
   */
  readonly tokenFiles?: readonly string[];
  /** The text of the AWS shared config and credentials files, when read. */
  readonly awsSharedFiles?: readonly string[];
  /** The parsed entries of the AWS SSO token cache (`~/.aws/sso/cache/*.json`). */
  readonly awsSsoCache?: readonly unknown[];
  /** Secrets given some other way (the Action's `token` input). */
  readonly extra?: readonly KnownSecret[];
}

/**
 * Every secret of the given sources, with the user each password is sent with. Values too short to
 * mask are kept here; the masker applies the one length rule.
 */
export function knownSecrets(sources: SecretSources): KnownSecret[] {
  const { env } = sources;
  const out: KnownSecret[] = [...(sources.extra ?? [])];
  const push = (value: string | undefined, user?: string): void => {
    if (value) out.push(user ? { value, user } : { value });
  };
  // A PEM key may be printed with its newlines escaped or one line at a time: each base64 line of
  // its body is a secret on its own.
  const pushKey = (value: string | undefined): void => {
    push(value);
    if (value?.includes("-----BEGIN"))
      for (const line of value.split(/\\n|\n/)) if (!line.startsWith("-----")) push(line.trim());
  };
  // GitHub tokens go out as the password of `GITHUB_ACTOR` (ghcr.io) or `x-access-token` (git).
  const githubUser = env.GITHUB_ACTOR || "x-access-token";
  // A GitHub App's key (src/cli/main.ts reads the variable or the file).
  pushKey(env.LAMINAR_APP_PRIVATE_KEY);
  pushKey(sources.appPrivateKeyFile);
  for (const token of sources.tokenFiles ?? []) push(token.trim());
  // An outbound proxy's password (`http://user:pass@proxy:3128`, src/registry/proxy.ts).
  for (const name of new Set([...PROXY_VARIABLES.https, ...PROXY_VARIABLES.http])) {
    const url = env[name]?.includes("@") ? proxyUrl(env[name].trim()) : undefined;
    // Not a URL: the request names the variable, never its value.
    if (url) push(decodeURIComponent(url.password), decodeURIComponent(url.username) || undefined);
  }
  for (const name of WELL_KNOWN)
    push(env[name], name.endsWith("_TOKEN") && !name.startsWith("AWS_") ? githubUser : undefined);

  for (const text of sources.awsSharedFiles ?? []) for (const m of text.matchAll(AWS_FILE_SECRET)) push(m[1]);
  for (const entry of sources.awsSsoCache ?? []) {
    if (entry === null || typeof entry !== "object") continue;
    for (const field of AWS_SSO_CACHE_FIELDS) {
      const value: unknown = (entry as Record<string, unknown>)[field];
      if (typeof value === "string") push(value);
    }
  }

  for (const r of sources.config?.registries ?? []) {
    const user = r.usernameEnv ? env[r.usernameEnv] : undefined;
    if (r.passwordEnv) push(env[r.passwordEnv], user);
    if (r.tokenEnv) push(env[r.tokenEnv], user);
  }

  const google = sources.googleCredentials;
  if (google !== null && typeof google === "object") {
    for (const field of GOOGLE_SECRET_FIELDS) {
      const value: unknown = (google as Record<string, unknown>)[field];
      if (typeof value === "string") pushKey(value);
    }
  }

  for (const entry of Object.values(sources.dockerConfig?.auths ?? {})) {
    // The raw `auth` value too: it is what a Basic header carries, and a malformed one (which
    // gives no password) may still be a secret.
    push(entry.auth);
    push(entry.password, entry.username);
    push(entry.identitytoken, entry.username);
    push(entry.registrytoken);
  }
  return out;
}
