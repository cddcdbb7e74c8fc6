/**
 * A counting loopback proxy in front of the benchmark registry, for the peer comparison
 * (bench/peer-renovate.ts): both tools are pointed at it, so their registry requests are counted
 * by one method outside either of them, by kind. Token requests go to the token server directly
 * (the registry's challenge names it); they are counted from its own record.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Requests that reached the registry through the proxy, by kind. */
export interface ProxyCounts {
  /** `GET /v2/` (the auth probe). */
  ping: number;
  /** `GET /v2/<name>/tags/list` pages. */
  tagPages: number;
  manifestHead: number;
  manifestGet: number;
  blobGet: number;
  /** Anything else (there should be none). */
  other: number;
  /** Of all these, how many were answered 401 (a token had to be fetched first, or again). */
  unauthorized: number;
}

export interface CountingProxy {
  /** `127.0.0.1:PORT`, the registry host the manifests name. */
  readonly host: string;
  /** A copy of the counts so far. */
  counts(): ProxyCounts;
  /** Starts counting from zero. */
  reset(): void;
  stop(): Promise<void>;
}

const zero = (): ProxyCounts => ({
  ping: 0,
  tagPages: 0,
  manifestHead: 0,
  manifestGet: 0,
  blobGet: 0,
  other: 0,
  unauthorized: 0,
});

function kindOf(method: string, path: string): Exclude<keyof ProxyCounts, "unauthorized"> {
  if (path === "/v2/" || path === "/v2") return "ping";
  if (/^\/v2\/.+\/tags\/list$/.test(path)) return "tagPages";
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path))
    return method === "HEAD" ? "manifestHead" : method === "GET" ? "manifestGet" : "other";
  if (method === "GET" && /^\/v2\/.+\/blobs\/[^/]+$/.test(path)) return "blobGet";
  return "other";
}

/** Starts a proxy on 127.0.0.1 forwarding every request, unchanged, to `target` (`http://127.0.0.1:PORT`). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let counts = zero();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? "/", "http://proxy").pathname;
    counts[kindOf(req.method ?? "GET", path)]++;
    // The Host header stays the proxy's, so any absolute URL the registry writes points back here.
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        if (answer.statusCode === 401) counts.unauthorized++;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", (e) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`proxy: ${e.message}`);
    });
    req.pipe(out);
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = zero();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

/** All requests in `c`, plus `tokens` token requests. */
export function totalProxied(c: ProxyCounts, tokens = 0): number {
  return c.ping + c.tagPages + c.manifestHead + c.manifestGet + c.blobGet + c.other + tokens;
}
