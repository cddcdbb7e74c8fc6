/**
 * Authorises requests to one registry: pings `/v2/` once to learn the challenge (distribution
 * spec, "API version check"; token flow from distribution's docs/spec/auth/token.md), then sends
 * Basic credentials or a Bearer token per repository scope, and on a 401 fetches a fresh token
 * (using the scope the 401's challenge names) and retries once.
 */
import { parseWwwAuthenticate, pickChallenge, type Challenge } from "./challenge.js";
import type { ChallengeHint } from "./cloud/access.js";
import { credentialIdentity, type Credential, type SourcedCredential } from "./credentials.js";
import { describePath, registryFailure, requestFailure, statusFailure } from "./errors.js";
import type { HttpClient, HttpRequest, HttpResponse } from "./http.js";
import { TokenCache, type IssuedToken } from "./token-cache.js";
import { SecretMasker } from "../secrets/masker.js";
import { expectAnswer, TOKEN_ANSWER } from "./wire.js";

export interface Endpoint {
  /** Registry name as in image references (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Base URL the `/v2/` API lives under (`https://registry-1.docker.io`). */
  readonly baseUrl: string;
  /**
   * Send credentials to whatever token realm the registry names (settings `insecure` or
   * `trustRealm`); otherwise {@link realmRefusal} decides.
   */
  readonly trustRealm?: boolean;
}

/** `registry-1.docker.io` → `docker.io`; undefined when what is left would be a bare top-level domain or an IP. */
function parentDomain(hostname: string): string | undefined {
  if (/^[\d.]+$/.test(hostname) || hostname.includes(":")) return undefined;
  const labels = hostname.split(".");
  return labels.length >= 3 ? labels.slice(1).join(".") : undefined;
}

/**
 * Why credentials must not go to this token realm, or undefined when they may (issue #13). A
 * registry's 401 names the realm its clients send their credentials to, so a hostile or
 * compromised registry could collect them from a host of its choosing:
 *   - the realm must be on the registry's host, or under the registry's parent domain
 *     (`auth.docker.io` for `registry-1.docker.io`, `gitlab.com` for `registry.gitlab.com`), never
 *     a mere shared top-level domain;
 *   - it must not be plain http when the registry is https.
 * Anonymous token requests carry nothing to steal and are not checked.
 */
export function realmRefusal(registryBase: URL, realm: URL): string | undefined {
  if (registryBase.protocol === "https:" && realm.protocol !== "https:") {
    return `the token realm ${realm.origin} is plain ${realm.protocol.replace(":", "")} while the registry is https`;
  }
  const host = registryBase.hostname.toLowerCase();
  const other = realm.hostname.toLowerCase();
  if (other === host) return undefined;
  const parent = parentDomain(host);
  if (parent && (other === parent || other.endsWith(`.${parent}`))) return undefined;
  return `the token realm ${realm.host} is another host than the registry (${registryBase.host})`;
}

export type AuthedRequest = Omit<HttpRequest, "registry" | "url" | "headers"> & {
  /** Path below the base URL (`/v2/…`) or an absolute URL (Link headers). */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
};

/**
 * Where a session keeps the challenge it learnt (the registry cache), so a later run can skip the
 * ping: `recall` answers undefined when there is nothing to reuse, null for "no auth".
 */
export interface ChallengeMemory {
  recall(): Promise<Challenge | null | undefined>;
  remember(challenge: Challenge | null): void;
}

export class RegistrySession {
  private pinged: Promise<void> | undefined;
  private challenge: Challenge | undefined;
  private credential: Promise<SourcedCredential> | undefined;
  private source: string | undefined;

  /**
   * @param loadCredential - finds the credential (docker's order, then the cloud's chain); gets
   *   the `/v2/` challenge because ACR's token exchange lives next to its realm
   * @param onRefused - told when the registry refused a Basic credential, so a cached short-lived
   *   one (an ECR password) is fetched again before the one retry
   * @param now - clock for `refreshAt` of short-lived credentials
   */
  constructor(
    readonly endpoint: Endpoint,
    private readonly http: HttpClient,
    private readonly tokens: TokenCache,
    private readonly loadCredential: (challenge: ChallengeHint | undefined) => Promise<SourcedCredential>,
    private readonly memory: ChallengeMemory | undefined = undefined,
    private readonly onRefused: () => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Every secret this session has sent or received, so error text can never repeat one. */
  private readonly secrets = new SecretMasker();

  private load(): Promise<SourcedCredential> {
    const ch = this.challenge;
    this.credential ??= this.loadCredential(
      ch ? { realm: ch.params.realm, service: ch.params.service } : undefined,
    ).then((r) => {
      const c = r.credential;
      if (c?.kind === "basic") this.remember(c.password, c.username);
      else if (c) this.remember(c.token, c.kind === "identity-token" ? c.username : undefined);
      this.source = r.source;
      return r;
    });
    return this.credential;
  }

  private async cred(): Promise<Credential | undefined> {
    const first = this.load();
    let r = await first;
    // A short-lived credential (cloud registries) is asked again once its refresh time has come:
    // a session can outlive it. Once: the source decides whether it has a fresher one.
    if (r.refreshAt !== undefined && this.now() >= r.refreshAt) {
      if (this.credential === first) this.credential = undefined;
      r = await this.load();
    }
    return r.credential;
  }

  /** Where this session's credential came from (`docker config.json (auths)`), once it was looked up. */
  credentialSource(): string | undefined {
    return this.source;
  }

  private remember(secret: string, user?: string): void {
    this.secrets.add(secret, user);
  }

  /**
   * Masks the credentials and tokens of this session in text that came from the registry (error
   * bodies are copied into messages): a registry that reflects what it received must not put a
   * password into a log, a plan or a job summary.
   */
  scrub(text: string): string {
    return this.secrets.mask(text);
  }

  url(path: string): string {
    return new URL(path, this.endpoint.baseUrl).toString();
  }

  /**
   * GET /v2/ once: 200 means no auth; 401 carries the challenge to answer. A challenge recalled
   * from an earlier run replaces the ping (a stale one costs one 401, answered as any 401 is).
   */
  ping(): Promise<void> {
    this.pinged ??= (async () => {
      const recalled = await this.memory?.recall();
      if (recalled !== undefined) {
        this.challenge = recalled ?? undefined;
        return;
      }
      const req: HttpRequest = { registry: this.endpoint.registry, kind: "ping", method: "GET", url: this.url("/v2/") };
      const res = await this.http.request(req);
      if (res.status === 401) {
        this.challenge = pickChallenge(parseWwwAuthenticate(res.headers.get("www-authenticate") ?? ""));
        this.memory?.remember(this.challenge ?? null);
        return;
      }
      if (res.status >= 200 && res.status < 300) {
        this.memory?.remember(null);
        return;
      }
      throw statusFailure(this.endpoint, "GET /v2/", res, " (is this a registry?)");
    })();
    this.pinged.catch(() => (this.pinged = undefined));
    return this.pinged;
  }

  private async fetchToken(ch: Challenge, scope: string, cred: Credential | undefined): Promise<IssuedToken> {
    const realm = ch.params.realm;
    const registry = this.endpoint.registry;
    if (!realm) throw registryFailure(this.endpoint, "Bearer challenge without a realm", 401);
    const u = new URL(realm);
    if (cred && !this.endpoint.trustRealm) {
      const refused = realmRefusal(new URL(this.endpoint.baseUrl), u);
      if (refused) {
        throw registryFailure(
          this.endpoint,
          `not sending credentials: ${refused} (set \`trustRealm: true\` on this registry in .laminar.yaml if that host is really its token server)`,
          401,
        );
      }
    }
    let res: HttpResponse;
    if (cred?.kind === "identity-token") {
      // Refresh tokens go in an OAuth2 POST (distribution docs/spec/auth/oauth.md).
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: cred.token,
        client_id: "laminar",
      });
      if (ch.params.service) form.set("service", ch.params.service);
      if (scope) form.set("scope", scope);
      res = await this.http.request({
        registry,
        kind: "token",
        method: "POST",
        idempotent: true,
        url: u.toString(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: form.toString(),
      });
    } else {
      if (ch.params.service) u.searchParams.set("service", ch.params.service);
      if (scope) u.searchParams.set("scope", scope);
      const headers: Record<string, string> = {};
      if (cred?.kind === "basic") {
        headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
      }
      res = await this.http.request({ registry, kind: "token", method: "GET", url: u.toString(), headers });
    }
    const request = `token request to ${u.host}${describePath(u.toString())}`;
    if (res.status !== 200) {
      const why = cred ? " (credentials refused)" : " (no credentials found for this registry)";
      throw statusFailure(this.endpoint, request, res, why);
    }
    const body = expectAnswer(TOKEN_ANSWER, res, this.endpoint, request, "token response");
    const token = body.token ?? body.access_token;
    if (!token) throw requestFailure(this.endpoint, request, "token response has no token", res.status);
    this.remember(token);
    return { token, expiresIn: body.expires_in, issuedAt: body.issued_at ? new Date(body.issued_at) : undefined };
  }

  private tokenKey(ch: Challenge, scope: string, cred: Credential | undefined): string {
    return TokenCache.key(this.endpoint.registry, ch.params.service ?? "", scope, credentialIdentity(cred));
  }

  private async authorization(
    repository: string | undefined,
    fresh: Challenge | undefined,
  ): Promise<string | undefined> {
    const ch = fresh ?? this.challenge;
    if (!ch) return undefined;
    const cred = await this.cred();
    if (ch.scheme === "basic") {
      if (cred?.kind === "basic") return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
      return undefined;
    }
    if (cred?.kind === "registry-token") return `Bearer ${cred.token}`;
    // The 401 of a request names the scope it wants; otherwise ask for pull on the repository.
    const scope = fresh?.params.scope ?? (repository ? `repository:${repository}:pull` : "");
    const key = this.tokenKey(ch, scope, cred);
    if (fresh) this.tokens.invalidate(key);
    const token = await this.tokens.getOrFetch(key, () => this.fetchToken(ch, scope, cred));
    return `Bearer ${token}`;
  }

  /**
   * The Authorization header for the registry vendor's own API (Quay, Harbor: quay-harbor.ts), from
   * this session's credential: Basic for a username and password (what Harbor accepts), Bearer for a
   * registry token (a Quay OAuth token); undefined without one (public repositories).
   */
  async apiAuthorization(): Promise<string | undefined> {
    const cred = await this.cred();
    if (cred?.kind === "basic") return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`;
    if (cred?.kind === "registry-token") return `Bearer ${cred.token}`;
    return undefined;
  }

  /** Sends a request with auth; on 401 refreshes the token once and retries. */
  async request(req: AuthedRequest): Promise<HttpResponse> {
    await this.ping();
    let fresh: Challenge | undefined;
    for (let attempt = 0; ; attempt++) {
      const authz = await this.authorization(req.repository, fresh);
      const res = await this.http.request({
        ...req,
        registry: this.endpoint.registry,
        url: this.url(req.url),
        headers: { ...req.headers, ...(authz ? { authorization: authz } : {}) },
      });
      if (res.status !== 401 || attempt > 0) return res;
      const ch = pickChallenge(parseWwwAuthenticate(res.headers.get("www-authenticate") ?? ""));
      if (!ch) return res;
      // Expired or revoked token, or a registry that only challenges per repository (or whose
      // recalled challenge said "no auth").
      if (!this.challenge) {
        this.challenge = ch;
        this.memory?.remember(ch);
      }
      if (ch.scheme === "basic" && !authz && !(await this.cred())) return res;
      if (ch.scheme === "basic" && authz) {
        // A short-lived password may have expired in between: look it up again for the retry.
        this.onRefused();
        this.credential = undefined;
      }
      fresh = ch;
    }
  }
}
