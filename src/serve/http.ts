/**
 * The one HTTP server of `laminar serve` (node:http): probes, metrics, the status API, sync
 * requests and registry webhooks. Every error is JSON (`{"error": "..."}`); request bodies are
 * capped at 1 MiB; every POST needs the Bearer token from LAMINAR_API_TOKEN (without it, POSTs are
 * disabled rather than open).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { bearerMatches } from "./bearer-token.js";
import type { ServeEngine } from "./engine.js";
import { EnvelopeError, pushedRepositories } from "./hooks/distribution.js";

/** Largest request body read; a bigger one is refused with 413 before it is buffered. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What the server answers from. */
export interface HttpOptions {
  readonly engine: ServeEngine;
  /** The API token; undefined disables every POST endpoint. */
  readonly apiToken: string | undefined;
  readonly log: (message: string) => void;
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
      if (!(e instanceof HttpError)) o.log(`laminar: HTTP ${req.method} ${req.url}: ${String(e)}`);
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
  const post = async (): Promise<unknown> => {
    if (method !== "POST") throw new HttpError(405, "use POST", { allow: "POST" });
    if (o.apiToken === undefined)
      throw new HttpError(403, "POST endpoints are disabled: start laminar serve with LAMINAR_API_TOKEN set");
    // Before reading the body: an unauthorised client must not make the server buffer anything.
    if (!bearerMatches(req.headers.authorization, o.apiToken))
      throw new HttpError(401, "missing or wrong Bearer token", { "www-authenticate": 'Bearer realm="laminar"' });
    if (closing || o.engine.isStopping()) throw new HttpError(503, "shutting down: no new work is taken");
    return readJson(req);
  };

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
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end(o.engine.metrics.render());
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
    let pushed;
    try {
      pushed = pushedRepositories(body);
    } catch (e) {
      if (e instanceof EnvelopeError) throw new HttpError(400, e.message);
      throw e;
    }
    const triggered = new Set<string>();
    for (const p of pushed) for (const n of o.engine.imagePushed(p.repository, p.host)) triggered.add(n);
    return sendJson(res, 202, { triggered: [...triggered] });
  }
  throw new HttpError(404, `no such endpoint: ${method} ${path}`);
}

/** Reads a JSON body of at most MAX_BODY_BYTES; 413 when larger, 400 when not JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
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
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
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
