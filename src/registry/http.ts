/**
 * HTTP for registry requests, on node:http(s) (or a caller's fetch): bounded retries (Retry-After on 429/503,
 * exponential backoff with full jitter on 5xx and network errors, a cap on the total wait),
 * per-registry and overall concurrency limits, sharing of identical in-flight requests, request
 * counts by kind, manual redirects (auth dropped across origins, loops detected), a stop
 * before a registry's `ratelimit-remaining` runs out, bodies read as streams and cut at a size
 * cap, and per registry and run a deadline and a circuit breaker (issue #13: a registry that
 * sends headers and then nothing cost 153 s per request, and (tags ÷ 8) × 153 s for a channel).
 *
 * Authentication is not done here (see auth.ts): this layer sends the headers it is given.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { proxyLabel, ProxyRoutes, unbracketedHost, type ProxyRoute } from "./proxy.js";
import { describePath, requestFailure, requestLine, statusLine } from "./errors.js";
import { RegistryError, type RequestCounts } from "./types.js";
import { PromiseMemo } from "./single-flight.js";

export type RequestKind = Exclude<keyof RequestCounts, "retries">;

export interface HttpRequest {
  /** Registry name for counts, limits and messages (`127.0.0.1:5000`, `docker.io`). */
  readonly registry: string;
  readonly repository?: string;
  readonly kind: RequestKind;
  readonly method: "GET" | "HEAD" | "POST";
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Retry POSTs too (only for requests known to be idempotent, like DescribeImages). */
  readonly idempotent?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Buffer;
  /** Final URL after redirects. */
  readonly url: string;
}

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Upper bound on the time one request may spend waiting between attempts. */
  readonly maxTotalWaitMs: number;
  /** A Retry-After longer than this fails at once instead of waiting. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxTotalWaitMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface HttpOptions {
  readonly retry?: Partial<RetryPolicy>;
  /** Requests in flight over all registries (default 16). */
  readonly concurrency?: number;
  /** Requests in flight per registry (default 8). */
  readonly perRegistryConcurrency?: number;
  /** Per attempt (default 30 s), for registries `timeoutFor` has no answer for. */
  readonly timeoutMs?: number;
  /**
   * Per-attempt timeout of one registry (by `HttpRequest.registry`), or undefined for `timeoutMs`.
   * Asked per request so that one slow registry's short timeout does not cut the others.
   */
  readonly timeoutFor?: (registry: string) => number | undefined;
  readonly maxRedirects?: number;
  /**
   * Stop sending manifest GETs to a registry once its `ratelimit-remaining` is at or below this
   * (default 5): Docker Hub counts each manifest GET as a pull, and the runner's own pulls (the
   * deploy itself) need what is left.
   */
  readonly rateLimitReserve?: number;
  /**
   * Most time one registry may keep requests outstanding in one run (default 60 s), or per registry
   * through `deadlineFor`. Past it, its remaining requests fail at once (see {@link HttpClient.newRun}).
   */
  readonly deadlineMs?: number;
  readonly deadlineFor?: (registry: string) => number | undefined;
  /**
   * Distinct requests to one registry that may time out in one run before the registry is given up
   * for the rest of the run (default 3): a stalled registry then costs one round of timeouts, not
   * one per queued request.
   */
  readonly breakerTimeouts?: number;
  /** Largest response body read (default 32 MiB); bigger ones are cut off while streaming. */
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
  readonly userAgent?: string;
  readonly fetch?: typeof fetch;
  /** Where `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` are read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly debug?: (message: string) => void;
}

export const emptyCounts = (): RequestCounts => ({
  ping: 0,
  token: 0,
  tagPages: 0,
  manifestHead: 0,
  manifestGet: 0,
  blobGet: 0,
  api: 0,
  retries: 0,
});

/** Counts of two clients added kind by kind (a replaced client's requests stay in a counter). */
export function addCounts(a: RequestCounts, b: RequestCounts): RequestCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as Array<keyof RequestCounts>) out[k] += b[k];
  return out;
}

/** Every request a run sent to registries, whatever its kind (retries are counted in their kind). */
export function totalRequests(c: RequestCounts): number {
  return c.ping + c.token + c.tagPages + c.manifestHead + c.manifestGet + c.blobGet + c.api;
}

/** A counting semaphore. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MIB = 1024 * 1024;
const MAX_BODY_BYTES = 32 * MIB;
export const DEFAULT_REGISTRY_DEADLINE_MS = 60_000;
export const DEFAULT_BREAKER_TIMEOUTS = 3;

/** Was this failure a timeout (ours, or undici's connect timeout)? */
function isTimeout(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === "TimeoutError") return true;
  return (err.cause as { code?: string } | undefined)?.code === "UND_ERR_CONNECT_TIMEOUT";
}

/**
 * One registry's budget in this run. Time counts only while the registry has requests outstanding
 * (queued, in flight or waiting to retry): a long-lived client (`laminar serve`, a library user)
 * that is idle between questions does not use its deadline up by waiting.
 */
interface RegistryRun {
  /** Busy time of the finished stretches (ms). */
  busyMs: number;
  /** Requests outstanding now, and since when the current busy stretch runs. */
  outstanding: number;
  busySince: number;
  readonly timedOut: Set<string>;
  /** The one message every later request to this registry fails with. */
  gaveUp?: string;
}

/** `Retry-After`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** `ratelimit-remaining: 76;w=21600` → 76 (Docker Hub's format). */
export function parseRateLimitRemaining(value: string | null): number | undefined {
  if (!value) return undefined;
  const m = /^\s*(\d+)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/**
 * What went wrong below HTTP, in words: fetch says only "fetch failed" and keeps the reason in
 * `cause` (ECONNREFUSED, ENOTFOUND, …); a timeout is a DOMException named TimeoutError.
 */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && err.name === "TimeoutError")
    return `timed out after ${Math.round(timeoutMs / 100) / 10} s`;
  const cause = err instanceof Error ? (err.cause as (Error & { code?: string }) | undefined) : undefined;
  const code = cause?.code;
  const detail = cause?.message ? ` (${cause.message})` : "";
  switch (code) {
    case "ECONNREFUSED":
      return `connection refused${detail}`;
    case "ENOTFOUND":
      return `DNS lookup failed: no such host${detail}`;
    case "EAI_AGAIN":
      return `DNS lookup failed (temporary)${detail}`;
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return `connection reset${detail}`;
    case "UND_ERR_CONNECT_TIMEOUT":
      return `connect timed out${detail}`;
  }
  if (cause?.message) return `${err instanceof Error ? err.message : String(err)}: ${cause.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** What one attempt returns: the response with its whole body read (cut at the size cap). */
interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** The body is or grew past the cap while it was read; the caller names the request. */
class BodyTooLarge extends Error {
  constructor(readonly status: number) {
    super("body too large");
  }
}

/**
 * Keep-alive agents for the default transport: as many sockets per origin as requests may be in
 * flight, kept open between them (one TCP and TLS handshake per socket, not per request).
 */
const AGENTS = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/**
 * One request over node:http / node:https, the whole body read into a Buffer of at most `cap`
 * bytes. This is the default instead of `fetch` because Node's fetch (undici with WHATWG
 * streams) spends about twice the CPU per request: 501 tag-list GETs took 0.74–1.08 s of CPU
 * with fetch and 0.34–0.45 s with node:http on the same registry (#12), and a cold run makes
 * tens of thousands. Errors take fetch's shapes, which the retry and message code reads: the
 * signal's reason (a `TimeoutError`) on timeout, otherwise an error whose `cause` carries the
 * socket error's `code` (ECONNREFUSED, ENOTFOUND…).
 */
function nodeRequest(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
  cap: number,
  proxies: ProxyRoutes,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    let route: ProxyRoute | undefined;
    try {
      route = proxies.route(target);
    } catch (err) {
      return reject(new TypeError("request failed", { cause: err }));
    }
    const headers: Record<string, string> = { accept: "*/*", ...init.headers };
    if (init.body !== undefined) {
      headers["content-length"] = String(Buffer.byteLength(init.body));
      if (!Object.keys(headers).some((k) => k.toLowerCase() === "content-type"))
        headers["content-type"] = "text/plain;charset=UTF-8";
    }
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      init.signal.removeEventListener("abort", onAbort);
      req.destroy();
      if (init.signal.aborted) reject(init.signal.reason);
      else if (err instanceof BodyTooLarge) reject(err);
      else reject(new TypeError("request failed", { cause: route ? viaProxy(err, route) : err }));
    };
    const onAbort = (): void => fail(init.signal.reason);
    const req =
      route && !secure
        ? // Plain http through a proxy: the request line carries the absolute URL.
          httpRequest({
            host: unbracketedHost(route.proxy.hostname),
            port: route.proxy.port || 80,
            path: target.href,
            method: init.method,
            headers: {
              ...headers,
              host: target.host,
              ...(route.authorization ? { "proxy-authorization": route.authorization } : {}),
            },
            agent: route.agent,
          })
        : (secure ? httpsRequest : httpRequest)(target, {
            method: init.method,
            headers,
            agent: route?.agent ?? (secure ? AGENTS.https : AGENTS.http),
          });
    req.on("error", fail);
    req.on("response", (res: IncomingMessage) => {
      res.on("error", fail);
      const status = res.statusCode ?? 0;
      if (Number(res.headers["content-length"] ?? 0) > cap) return fail(new BodyTooLarge(status));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) fail(new BodyTooLarge(status));
        else chunks.push(chunk);
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        init.signal.removeEventListener("abort", onAbort);
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
        }
        let body: Buffer = Buffer.concat(chunks, size);
        try {
          body = decoded(body, res.headers["content-encoding"], cap);
          if (res.headers["content-encoding"]) for (const k of ["content-encoding", "content-length"]) h.delete(k);
        } catch (err) {
          // zlib's own cap error: the unpacked body grew past what Laminar reads.
          if ((err as { code?: string }).code === "ERR_BUFFER_TOO_LARGE") return reject(new BodyTooLarge(status));
          return reject(new TypeError("request failed: the compressed body could not be unpacked", { cause: err }));
        }
        resolve({ status, statusText: res.statusMessage ?? "", headers: h, body });
      });
    });
    if (init.signal.aborted) return onAbort();
    init.signal.addEventListener("abort", onAbort, { once: true });
    req.end(init.body);
  });
}

/** A socket error on the way through a proxy, named as such (its code kept for the retry rules). */
function viaProxy(err: unknown, route: ProxyRoute): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const label = proxyLabel(route.proxy);
  if (e.message.startsWith(`proxy ${label}`)) return e;
  return Object.assign(new Error(`via proxy ${label}: ${e.message}`, { cause: e }), {
    code: (e as { code?: string }).code,
  });
}

/**
 * The body as sent before `content-encoding` was applied. Laminar asks for no encoding, but a
 * CDN in front of a registry may compress anyway; `fetch` used to undo that, so this does too,
 * with the same size cap on the unpacked bytes (a small gzip can unpack to gigabytes).
 */
function decoded(body: Buffer, encoding: string | undefined, cap: number): Buffer {
  const how = (encoding ?? "").trim().toLowerCase();
  if (how === "" || how === "identity" || body.length === 0) return body;
  const opts = { maxOutputLength: cap };
  if (how === "gzip" || how === "x-gzip") return gunzipSync(body, opts);
  if (how === "deflate") return inflateSync(body, opts);
  if (how === "br") return brotliDecompressSync(body, opts);
  throw new Error(`unknown content-encoding ${JSON.stringify(how)}`);
}

export class HttpClient {
  private readonly retry: RetryPolicy;
  private readonly global: Limiter;
  private readonly perRegistry = new Map<string, Limiter>();
  /** Identical GET/HEADs in flight, shared until they settle. */
  private readonly inflight = new PromiseMemo<string, HttpResponse>("settled");
  /** Estimated remaining pulls per registry, from `ratelimit-remaining`. */
  private readonly remaining = new Map<string, number>();
  private readonly total = emptyCounts();
  private readonly byRegistry = new Map<string, RequestCounts>();
  private readonly runs = new Map<string, RegistryRun>();
  private readonly now: () => number;
  /** A caller's fetch (tests, mirrors); undefined: node:http(s), see {@link nodeRequest}. */
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  /** `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` of the run's environment (src/registry/proxy.ts). */
  private readonly proxies: ProxyRoutes;

  constructor(private readonly opts: HttpOptions = {}) {
    this.proxies = new ProxyRoutes(opts.env ?? process.env);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.global = new Limiter(opts.concurrency ?? 16);
    this.fetchImpl = opts.fetch;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Starts a new run (each `laminar watch` pass): every registry gets its deadline and its
   * breaker back, so a registry that stalled once is asked again next time.
   */
  newRun(): void {
    this.runs.clear();
  }

  private run(registry: string): RegistryRun {
    let r = this.runs.get(registry);
    if (!r) this.runs.set(registry, (r = { busyMs: 0, outstanding: 0, busySince: 0, timedOut: new Set() }));
    return r;
  }

  /** Runs `fn` as outstanding work of the registry, for its deadline. */
  private async busy<T>(registry: string, fn: () => Promise<T>): Promise<T> {
    const run = this.run(registry);
    if (run.outstanding++ === 0) run.busySince = this.now();
    try {
      return await fn();
    } finally {
      if (--run.outstanding === 0) run.busyMs += this.now() - run.busySince;
    }
  }

  private deadlineMs(registry: string): number {
    return this.opts.deadlineFor?.(registry) ?? this.opts.deadlineMs ?? DEFAULT_REGISTRY_DEADLINE_MS;
  }

  /** Time left of this registry's deadline in this run (ms, may be ≤ 0). */
  private left(registry: string): number {
    const run = this.run(registry);
    const busy = run.busyMs + (run.outstanding > 0 ? this.now() - run.busySince : 0);
    return this.deadlineMs(registry) - busy;
  }

  /**
   * Gives the registry up for the rest of the run with one message, which every request to it
   * from now on fails with (so the plan lists it once per repository, all alike).
   */
  private giveUp(req: HttpRequest, why: string): RegistryError {
    const run = this.run(req.registry);
    run.gaveUp ??= `registry ${req.registry}: gave up on this registry for this run: ${why}; its remaining requests were skipped`;
    return new RegistryError(run.gaveUp, req.registry, undefined, req.repository);
  }

  /** Throws the run's verdict on a registry that was given up, or whose deadline passed. */
  private checkOpen(req: HttpRequest): void {
    const run = this.run(req.registry);
    if (run.gaveUp) throw new RegistryError(run.gaveUp, req.registry, undefined, req.repository);
    if (this.left(req.registry) <= 0) throw this.giveUp(req, this.deadlineWords(req.registry));
  }

  private deadlineWords(registry: string): string {
    return `its deadline of ${Math.round(this.deadlineMs(registry) / 100) / 10} s per run passed (limits.registryDeadline)`;
  }

  counts(registry?: string): RequestCounts {
    return { ...(registry ? (this.byRegistry.get(registry) ?? emptyCounts()) : this.total) };
  }

  private count(registry: string, kind: keyof RequestCounts): void {
    this.total[kind]++;
    let c = this.byRegistry.get(registry);
    if (!c) this.byRegistry.set(registry, (c = emptyCounts()));
    c[kind]++;
  }

  /** The per-attempt timeout for a request to this registry; the message of a timeout names it. */
  private timeoutMs(registry: string): number {
    return this.opts.timeoutFor?.(registry) ?? this.opts.timeoutMs ?? 30_000;
  }

  private limiter(registry: string): Limiter {
    let l = this.perRegistry.get(registry);
    if (!l) this.perRegistry.set(registry, (l = new Limiter(this.opts.perRegistryConcurrency ?? 8)));
    return l;
  }

  /**
   * Sends a request, retrying what is worth retrying. Resolves with any final response (the
   * caller decides what 401/404 mean); rejects with RegistryError when retries ran out, the
   * network failed, redirects looped or the rate limit reserve was reached.
   */
  request(req: HttpRequest): Promise<HttpResponse> {
    if (req.method === "POST") return this.busy(req.registry, () => this.send(req));
    // Identical GET/HEADs in flight share one request and its response.
    const key = `${req.method} ${req.url} ${JSON.stringify(req.headers ?? {})}`;
    return this.inflight.get(key, () => this.busy(req.registry, () => this.send(req)));
  }

  private error(req: HttpRequest, what: string, status?: number, cause?: unknown): RegistryError {
    return requestFailure(req, requestLine(req.method, req.url), what, status, cause);
  }

  private async send(req: HttpRequest): Promise<HttpResponse> {
    const retryable = req.method !== "POST" || req.idempotent === true;
    let waited = 0;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: unknown;
      let attemptMs = this.timeoutMs(req.registry);
      try {
        res = await this.once(req, (ms) => (attemptMs = ms));
      } catch (err) {
        if (err instanceof RegistryError) throw err;
        failure = err;
      }
      if (res && !RETRY_STATUSES.has(res.status)) return res;
      if (failure !== undefined && isTimeout(failure)) {
        // An attempt the deadline cut short says nothing more than that the deadline passed.
        if (this.left(req.registry) <= 0) throw this.giveUp(req, this.deadlineWords(req.registry));
        const run = this.run(req.registry);
        run.timedOut.add(`${req.method} ${req.url}`);
        const limit = this.opts.breakerTimeouts ?? DEFAULT_BREAKER_TIMEOUTS;
        if (run.timedOut.size >= limit) {
          throw this.giveUp(
            req,
            `${run.timedOut.size} different requests timed out (the last: ${requestLine(req.method, req.url)}, after ${Math.round(attemptMs / 100) / 10} s)`,
          );
        }
      }

      const last = !retryable || attempt >= this.retry.maxAttempts;
      let delay: number;
      const retryAfter = res ? parseRetryAfter(res.headers.get("retry-after")) : undefined;
      if (res && retryAfter !== undefined && (res.status === 429 || res.status === 503)) {
        if (retryAfter > this.retry.maxRetryAfterMs) {
          throw this.error(
            req,
            `${statusLine(res.status, res.statusText)} (Retry-After ${Math.ceil(retryAfter / 1000)} s is longer than the ${Math.ceil(this.retry.maxRetryAfterMs / 1000)} s we wait)`,
            res.status,
          );
        }
        delay = retryAfter;
      } else {
        const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        delay = Math.round(this.random() * cap); // "full jitter"
      }
      if (last || waited + delay > this.retry.maxTotalWaitMs) {
        const why = res
          ? statusLine(res.status, res.statusText)
          : `network error: ${describeNetworkError(failure, attemptMs)}`;
        const cause = failure ?? undefined;
        throw this.error(
          req,
          `${why} (gave up after ${attempt} attempt${attempt === 1 ? "" : "s"}, ${Math.round(waited / 100) / 10} s waiting)`,
          res?.status,
          cause,
        );
      }
      this.opts.debug?.(
        `retry ${req.method} ${describePath(req.url)} on ${req.registry} in ${delay} ms (${res ? res.status : "network error"})`,
      );
      // Waiting past the deadline would only end in its failure: say so now.
      if (delay >= this.left(req.registry)) throw this.giveUp(req, this.deadlineWords(req.registry));
      this.count(req.registry, "retries");
      waited += delay;
      await this.sleep(delay);
    }
  }

  /**
   * Docker Hub counts manifest GETs as pulls and reports what is left in `ratelimit-remaining`.
   * Until a first answer tells, up to the per-registry concurrency may go out unchecked.
   */
  private spendPull(req: HttpRequest): void {
    const left = this.remaining.get(req.registry);
    if (left === undefined) return;
    const reserve = this.opts.rateLimitReserve ?? 5;
    if (left <= reserve) {
      throw this.error(
        req,
        `not sent: ratelimit-remaining is ${left}, at or below the reserve of ${reserve} pulls kept for the deploy itself`,
        429,
      );
    }
    this.remaining.set(req.registry, left - 1);
  }

  /**
   * The body of `r`, read as a stream and counted as it comes: a body without Content-Length is
   * cut off at the cap instead of being read whole first (issue #13: 1 GB of chunked tag list cost
   * 3 GB of memory before the old check after `arrayBuffer()`).
   */
  private async readBody(req: HttpRequest, r: Response): Promise<Buffer> {
    const cap = this.opts.maxBodyBytes ?? MAX_BODY_BYTES;
    const tooLarge = (): RegistryError => this.tooLarge(req, r.status);
    const len = Number(r.headers.get("content-length") ?? 0);
    if (len > cap) {
      await r.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (!r.body) return Buffer.alloc(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = r.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > cap) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks, size);
  }

  private tooLarge(req: HttpRequest, status: number): RegistryError {
    const cap = this.opts.maxBodyBytes ?? MAX_BODY_BYTES;
    return this.error(
      req,
      `body larger than ${Math.round((cap / MIB) * 100) / 100} MiB (the most Laminar reads)`,
      status,
    );
  }

  /** Sends one request and reads its answer: through the caller's fetch when one was given. */
  private async attempt(
    req: HttpRequest,
    url: string,
    method: string,
    headers: Record<string, string>,
    ms: number,
  ): Promise<Answer> {
    const body = method === "POST" ? req.body : undefined;
    const signal = AbortSignal.timeout(ms);
    const cap = this.opts.maxBodyBytes ?? MAX_BODY_BYTES;
    if (!this.fetchImpl) {
      try {
        return await nodeRequest(
          url,
          { method, headers, ...(body !== undefined ? { body } : {}), signal },
          cap,
          this.proxies,
        );
      } catch (err) {
        if (err instanceof BodyTooLarge) throw this.tooLarge(req, err.status);
        throw err;
      }
    }
    const r = await this.fetchImpl(url, { method, headers, body, redirect: "manual", signal });
    let read: Buffer;
    if (method === "HEAD") {
      await r.body?.cancel().catch(() => undefined);
      read = Buffer.alloc(0);
    } else read = await this.readBody(req, r);
    return { status: r.status, statusText: r.statusText, headers: r.headers, body: read };
  }

  /** One attempt, following redirects by hand; `onTimeout` learns the attempt's timeout. */
  private async once(req: HttpRequest, onTimeout: (ms: number) => void): Promise<HttpResponse> {
    let url = req.url;
    let method: string = req.method;
    let headers: Record<string, string> = { ...req.headers };
    if (this.opts.userAgent) headers["user-agent"] = this.opts.userAgent;
    const origin = new URL(url).origin;
    const seen = new Set<string>();
    const maxRedirects = this.opts.maxRedirects ?? 5;
    for (let hop = 0; ; hop++) {
      seen.add(`${method} ${url}`);
      const res = await this.limiter(req.registry).run(() =>
        this.global.run(async () => {
          // Checked in the slot, right before sending: requests queued earlier see the latest count.
          // Also checked here, in the slot: requests queued behind a stalled registry are skipped at once.
          this.checkOpen(req);
          if (req.kind === "manifestGet") this.spendPull(req);
          this.count(req.registry, req.kind);
          // The attempt's timeout never runs past the registry's deadline for this run.
          const ms = Math.max(1, Math.min(this.timeoutMs(req.registry), this.left(req.registry)));
          onTimeout(ms);
          const r = await this.attempt(req, url, method, headers, ms);
          const left = parseRateLimitRemaining(r.headers.get("ratelimit-remaining"));
          if (left !== undefined) this.remaining.set(req.registry, left);
          return { ...r, url };
        }),
      );

      if (!REDIRECT_STATUSES.has(res.status)) return res;
      const location = res.headers.get("location");
      if (!location) return res;
      const next = new URL(location, url).toString();
      if (res.status === 303) method = "GET";
      if (seen.has(`${method} ${next}`)) {
        throw this.error(
          req,
          `${statusLine(res.status, res.statusText)}: redirect loop (${describePath(next)} again after ${hop + 1} redirect${hop === 0 ? "" : "s"})`,
          res.status,
        );
      }
      if (hop + 1 > maxRedirects)
        throw this.error(
          req,
          `${statusLine(res.status, res.statusText)}: more than ${maxRedirects} redirects`,
          res.status,
        );
      // Blob downloads redirect to object storage; the registry's credentials must not follow.
      if (new URL(next).origin !== origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
      }
      url = next;
    }
  }
}
