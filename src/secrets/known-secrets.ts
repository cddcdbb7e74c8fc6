/**
 * The one list of secrets Laminar knows about, for every front end: the CLI and watch mask their
 * output with it, the Action hands the same forms to `core.setSecret`. Pure: the caller reads
 * docker's config.json (see collect.ts).
 */
import type { LaminarConfig } from "../config/types.js";
import type { DockerConfig } from "../registry/docker-config.js";
import type { KnownSecret } from "./masker.js";

/** Environment variables that hold credentials Laminar may use whatever the config says. */
const WELL_KNOWN = [
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "LAMINAR_APP_PRIVATE_KEY", // a GitHub App's key (src/github/app-token.ts)
] as const;

/** Where known secrets come from; each part is optional. */
export interface SecretSources {
  /** The well-known credential variables, and the values of the variables the config names. */
  readonly env: NodeJS.ProcessEnv;
  /** Its `registries` name `passwordEnv` / `tokenEnv` (with `usernameEnv` for the Basic pair). */
  readonly config?: Pick<LaminarConfig, "registries">;
  /** docker's config.json, already validated: passwords, `auth` values and tokens of `auths`. */
  readonly dockerConfig?: DockerConfig;
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
  // GitHub tokens go out as the password of `GITHUB_ACTOR` (ghcr.io) or `x-access-token` (git).
  const githubUser = env.GITHUB_ACTOR || "x-access-token";
  for (const name of WELL_KNOWN)
    push(env[name], name.endsWith("_TOKEN") && !name.startsWith("AWS_") ? githubUser : undefined);

  for (const r of sources.config?.registries ?? []) {
    const user = r.usernameEnv ? env[r.usernameEnv] : undefined;
    if (r.passwordEnv) push(env[r.passwordEnv], user);
    if (r.tokenEnv) push(env[r.tokenEnv], user);
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
