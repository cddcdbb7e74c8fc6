import { randomBytes, verify } from "node:crypto";
import { exampleValue } from "./openapi-spec.js";
import { errorBody, type RestHandler, type RestResult } from "./rest-handlers.js";

/**
 * The GitHub App side of the emulator (issue #11): the App authenticates with a JWT it signs with
 * its private key (RS256, `iss` = App id, at most 10 minutes long), reads itself (`GET /app`), finds
 * its installation on the repository and mints installation tokens, which the emulator then accepts
 * like its own token for REST and git. https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app
 */

export interface EmulatedApp {
  readonly id: number;
  readonly slug: string;
  /** PEM public key matching the private key the client signs with. */
  readonly publicKey: string;
  readonly installationId: number;
  /** Id of the `<slug>[bot]` user (what `GET /users/{slug}[bot]` answers). */
  readonly botUserId: number;
  /** Lifetime of minted tokens; GitHub's is one hour. */
  readonly tokenLifetimeSeconds?: number;
}

/** A token minted by `POST /app/installations/{id}/access_tokens`. */
export interface MintedToken {
  readonly token: string;
  /** Epoch ms. */
  readonly expiresAt: number;
  /** The body the client sent (e.g. `repositories`). */
  readonly request: unknown;
}

/** The App's state in one emulator. */
export class AppState {
  readonly minted: MintedToken[] = [];
  /** JWTs that verified, in order (the test reads their claims). */
  readonly jwts: { readonly iss: unknown; readonly iat: number; readonly exp: number }[] = [];
  /**
   * Lifetime of the tokens minted from now on (`expires_at` control): a test issues short-lived
   * tokens, lets one expire, then goes back to GitHub's hour.
   */
  tokenLifetimeSeconds: number;
  constructor(readonly app: EmulatedApp) {
    this.tokenLifetimeSeconds = app.tokenLifetimeSeconds ?? 3600;
  }

  /** The token if it was minted here and has not expired. */
  accepts(token: string): boolean {
    const t = this.minted.find((m) => m.token === token);
    return !!t && t.expiresAt > Date.now();
  }

  /**
   * Checks a `Bearer <jwt>` the way GitHub does: RS256 signature with the App's public key, `iss` the
   * App id, `exp` after now and at most 10 minutes after `iat`, `iat` not in the future (60 s drift
   * allowed). Returns the problems (empty when valid).
   */
  verifyJwt(jwt: string): string[] {
    const parts = jwt.split(".");
    if (parts.length !== 3) return ["not a JWT (three dot-separated parts)"];
    const [h, p, s] = parts as [string, string, string];
    let header: { alg?: unknown };
    let claims: { iss?: unknown; iat?: unknown; exp?: unknown };
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as typeof header;
      claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as typeof claims;
    } catch {
      return ["JWT header or payload is not base64url JSON"];
    }
    const problems: string[] = [];
    if (header.alg !== "RS256") problems.push(`alg is ${String(header.alg)}, GitHub requires RS256`);
    if (!verify("RSA-SHA256", Buffer.from(`${h}.${p}`), this.app.publicKey, Buffer.from(s, "base64url")))
      problems.push("signature does not verify with the App's public key");
    if (String(claims.iss) !== String(this.app.id)) problems.push(`iss is ${String(claims.iss)}, not ${this.app.id}`);
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.iat !== "number" || typeof claims.exp !== "number") problems.push("iat and exp must be numbers");
    else {
      if (claims.exp <= now) problems.push("expired");
      if (claims.exp - claims.iat > 600) problems.push("exp is more than 10 minutes after iat");
      if (claims.iat > now + 60) problems.push("iat is in the future");
      if (!problems.length) this.jwts.push({ iss: claims.iss, iat: claims.iat, exp: claims.exp });
    }
    return problems;
  }
}

/** Operations GitHub only accepts with the App's JWT (everything else wants a token). */
export const JWT_OPERATIONS: ReadonlySet<string> = new Set([
  "apps/get-authenticated",
  "apps/get-repo-installation",
  "apps/create-installation-access-token",
]);

const noApp = (): RestResult => errorBody(404, "Not Found");

const getAuthenticated: RestHandler = async (ctx) => {
  const app = ctx.app?.app;
  if (!app) return noApp();
  const body = exampleValue<Record<string, unknown>>(ctx.objects.doc, "integration");
  return {
    status: 200,
    body: {
      ...body,
      id: app.id,
      slug: app.slug,
      name: app.slug,
      html_url: `${ctx.urls.web}/apps/${app.slug}`,
    },
  };
};

const getRepoInstallation: RestHandler = async (ctx) => {
  const app = ctx.app?.app;
  if (!app || ctx.params.owner !== ctx.config.owner || ctx.params.repo !== ctx.config.repo) return noApp();
  const body = exampleValue<Record<string, unknown>>(ctx.objects.doc, "installation");
  return {
    status: 200,
    body: {
      ...body,
      id: app.installationId,
      app_id: app.id,
      app_slug: app.slug,
      access_tokens_url: `${ctx.urls.api}/app/installations/${app.installationId}/access_tokens`,
    },
  };
};

const createInstallationToken: RestHandler = async (ctx) => {
  const state = ctx.app;
  if (!state || Number(ctx.params.installation_id) !== state.app.installationId) return noApp();
  const repos = (ctx.body as { repositories?: unknown } | undefined)?.repositories;
  if (Array.isArray(repos) && repos.some((r) => r !== ctx.config.repo))
    return errorBody(
      422,
      "There is at least one repository that does not exist or is not accessible to the parent installation.",
    );
  const token = `ghs_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x")}`;
  const expiresAt = Date.now() + state.tokenLifetimeSeconds * 1000;
  state.minted.push({ token, expiresAt, request: ctx.body });
  return {
    status: 201,
    body: {
      token,
      expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      permissions: { contents: "write", pull_requests: "write" },
      repository_selection: Array.isArray(repos) ? "selected" : "all",
    },
  };
};

const getUser: RestHandler = async (ctx) => {
  const app = ctx.app?.app;
  if (!app || ctx.params.username !== `${app.slug}[bot]`) return noApp();
  const body = exampleValue<Record<string, unknown>>(ctx.objects.doc, "public-user-default-response");
  const login = `${app.slug}[bot]`;
  return {
    status: 200,
    body: {
      ...body,
      login,
      id: app.botUserId,
      type: "Bot",
      url: `${ctx.urls.api}/users/${encodeURIComponent(login)}`,
      html_url: `${ctx.urls.web}/apps/${app.slug}`,
    },
  };
};

/** Handlers keyed by operationId, merged into REST_HANDLERS. */
export const APP_HANDLERS: Readonly<Record<string, RestHandler>> = {
  "apps/get-authenticated": getAuthenticated,
  "apps/get-repo-installation": getRepoInstallation,
  "apps/create-installation-access-token": createInstallationToken,
  "users/get-by-username": getUser,
};
