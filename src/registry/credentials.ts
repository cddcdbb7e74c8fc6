/**
 * Finds credentials for a registry the way the docker CLI does, so a runner that ran
 * `docker login` (or has a credential helper configured) needs no extra setup:
 *
 *   explicit per-registry settings
 *   > `credHelpers[host]` > `credsStore` (via `docker-credential-<name> get`)
 *   > `auths[host]` (`auth` = base64 user:password, `username`/`password`, `identitytoken`,
 *     `registrytoken`)
 *   > the cloud's own credential chain for ECR, Artifact Registry / GCR and ACR (cloud/access.ts)
 *   > `GITHUB_TOKEN` for ghcr.io
 *   > anonymous.
 *
 * The config file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. Docker Hub's key
 * is the legacy `https://index.docker.io/v1/`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { isDockerHub } from "../reference/docker-hub.js";
import { dockerConfigDir, readDockerConfig, type DockerAuthEntry } from "./docker-config.js";

export type Credential =
  | { readonly kind: "basic"; readonly username: string; readonly password: string }
  /** An OAuth2 refresh token from `docker login` (`identitytoken`, or a helper's `<token>` user). */
  | { readonly kind: "identity-token"; readonly username?: string; readonly token: string }
  /** A bearer token sent to the registry as is (`registrytoken`, or a `token` setting). */
  | { readonly kind: "registry-token"; readonly token: string };

/** A credential (or none: anonymous) and where it came from, never the secret. */
export interface SourcedCredential {
  readonly credential?: Credential;
  /** `docker config.json (helper ecr-login)`, `AWS SDK chain (profile ci)`, `none (anonymous)`. */
  readonly source: string;
  /** When a short-lived credential should be asked for again (epoch ms). */
  readonly refreshAt?: number;
}

export interface ExplicitCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
}

export interface CredentialOptions {
  readonly explicit?: ExplicitCredentials;
  readonly env?: NodeJS.ProcessEnv;
  /** Directory holding config.json; default `$DOCKER_CONFIG` or `~/.docker`. */
  readonly dockerConfigDir?: string;
  readonly helperTimeoutMs?: number;
  /** Told about helper failures (never with a secret in the message). */
  readonly warn?: (message: string) => void;
  /**
   * The cloud credential chain of this registry, asked when docker's config has nothing for it
   * (docker's config keeps its precedence: a `docker login` or `credHelpers` entry wins).
   */
  readonly cloud?: () => Promise<SourcedCredential | undefined>;
}

export const DOCKER_HUB_CONFIG_KEY = "https://index.docker.io/v1/";
export { isDockerHub };

/** The key docker uses for a registry in config.json and as the helper's server URL. */
export function dockerConfigKey(host: string): string {
  return isDockerHub(host) ? DOCKER_HUB_CONFIG_KEY : host;
}

/** `https://ghcr.io/v2/` → `ghcr.io`; Docker Hub spellings → `docker.io`. */
function normaliseKey(key: string): string {
  const bare = key
    .replace(/^[a-z]+:\/\//i, "")
    .split("/")[0]!
    .toLowerCase();
  return isDockerHub(bare) ? "docker.io" : bare;
}

/** The credential an `auths` entry gives (validated and decoded by docker-config.ts). */
function fromAuthEntry(e: DockerAuthEntry): Credential | undefined {
  if (e.registrytoken) return { kind: "registry-token", token: e.registrytoken };
  const { username, password } = e;
  if (e.identitytoken) return { kind: "identity-token", username, token: e.identitytoken };
  if (username && password !== undefined && password !== "") return { kind: "basic", username, password };
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the server URL on stdin (docker-credential-helpers protocol). */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Credential | undefined> {
  return new Promise((resolve, reject) => {
    if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
      reject(new Error(`invalid credential helper name "${helper}"`));
      return;
    }
    const child = spawn(`docker-credential-${helper}`, ["get"], {
      env: opts.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      timeout: opts.timeoutMs ?? 10_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", (err) => reject(new Error(`docker-credential-${helper}: ${err.message}`)));
    child.on("close", (code) => {
      if (code !== 0) {
        // The helpers print "credentials not found in native keychain" for an unknown server.
        if (/not found/i.test(stdout + stderr)) resolve(undefined);
        // Only the exit code: a helper's output could contain a secret.
        else reject(new Error(`docker-credential-${helper} get exited with ${code ?? "a signal"}`));
        return;
      }
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) resolve(undefined);
        else if (out.Username === "<token>") resolve({ kind: "identity-token", token: out.Secret });
        else resolve({ kind: "basic", username: out.Username ?? "", password: out.Secret });
      } catch {
        reject(new Error(`docker-credential-${helper} get printed something that is not JSON`));
      }
    });
    child.stdin.on("error", () => {
      /* the helper may exit before reading stdin */
    });
    child.stdin.end(serverUrl);
  });
}

/**
 * The credential for a registry, in docker's order (see the top of this file), or undefined for
 * anonymous access.
 */
export async function resolveCredential(host: string, opts: CredentialOptions = {}): Promise<Credential | undefined> {
  return (await resolveSourcedCredential(host, opts)).credential;
}

/** Like {@link resolveCredential}, with the source the credential came from (for failure details). */
export async function resolveSourcedCredential(host: string, opts: CredentialOptions = {}): Promise<SourcedCredential> {
  const ex = opts.explicit;
  if (ex?.token)
    return { credential: { kind: "registry-token", token: ex.token }, source: "registry settings (token)" };
  if (ex?.username && ex.password !== undefined)
    return {
      credential: { kind: "basic", username: ex.username, password: ex.password },
      source: "registry settings (user name and password)",
    };

  const env = opts.env ?? process.env;
  const file = await readDockerConfig(opts.dockerConfigDir ?? dockerConfigDir(env));
  const config = file?.config;
  const want = normaliseKey(host);
  // A malformed value is reported where it matters (an entry for this host, or the file as a
  // whole); the well-formed rest of the file is used all the same.
  for (const p of file?.problems ?? [])
    if (p.registryKey === undefined || normaliseKey(p.registryKey) === want)
      opts.warn?.(`credentials for ${host}: ${p.message}`);
  const serverUrl = dockerConfigKey(host);

  const helperFor = (helper: string) =>
    runCredentialHelper(helper, serverUrl, { env, timeoutMs: opts.helperTimeoutMs }).catch((err: unknown) => {
      opts.warn?.(`credentials for ${host}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });

  if (config) {
    const helper = Object.entries(config.credHelpers).find(([k]) => normaliseKey(k) === want)?.[1];
    if (helper) {
      const c = await helperFor(helper);
      if (c) return { credential: c, source: `docker config.json (helper ${helper})` };
    } else if (config.credsStore) {
      const c = await helperFor(config.credsStore);
      if (c) return { credential: c, source: `docker config.json (credsStore ${config.credsStore})` };
    }
    for (const [k, entry] of Object.entries(config.auths)) {
      if (normaliseKey(k) !== want) continue;
      const c = fromAuthEntry(entry);
      if (c) return { credential: c, source: "docker config.json (auths)" };
    }
  }

  const cloud = await opts.cloud?.();
  if (cloud) return cloud;

  // GHCR takes a GitHub token as the password of Basic auth to its token endpoint.
  if (want === "ghcr.io" && env.GITHUB_TOKEN) {
    return {
      credential: { kind: "basic", username: env.GITHUB_ACTOR || "x-access-token", password: env.GITHUB_TOKEN },
      source: "GITHUB_TOKEN",
    };
  }
  return { source: "none (anonymous)" };
}

/** A non-secret label for a credential, used in token cache keys and debug logs. */
export function credentialIdentity(c: Credential | undefined): string {
  if (!c) return "anonymous";
  if (c.kind === "basic") return `basic:${c.username}`;
  // A hash prefix tells two tokens apart without putting either into a key or a log line.
  const h = createHash("sha256").update(c.token).digest("hex").slice(0, 12);
  if (c.kind === "identity-token") return `identity:${c.username ?? ""}:${h}`;
  return `registry-token:${h}`;
}
