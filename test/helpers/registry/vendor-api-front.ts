import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Quay's or Harbor's own API in front of the real registry, on one 127.0.0.1 port like the real
 * products (the API and `/v2/` share the host): `/api/v1/repository/{ns}/{repo}/tag/` (Quay, paged by
 * `limit`/`page`, `has_additional`) or `/api/v2.0/projects/{p}/repositories/{r}/artifacts` (Harbor,
 * `page`/`page_size`, repository names double-encoded). Everything else is proxied to the registry
 * unchanged, so manifests and blobs are the real registry's.
 */

export interface VendorTag {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly pushed: Date;
}

export interface VendorApiFront {
  /** `127.0.0.1:PORT`, the registry host clients use. */
  readonly host: string;
  /** API requests seen (path + query) and the Authorization they carried. */
  readonly apiRequests: { readonly url: string; readonly authorization?: string }[];
  /** Answer the next `n` API requests with this status instead. */
  fail(status: number, n?: number): void;
  close(): Promise<void>;
}

export async function startVendorApiFront(o: {
  api: "quay" | "harbor";
  /** `http://127.0.0.1:PORT` of the real registry. */
  registryUrl: string;
  tags: readonly VendorTag[];
}): Promise<VendorApiFront> {
  const apiRequests: { url: string; authorization?: string }[] = [];
  let failures = { status: 0, left: 0 };
  const upstream = new URL(o.registryUrl);
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  // Newest first, as both products list by default.
  const byRepo = (repo: string) =>
    o.tags.filter((t) => t.repository === repo).sort((a, b) => b.pushed.getTime() - a.pushed.getTime());

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

  const api = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    apiRequests.push({
      url: url.pathname + url.search,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
    if (failures.left > 0) {
      failures.left--;
      json(res, failures.status, { error: "injected" });
      return;
    }
    const quay = /^\/api\/v1\/repository\/([^/]+)\/([^/]+)\/tag\/$/.exec(url.pathname);
    if (o.api === "quay" && quay) {
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const page = Number(url.searchParams.get("page") ?? 1);
      const all = byRepo(`${decodeURIComponent(quay[1]!)}/${decodeURIComponent(quay[2]!)}`);
      const slice = all.slice((page - 1) * limit, page * limit);
      json(res, 200, {
        tags: slice.map((t) => ({
          name: t.tag,
          reversion: false,
          start_ts: seconds(t.pushed),
          manifest_digest: t.digest,
          is_manifest_list: false,
          size: 1234,
          last_modified: t.pushed.toUTCString(),
        })),
        page,
        has_additional: page * limit < all.length,
      });
      return;
    }
    const harbor = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories\/([^/]+)\/artifacts$/.exec(url.pathname);
    if (o.api === "harbor" && harbor) {
      // Harbor decodes the repository segment twice (`a%252Fb` → `a/b`).
      const repo = `${decodeURIComponent(harbor[1]!)}/${decodeURIComponent(decodeURIComponent(harbor[2]!))}`;
      const size = Number(url.searchParams.get("page_size") ?? 10);
      const page = Number(url.searchParams.get("page") ?? 1);
      const byDigest = new Map<string, VendorTag[]>();
      for (const t of byRepo(repo)) byDigest.set(t.digest, [...(byDigest.get(t.digest) ?? []), t]);
      const artifacts = [...byDigest.entries()].map(([digest, ts]) => ({
        id: 1,
        type: "IMAGE",
        digest,
        push_time: ts[ts.length - 1]!.pushed.toISOString(),
        tags: ts.map((t) => ({ name: t.tag, push_time: t.pushed.toISOString(), immutable: false })),
      }));
      res.setHeader("x-total-count", String(artifacts.length));
      json(res, 200, artifacts.slice((page - 1) * size, page * size));
      return;
    }
    json(res, 404, { errors: [{ code: "NOT_FOUND", message: `no route ${url.pathname}` }] });
  };

  const proxy = (req: IncomingMessage, res: ServerResponse): void => {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    out.on("error", () => res.writeHead(502).end());
    req.pipe(out);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname.startsWith("/api/")) api(req, res, url);
    else proxy(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    apiRequests,
    fail(status: number, n = 1) {
      failures = { status, left: n };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
