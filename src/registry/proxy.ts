/**
 * Registry requests through an outbound proxy: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` (and
 * their lower-case forms, which win, as curl and git read them). Self-hosted runners and servers
 * behind a corporate proxy reach registries only this way, and Node's http module reads none of
 * these variables. An `https://` registry goes through a CONNECT tunnel (TLS end to end with the
 * registry); an `http://` one is asked in absolute form (RFC 9112 §3.2.2).
 *
 * The proxy's own user and password (`http://user:pass@proxy:3128`) go in `Proxy-Authorization`
 * and are never part of a message: {@link proxyLabel} names the proxy by host and port only.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, type AgentOptions, type RequestOptions } from "node:https";
import type { Duplex } from "node:stream";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";

/** The proxy for one request, or undefined to go direct. */
export interface ProxyRoute {
  readonly proxy: URL;
  /** Agent for this (proxy, scheme): a CONNECT tunnel for https, plain keep-alive for http. */
  readonly agent: HttpAgent;
  /** `Proxy-Authorization` for a proxy URL with a user, else undefined. */
  readonly authorization: string | undefined;
}

/** `host:port` of a proxy URL, without its credentials: the only way a proxy is named in messages. */
export function proxyLabel(proxy: URL): string {
  return `${proxy.hostname}:${proxy.port || (proxy.protocol === "https:" ? "443" : "80")}`;
}

/**
 * A host as sockets and `NO_PROXY` compare it: an IPv6 literal without its brackets (`URL.hostname`
 * keeps them, `[::1]`; `net.connect` and `http.request({ host })` want `::1`).
 */
export function unbracketedHost(host: string): string {
  return host.replace(/^\[|\]$/g, "");
}

function firstSet(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * Whether `NO_PROXY` exempts a host: `*`; a name matching the host or a parent domain (`corp.example`
 * and `.corp.example` both cover `r.corp.example`); optionally with `:port`; an IP literal as is.
 */
export function bypassesProxy(target: URL, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const host = unbracketedHost(target.hostname).toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === "*") return true;
    // A bare IPv6 literal (`::1`) has colons of its own and no port.
    const m = (
      entry.split(":").length > 2 && !entry.startsWith("[") ? /^(.+)()$/ : /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/
    ).exec(entry);
    if (!m) continue;
    const name = unbracketedHost(m[1]!).replace(/^\*?\./, "");
    if (m[2] && m[2] !== port) continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/** The variables naming a proxy, by the target's scheme, in the order they are read. */
export const PROXY_VARIABLES = {
  https: ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"],
  http: ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"],
} as const;

/**
 * A proxy variable's value as a URL, or undefined when it is not one. `proxy:3128` without a
 * scheme is common in these variables and means http.
 */
export function proxyUrl(value: string): URL | undefined {
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    return undefined;
  }
}

/**
 * The proxy URL the environment names for a target, or undefined (no variable, or `NO_PROXY`).
 *
 * @throws Error naming the variable (never its value) when it is not an http(s) URL
 */
export function proxyFor(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const names = target.protocol === "https:" ? PROXY_VARIABLES.https : PROXY_VARIABLES.http;
  const value = firstSet(env, names);
  if (value === undefined) return undefined;
  if (bypassesProxy(target, firstSet(env, ["no_proxy", "NO_PROXY"]))) return undefined;
  const name = names.find((n) => env[n]?.trim());
  const proxy = proxyUrl(value);
  if (!proxy) throw new Error(`${name}: not a proxy URL (expected http://host:port)`);
  if (proxy.protocol !== "http:" && proxy.protocol !== "https:")
    throw new Error(
      `${name}: proxy scheme ${proxy.protocol.replace(/:$/, "")} is not supported (use http:// or https://)`,
    );
  return proxy;
}

/** Opens the tunnel: CONNECT host:port at the proxy, then TLS with the registry over it. */
class TunnelAgent extends HttpsAgent {
  constructor(
    private readonly proxy: URL,
    private readonly authorization: string | undefined,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    // Node's callback takes no stream with an error; its type says otherwise.
    const done = (err: Error | null, stream?: Duplex): void => callback?.(err, stream as Duplex);
    const host = options.host ?? "localhost";
    const authority = `${host.includes(":") ? `[${host}]` : host}:${options.port ?? 443}`;
    const headers: Record<string, string> = { host: authority };
    if (this.authorization) headers["proxy-authorization"] = this.authorization;
    const connect = httpRequest({
      host: unbracketedHost(this.proxy.hostname),
      port: this.proxy.port || 80,
      method: "CONNECT",
      path: authority,
      headers,
    });
    connect.once("connect", (res: IncomingMessage, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return done(
          new Error(`proxy ${proxyLabel(this.proxy)} answered ${res.statusCode ?? "?"} to CONNECT ${authority}`),
        );
      }
      const tls = tlsConnect({ ...(options as ConnectionOptions), socket, servername: options.servername ?? host });
      done(null, tls);
    });
    connect.once("error", (err) => done(new Error(`proxy ${proxyLabel(this.proxy)}: ${err.message}`, { cause: err })));
    connect.end();
    return undefined;
  }
}

/**
 * Proxy routes by proxy and scheme, made once: keep-alive sockets (and tunnels) are reused between
 * requests like the direct agents'.
 */
export class ProxyRoutes {
  private readonly agents = new Map<string, HttpAgent>();

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** The route of one request, or undefined to go direct. */
  route(target: URL): ProxyRoute | undefined {
    const proxy = proxyFor(target, this.env);
    if (!proxy) return undefined;
    if (proxy.protocol === "https:")
      // A TLS connection to the proxy itself, then TLS inside it, is rare and not built here.
      throw new Error(`proxy ${proxyLabel(proxy)}: an https:// proxy URL is not supported (use http://)`);
    const authorization = proxy.username
      ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`
      : undefined;
    const key = `${target.protocol}${proxy.href}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent =
        target.protocol === "https:"
          ? new TunnelAgent(proxy, authorization, { keepAlive: true })
          : new HttpAgent({ keepAlive: true });
      this.agents.set(key, agent);
    }
    return { proxy, agent, authorization };
  }
}
