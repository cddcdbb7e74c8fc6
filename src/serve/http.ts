/**
 * The one HTTP server of `laminar serve` (node:http): probes, metrics, the status API, sync
 * requests and registry webhooks. Every error is JSON (`{"error": "..."}`); request bodies are
 * capped at 1 MiB; every POST needs the Bearer token from LAMINAR_API_TOKEN (without it, POSTs are
 * disabled rather than open), except for senders that cannot set that header: GitHub's package
 * hook (HMAC signature with LAMINAR_WEBHOOK_SECRET), Docker Hub and the original's
 * `/webhooks/github/<gitHubToken>` (a token in the path). See docs/serve.md, "Hosted registries".
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bearerMatches, tokenMatches } from "./bearer-token.js";
import type { ServeEngine } from "./engine.js";
import { buildDockerPushed } from "./hooks/build-docker.js";
import { dockerHubPushed } from "./hooks/dockerhub.js";
import { EnvelopeError, pushedRepositories, type PushedRepository } from "./hooks/distribution.js";
import {
  githubCommentCommand,
  githubPackagePushed,
  githubSignatureMatches,
  githubSignatureShape,
} from "./hooks/github.js";
import { harborPushed } from "./hooks/harbor.js";
import { PayloadError } from "./hooks/payload.js";
import { renderStatusPage } from "./page.js";

/** Largest request body read; a bigger one is refused with 413 before it is buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the server answers from. */
export interface HttpOptions {
  readonly engine: ServeEngine;
  /** The API token; undefined disables every POST endpoint. */
  readonly apiToken: string | undefined;
  readonly log: (message: string) => void;
  /**
   * The registry host Docker Hub and GitHub Packages pushes refer to (default `docker.io`,
   * `ghcr.io`): a setup that reads those images through a mirror names the mirror here
   * (`global.hookHosts` of the server file).
   */
  readonly hookHosts?: { readonly dockerhub?: string; readonly ghcr?: string };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A running server and how to stop it. */
export interface RunningHttpServer {
  readonly server: Server;
  /** `host:port` it listens on (the port the kernel chose for port 0). */
  readonly address: string;
  /** Stops accepting connections and closes idle ones. */
  close(): Promise<void>;
}

/** Starts the server on `host:port`. */
export async function listenHttp(o: HttpOptions, host: string, port: number): Promise<RunningHttpServer> {
  let closing = false;
  const server = createServer((req, res) => {
    handle(o, req, res, closing).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, "internal error");
      if (!(e instanceof HttpError))
        o.log(`laminar: HTTP ${req.method} ${withoutPathToken(req.url ?? "/")}: ${String(e)}`);
      sendJson(res, err.status, { error: err.message }, err.headers);
    });
  });
  // Slow-loris: a client that never finishes its headers or body must not hold a socket forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return {
    server,
    address: `${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function handle(o: HttpOptions, req: IncomingMessage, res: ServerResponse, closing: boolean): Promise<void> {
  const url = new URL(req.url ?? "/", "http://laminar.invalid");
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const method = req.method ?? "GET";
  const get = (): void => {
    if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "use GET", { allow: "GET, HEAD" });
  };
  const postOnly = (): void => {
    if (method !== "POST") throw new HttpError(405, "use POST", { allow: "POST" });
  };
  const apiToken = (): string => {
    if (o.apiToken === undefined)
      throw new HttpError(403, "POST endpoints are disabled: start laminar serve with LAMINAR_API_TOKEN set");
    return o.apiToken;
  };
  const unauthorised = (): HttpError =>
    new HttpError(401, "missing or wrong Bearer token", { "www-authenticate": 'Bearer realm="laminar"' });
  const notClosing = (): void => {
    if (closing || o.engine.isStopping()) throw new HttpError(503, "shutting down: no new work is taken");
  };
  const post = async (): Promise<unknown> => {
    postOnly();
    // Before reading the body: an unauthorised client must not make the server buffer anything.
    if (!bearerMatches(req.headers.authorization, apiToken())) throw unauthorised();
    notClosing();
    return readJson(req);
  };
  /** Payload errors of the hook readers are the client's: 400 with the reader's message. */
  const parse = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof EnvelopeError || e instanceof PayloadError) throw new HttpError(400, e.message);
      throw e;
    }
  };
  const trigger = (pushed: readonly PushedRepository[]): void => {
    const triggered = new Set<string>();
    for (const p of pushed) for (const n of o.engine.imagePushed(p.repository, p.host)) triggered.add(n);
    const pausedSince = o.engine.pausedAt();
    sendJson(res, 202, {
      triggered: [...triggered],
      // Said in the answer too: a sender's delivery log shows why nothing changed.
      ...(pausedSince ? { paused: true, pausedSince: pausedSince.toISOString() } : {}),
    });
  };

  if (path === "/") {
    get();
    return sendPage(res, method, renderStatusPage(o.engine.status(), { now: new Date() }));
  }
  if (path === "/healthz") {
    get();
    return sendJson(res, 200, { status: "ok" });
  }
  if (path === "/readyz") {
    get();
    const waiting = o.engine
      .status()
      .filter((r) => !r.cloned)
      .map((r) => r.name);
    return sendJson(
      res,
      waiting.length ? 503 : 200,
      waiting.length ? { status: "cloning", waiting } : { status: "ready" },
    );
  }
  if (path === "/metrics") {
    get();
    const text = await o.engine.metrics.render();
    res.writeHead(200, { "content-type": o.engine.metrics.contentType });
    res.end(text);
    return;
  }
  if (path === "/api/v1/repos") {
    get();
    return sendJson(res, 200, { repositories: o.engine.status() });
  }
  if (path === "/api/v1/sync") {
    await post();
    o.engine.syncAll("api");
    return sendJson(res, 202, { queued: o.engine.names() });
  }
  const one = /^\/api\/v1\/repos\/([^/]+)\/sync$/.exec(path);
  if (one) {
    await post();
    const name = decodeURIComponent(one[1] as string);
    if (!o.engine.sync(name, "api")) throw new HttpError(404, `no repository named ${JSON.stringify(name)}`);
    return sendJson(res, 202, { queued: [name] });
  }
  if (path === "/api/v1/hooks/distribution") {
    const body = await post();
    return trigger(parse(() => pushedRepositories(body)));
  }
  if (path === "/api/v1/hooks/github") {
    postOnly();
    // GitHub signs with a shared secret instead of sending a token: LAMINAR_WEBHOOK_SECRET.
    const secret = o.engine.hookSecrets().webhookSecret;
    if (!secret)
      throw new HttpError(403, "the GitHub webhook is disabled: start laminar serve with LAMINAR_WEBHOOK_SECRET set");
    const header = req.headers["x-hub-signature-256"];
    const signature = typeof header === "string" ? header : undefined;
    // `connection: close`: a body left unread is not drained to keep the connection alive.
    const badSignature = (): HttpError =>
      new HttpError(401, "missing or wrong X-Hub-Signature-256", { connection: "close" });
    // Without a well-formed signature nothing of the body is read: an unsigned sender cannot make
    // the server buffer (or parse) anything.
    if (!githubSignatureShape(signature)) throw badSignature();
    // The signature covers the raw bytes: read them (capped), check them, and only then parse.
    const raw = await readBody(req);
    if (!githubSignatureMatches(signature, raw, secret)) throw badSignature();
    notClosing();
    const event = String(req.headers["x-github-event"] ?? "");
    if (event === "ping") return sendJson(res, 200, { status: "pong" });
    if (event !== "package" && event !== "registry_package")
      return sendJson(res, 202, { triggered: [], ignored: `event ${JSON.stringify(event)}` });
    const body = parseJson(raw);
    const pushed = parse(() => githubPackagePushed(event, body, o.hookHosts?.ghcr));
    return trigger(pushed ? [pushed] : []);
  }
  // Docker Hub cannot send headers, and a `?token=` query lands in every proxy's access log: the
  // token is a path segment instead (still logged by some proxies: keep this endpoint behind TLS).
  const dockerHub = /^\/api\/v1\/hooks\/dockerhub(?:\/([^/]*))?$/.exec(path);
  if (dockerHub) {
    postOnly();
    if (!tokenMatches(safeDecode(dockerHub[1]), apiToken()))
      throw new HttpError(401, "missing or wrong token: use /api/v1/hooks/dockerhub/<LAMINAR_API_TOKEN>");
    notClosing();
    const body = await readJson(req);
    return trigger([parse(() => dockerHubPushed(body, o.hookHosts?.dockerhub))]);
  }
  if (path === "/api/v1/hooks/harbor") {
    // Harbor's "Auth Header" setting sends its value as the Authorization header: `Bearer <token>`.
    const body = await post();
    return trigger(parse(() => harborPushed(body)));
  }
  if (path === "/webhooks/build/docker") {
    const body = await post();
    return trigger([parse(() => buildDockerPushed(body))]);
  }
  const original = /^\/webhooks\/github(?:\/([^/]*))?$/.exec(path);
  if (original) {
    postOnly();
    const token = o.engine.hookSecrets().gitHubToken;
    if (!token) throw new HttpError(403, "this endpoint is disabled: set global.gitHubToken in the server file");
    if (!tokenMatches(safeDecode(original[1]), token)) throw new HttpError(401, "missing or wrong token in the path");
    notClosing();
    const body = await readJson(req);
    const event = String(req.headers["x-github-event"] ?? "issue_comment");
    if (event === "ping") return sendJson(res, 200, { status: "pong" });
    if (event !== "issue_comment") return sendJson(res, 202, { ignored: `event ${JSON.stringify(event)}` });
    const command = parse(() => githubCommentCommand(body));
    if (command === "pause") return sendPaused(res, o.engine.pause("a [laminar pause] comment"));
    if (command === "resume") return sendResumed(res, o.engine.resume("a [laminar resume] comment"));
    return sendJson(res, 202, { ignored: "the comment has no [laminar pause] or [laminar resume]" });
  }
  if (path === "/api/v1/pause") {
    await post();
    return sendPaused(res, o.engine.pause("POST /api/v1/pause"));
  }
  if (path === "/api/v1/resume") {
    await post();
    return sendResumed(res, o.engine.resume("POST /api/v1/resume"));
  }
  throw new HttpError(404, `no such endpoint: ${method} ${withoutPathToken(path)}`);
}

/** Reads a body of at most MAX_BODY_BYTES; 413 when larger. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`, { connection: "close" });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`, { connection: "close" });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Reads a JSON body of at most MAX_BODY_BYTES; 413 when larger, 400 when not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  return parseJson(await readBody(req));
}

function parseJson(raw: Buffer): unknown {
  const text = raw.toString("utf8");
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
}

/** The URL with the tokens some endpoints carry in their path replaced by `***` (for logs and errors). */
function withoutPathToken(url: string): string {
  return url.replace(/(\/hooks\/dockerhub|\/webhooks\/github)\/[^?#]*/, "$1/***");
}

/** A percent-decoded path segment; a malformed escape is simply a wrong token. */
function safeDecode(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return "";
  }
}

function sendPaused(res: ServerResponse, since: Date): void {
  sendJson(res, 200, {
    paused: true,
    pausedSince: since.toISOString(),
    until: "resumed (a restart keeps it): a [laminar resume] comment, or POST /api/v1/resume with the Bearer token",
  });
}

function sendResumed(res: ServerResponse, queued: string[]): void {
  sendJson(res, 200, { paused: false, queued });
}

/**
 * The status page. The policy allows inline CSS and nothing else (no script, image, frame or form
 * target at all): even a value that escaped escaping could not run or load anything.
 */
function sendPage(res: ServerResponse, method: string, page: string): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(page)),
    "content-security-policy":
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
  });
  res.end(method === "HEAD" ? undefined : page);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}
