/**
 * A GitHub App as Laminar's git and API identity (issue #11): pull requests opened with the workflow's
 * `GITHUB_TOKEN` do not trigger the repository's workflows (GitHub's rule against recursive runs,
 * https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication),
 * so checks and auto-merge never happen; an installation token of an App does trigger them.
 *
 * Tokens are minted with `@octokit/auth-app` (JWT signing, installation-token request), loaded only
 * when an App is configured so runs without one do not pay for it.
 */
import { createPrivateKey } from "node:crypto";
import type { GitIdentity } from "../git/git-command-manager.js";
import { Octokit } from "@octokit/rest";
import { apiBaseUrl, silentLog } from "./octokit-client.js";
import { errorMessage, httpFailure } from "./request-errors.js";
import type { RepositoryId } from "./types.js";

/** What identifies the App: its id, its private key (PEM) and, optionally, the installation to use. */
export interface GitHubAppCredentials {
  readonly appId: string;
  readonly privateKey: string;
  /** Default: the installation on the repository (`GET /repos/{owner}/{repo}/installation`). */
  readonly installationId?: number;
}

/** An installation token that stays valid: {@link AppTokenSource.token} mints a new one before expiry. */
export interface AppTokenSource {
  /** A token valid for at least the refresh margin; minted again when the current one nears expiry. */
  token(): Promise<string>;
  readonly appSlug: string;
  readonly installationId: number;
  /** The App's bot user (`<slug>[bot]`), the author GitHub attributes the App's commits to. */
  readonly identity: GitIdentity;
}

/** Options of {@link createAppTokenSource}. */
export interface AppTokenSourceOptions {
  readonly app: GitHubAppCredentials;
  /** REST root (`GITHUB_API_URL`; `https://<host>/api/v3` on GitHub Enterprise Server). */
  readonly baseUrl?: string;
  /** Web root (`GITHUB_SERVER_URL`): the bot's noreply e-mail domain on GitHub Enterprise Server. */
  readonly serverUrl?: string;
  /** The repository the token is for; the token is restricted to it. */
  readonly repository: RepositoryId;
  readonly userAgent?: string;
  /** Told every token minted, before it is used (the masker: the token must never reach a log). */
  readonly onToken?: (token: string) => void;
  /**
   * Mint a new token when the current one expires within this time, or once 80 % of its lifetime
   * has passed, whichever comes first. Default 5 minutes.
   */
  readonly refreshMarginMs?: number;
}

/** A GitHub App setting that is wrong (bad key, unknown App, no installation); names the setting, never the key. */
export class GitHubAppError extends Error {
  override readonly name = "GitHubAppError";
  constructor(
    /** The setting at fault, e.g. `app-private-key` (the front end names it in its own terms). */
    readonly setting: "app-id" | "app-private-key" | "app-installation-id",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const DEFAULT_REFRESH_MARGIN_MS = 5 * 60_000;
/** Share of a token's lifetime after which it is renewed, however long it was issued for. */
const REFRESH_AT_LIFETIME = 0.8;

/** GitHub's answer with its HTTP status (the status is what tells a bad key, 401, from a missing App, 404). */
function answer(e: unknown): string {
  const status = httpFailure(e)?.status;
  return status === undefined ? errorMessage(e) : `${errorMessage(e)}; HTTP ${status}`;
}

/**
 * The PEM key as GitHub hands it out (PKCS#1 `BEGIN RSA PRIVATE KEY`) or PKCS#8, with `\n` escapes
 * turned into newlines (a key pasted into a one-line variable). Throws {@link GitHubAppError} for
 * anything that is not an RSA private key; the message never contains the key.
 */
export function normalizePrivateKey(raw: string): string {
  const key = (raw.includes("\n") ? raw : raw.replace(/\\n/g, "\n")).trim() + "\n";
  let kind: string | undefined;
  try {
    kind = createPrivateKey(key).asymmetricKeyType;
  } catch {
    throw new GitHubAppError(
      "app-private-key",
      "is not a PEM private key (expected the .pem file GitHub generated for the App, starting with -----BEGIN RSA PRIVATE KEY-----)",
    );
  }
  if (kind !== "rsa")
    throw new GitHubAppError("app-private-key", `is a ${kind ?? "non-RSA"} key; GitHub App keys are RSA (RS256)`);
  return key;
}

/** The App's numeric id, or its client id (`Iv23…`), which GitHub also accepts as the JWT's issuer. */
export function assertAppId(appId: string): void {
  if (!/^(\d+|Iv[0-9A-Za-z.]+)$/.test(appId))
    throw new GitHubAppError("app-id", `must be the App's numeric id (or client id), got ${JSON.stringify(appId)}`);
}

/** Every line of the key's body too: a runner that masks line by line must not leave a line visible. */
export function privateKeySecrets(key: string): string[] {
  const lines = key.split(/\r?\n/).filter((l) => l && !l.startsWith("-----"));
  return [key.trim(), ...lines];
}

/**
 * Signs the App's JWT, finds the installation (unless given), reads the App (its slug names the bot
 * user), and mints the first installation token. Wrong id, key or installation are
 * {@link GitHubAppError}s naming the setting and GitHub's answer.
 */
export async function createAppTokenSource(o: AppTokenSourceOptions): Promise<AppTokenSource> {
  const privateKey = normalizePrivateKey(o.app.privateKey);
  assertAppId(o.app.appId);
  const { createAppAuth } = await import("@octokit/auth-app");
  // A bare Octokit only for its `request` (base URL, user agent): auth-app signs each call itself.
  // Its request log stays off: a refusal is reported once, as a GitHubAppError through the front end's
  // masked log, not also as a bare console line (every retry of a long-running `laminar serve`).
  const { request } = new Octokit({
    baseUrl: apiBaseUrl(o.baseUrl),
    userAgent: o.userAgent ?? "laminar",
    log: silentLog,
  });
  const auth = createAppAuth({ appId: o.app.appId, privateKey, request });
  const asApp = async (): Promise<{ authorization: string }> => ({
    authorization: `bearer ${(await auth({ type: "app" })).token}`,
  });
  const what = `GitHub App ${o.app.appId}`;

  let slug: string;
  try {
    slug = (await request("GET /app", { headers: await asApp() })).data?.slug ?? "";
  } catch (e) {
    const status = httpFailure(e)?.status;
    throw new GitHubAppError(
      status === 401 || status === 404 ? "app-private-key" : "app-id",
      `${what}: GET /app failed (${answer(e)})${status === 401 ? "; check `app-id` and that `app-private-key` is a current key of that App" : ""}`,
      { cause: e },
    );
  }
  if (!slug) throw new GitHubAppError("app-id", `${what}: GET /app returned no slug`);

  let installationId = o.app.installationId;
  if (installationId === undefined) {
    try {
      installationId = (
        await request("GET /repos/{owner}/{repo}/installation", { ...o.repository, headers: await asApp() })
      ).data.id;
    } catch (e) {
      throw new GitHubAppError(
        "app-installation-id",
        `${what} (${slug}) is not installed on ${o.repository.owner}/${o.repository.repo} (${answer(e)}); install it there or set \`app-installation-id\``,
        { cause: e },
      );
    }
  }
  const id = installationId;

  const margin = o.refreshMarginMs ?? DEFAULT_REFRESH_MARGIN_MS;
  let current: { token: string; expiresAt: number; renewAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const mint = async (): Promise<string> => {
    try {
      // `refresh`: auth-app caches tokens for 59 minutes whatever `expires_at` said; we decide here.
      const a = await auth({
        type: "installation",
        installationId: id,
        repositoryNames: [o.repository.repo],
        refresh: current !== undefined,
      });
      o.onToken?.(a.token);
      const now = Date.now();
      const expiresAt = Date.parse(a.expiresAt);
      current = { token: a.token, expiresAt, renewAt: now + (expiresAt - now) * REFRESH_AT_LIFETIME };
      return a.token;
    } catch (e) {
      throw new GitHubAppError(
        "app-installation-id",
        `${what}: no installation token for installation ${id} (${answer(e)})`,
        { cause: e },
      );
    }
  };
  const token = (): Promise<string> => {
    const now = Date.now();
    if (current && current.expiresAt - now > margin && now < current.renewAt) return Promise.resolve(current.token);
    // One request for concurrent callers (a push and an API call asking at the same moment).
    pending ??= mint().finally(() => (pending = undefined));
    return pending;
  };
  const login = `${slug}[bot]`;
  // The first token is minted here, so a refused installation fails now, before any git work.
  const botId = await botUserId(request, login, await token());
  const host = new URL(o.serverUrl ?? "https://github.com").hostname;
  const domain = host === "github.com" ? "users.noreply.github.com" : `users.noreply.${host}`;
  return {
    token,
    appSlug: slug,
    installationId: id,
    identity: { name: login, email: botId ? `${botId}+${login}@${domain}` : `${login}@${domain}` },
  };
}

/**
 * The bot user's id (not the App's id): GitHub links a commit to the bot by `<id>+<login>@…` e-mail.
 * Undefined when the lookup fails; the id-less noreply address still names the bot.
 */
async function botUserId(request: Octokit["request"], login: string, token: string): Promise<number | undefined> {
  try {
    const { data } = await request("GET /users/{username}", {
      username: login,
      headers: { authorization: `token ${token}` },
    });
    return Number(data.id);
  } catch {
    return undefined;
  }
}
