/**
 * A local HTTP server that speaks the registry responses the real docker-registry 2.8 cannot
 * produce: `Link` pagination (distribution-style `last=` links and opaque Quay-style `next_page`),
 * 429 + Retry-After, 5xx then success, slow answers, Docker Hub's tag API, GCR's `tags/list`
 * manifest map, ECR DescribeImages, `ratelimit-remaining`, redirect loops and malformed JSON.
 *
 * Every repository holds real single-platform OCI images (config blob with `created`), so the
 * generic manifest → config path works against it too. Requests are counted by kind so tests can
 * assert exactly how many the client made.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type FakeRequestKind =
  "ping" | "token" | "tagPages" | "manifestHead" | "manifestGet" | "blobGet" | "hubApi" | "ecrApi" | "other";

export interface FakeTagSpec {
  readonly tag: string;
  /** Config `created`; omitted from the config when undefined. */
  readonly created?: Date;
  /** Push time reported by the Hub / GCR / ECR APIs (default: `created`). */
  readonly pushed?: Date;
  /** Manifest annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface FakeRepositoryOptions {
  readonly tags: ReadonlyArray<string | FakeTagSpec>;
  /**
   * `link` (default): `Link: </v2/NAME/tags/list?n=N&last=TAG>; rel="next"`;
   * `opaque`: Quay-style `?next_page=<opaque>` that only works if followed exactly;
   * `absolute`: like `link` but an absolute URL; `none`: every tag at once, ignoring `n`.
   */
  readonly pagination?: "link" | "opaque" | "absolute" | "none";
  /** Page size when the client sends no `n`, and the most the server returns (default 100). */
  readonly pageSize?: number;
  /** Reject `n` above this with 400 (ECR rejects n > 1000). */
  readonly maxN?: number;
  /** Add GCR's `manifest` map (`timeUploadedMs`, `timeCreatedMs`) to `tags/list`. */
  readonly gcrManifestMap?: boolean;
  /** Serve Docker Hub's tag API for this repository (`namespace/name`). */
  readonly hubApi?: boolean;
}

export interface FakeRule {
  readonly kind?: FakeRequestKind;
  readonly method?: string;
  /** Substring of, or pattern for, the request path + query. */
  readonly path?: string | RegExp;
  /** How many matching requests this rule answers (default 1; `Infinity` for ever). */
  times?: number;
  /** Answer with this status; without it the request is served normally (after `delayMs`). */
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly delayMs?: number;
}

export interface FakeAuthOptions {
  /** `basic`: Basic on every /v2 request; `bearer`: our /token endpoint issues opaque tokens. */
  readonly scheme: "basic" | "bearer";
  readonly users?: Readonly<Record<string, string>>;
  /** Bearer: issue tokens without credentials. */
  readonly anonymous?: boolean;
  /** Bearer: `expires_in` in seconds (default 300). */
  readonly expiresIn?: number;
}

export interface FakeRegistryOptions {
  readonly repositories?: Readonly<Record<string, FakeRepositoryOptions>>;
  readonly auth?: FakeAuthOptions;
  /** Docker Hub-style pull limit: manifest GETs decrement it; headers on manifest answers. */
  readonly rateLimit?: { readonly limit: number; readonly remaining: number };
  /** ECR DescribeImages at `POST /` (checked: SigV4 Authorization with this access key id). */
  readonly ecr?: { readonly accessKeyId: string; readonly registryId?: string };
}

export interface FakeRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly kind: FakeRequestKind;
  readonly status: number;
  readonly authorization?: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface FakeImage {
  readonly tag: string;
  readonly digest: string;
  readonly configDigest: string;
  readonly created?: Date;
  readonly pushed?: Date;
}

export interface FakeRegistry {
  /** `127.0.0.1:PORT` */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: readonly FakeRequestRecord[];
  counts(): Record<FakeRequestKind, number>;
  /** Most requests that were being answered at the same time (since the last reset). */
  maxInFlight(): number;
  /** Forget recorded requests (rules and data stay). */
  reset(): void;
  /** Adds a scripted answer; rules are tried in the order added. */
  rule(rule: FakeRule): FakeRule;
  clearRules(): void;
  setRepository(name: string, repo: FakeRepositoryOptions): void;
  /** The images of a repository, by tag (digests as the fake serves them). */
  images(name: string): ReadonlyMap<string, FakeImage>;
  /** Invalidate every bearer token issued so far (the next request gets 401). */
  revokeTokens(): void;
  stop(): Promise<void>;
}

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface StoredRepo {
  opts: FakeRepositoryOptions;
  order: string[];
  byTag: Map<string, FakeImage & { raw: string }>;
  blobs: Map<string, string>;
  manifests: Map<string, string>;
}

function buildRepo(opts: FakeRepositoryOptions): StoredRepo {
  const repo: StoredRepo = { opts, order: [], byTag: new Map(), blobs: new Map(), manifests: new Map() };
  for (const t of opts.tags) {
    const spec: FakeTagSpec = typeof t === "string" ? { tag: t } : t;
    const config = JSON.stringify({
      ...(spec.created ? { created: spec.created.toISOString() } : {}),
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
      // distinct content per tag even without a created time
      config: { Labels: { "fake.tag": spec.tag } },
    });
    const configDigest = sha256(config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: configDigest, size: Buffer.byteLength(config) },
      layers: [],
      ...(spec.annotations ? { annotations: spec.annotations } : {}),
    });
    const digest = sha256(manifest);
    repo.order.push(spec.tag);
    repo.byTag.set(spec.tag, {
      tag: spec.tag,
      digest,
      configDigest,
      created: spec.created,
      pushed: spec.pushed ?? spec.created,
      raw: manifest,
    });
    repo.blobs.set(configDigest, config);
    repo.manifests.set(digest, manifest);
  }
  return repo;
}

function classify(method: string, path: string): FakeRequestKind {
  if (path === "/v2/" || path === "/v2") return "ping";
  if (path.startsWith("/token")) return "token";
  if (path.startsWith("/v2/namespaces/")) return "hubApi";
  if (method === "POST" && path === "/") return "ecrApi";
  if (/^\/v2\/.+\/tags\/list/.test(path)) return "tagPages";
  if (/^\/v2\/.+\/manifests\//.test(path)) return method === "HEAD" ? "manifestHead" : "manifestGet";
  if (/^\/v2\/.+\/blobs\//.test(path)) return "blobGet";
  return "other";
}

const emptyCounts = (): Record<FakeRequestKind, number> => ({
  ping: 0,
  token: 0,
  tagPages: 0,
  manifestHead: 0,
  manifestGet: 0,
  blobGet: 0,
  hubApi: 0,
  ecrApi: 0,
  other: 0,
});

function matches(rule: FakeRule, kind: FakeRequestKind, method: string, path: string): boolean {
  if ((rule.times ?? 1) <= 0) return false;
  if (rule.kind && rule.kind !== kind) return false;
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path !== undefined) {
    if (typeof rule.path === "string" ? !path.includes(rule.path) : !rule.path.test(path)) return false;
  }
  return true;
}

function errorBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message, detail: null }] });
}

export async function startFakeRegistry(opts: FakeRegistryOptions = {}): Promise<FakeRegistry> {
  const repos = new Map<string, StoredRepo>();
  for (const [name, r] of Object.entries(opts.repositories ?? {})) repos.set(name, buildRepo(r));
  const requests: FakeRequestRecord[] = [];
  let rules: FakeRule[] = [];
  let tokens = new Set<string>();
  let remaining = opts.rateLimit?.remaining ?? 0;
  let baseUrl = "";
  let inFlight = 0;
  let maxInFlight = 0;

  const rateHeaders = (): Record<string, string> =>
    opts.rateLimit
      ? {
          "ratelimit-limit": `${opts.rateLimit.limit};w=21600`,
          "ratelimit-remaining": `${Math.max(0, remaining)};w=21600`,
        }
      : {};

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body);
  };

  const checkAuth = (req: IncomingMessage, res: ServerResponse, path: string): boolean => {
    const a = opts.auth;
    if (!a || !path.startsWith("/v2")) return true;
    const h = req.headers.authorization ?? "";
    if (a.scheme === "basic") {
      const decoded = h.startsWith("Basic ") ? Buffer.from(h.slice(6), "base64").toString() : "";
      const i = decoded.indexOf(":");
      if (i > 0 && a.users?.[decoded.slice(0, i)] === decoded.slice(i + 1)) return true;
      send(res, 401, errorBody("UNAUTHORIZED", "authentication required"), {
        "www-authenticate": 'Basic realm="fake registry, with a comma"',
      });
      return false;
    }
    if (h.startsWith("Bearer ") && tokens.has(h.slice(7))) return true;
    const m = /^\/v2\/(.+)\/(tags|manifests|blobs)\//.exec(path);
    const scope = m ? `,scope="repository:${m[1]}:pull"` : "";
    send(res, 401, errorBody("UNAUTHORIZED", "authentication required"), {
      "www-authenticate": `Bearer realm="${baseUrl}/token",service="fake-registry"${scope}`,
    });
    return false;
  };

  const handleToken = (req: IncomingMessage, res: ServerResponse) => {
    const a = opts.auth;
    const h = req.headers.authorization ?? "";
    const decoded = h.startsWith("Basic ") ? Buffer.from(h.slice(6), "base64").toString() : "";
    const i = decoded.indexOf(":");
    const ok = i > 0 ? a?.users?.[decoded.slice(0, i)] === decoded.slice(i + 1) : !h && a?.anonymous === true;
    if (!ok) return send(res, 401, errorBody("UNAUTHORIZED", "bad credentials"));
    const token = randomBytes(16).toString("hex");
    tokens.add(token);
    send(res, 200, JSON.stringify({ token, expires_in: a?.expiresIn ?? 300, issued_at: new Date().toISOString() }));
  };

  const handleTags = (res: ServerResponse, name: string, url: URL) => {
    const repo = repos.get(name);
    if (!repo) return send(res, 404, errorBody("NAME_UNKNOWN", "repository name not known to registry"));
    const o = repo.opts;
    const nParam = url.searchParams.get("n");
    const n = nParam === null ? undefined : Number(nParam);
    if (n !== undefined && o.maxN !== undefined && n > o.maxN) {
      return send(res, 400, errorBody("PAGINATION_NUMBER_INVALID", `n must be <= ${o.maxN}`));
    }
    const style = o.pagination ?? "link";
    let start = 0;
    if (style === "opaque") {
      const token = url.searchParams.get("next_page");
      if (token !== null) {
        const decoded = /^p(\d+)\.[0-9a-f]+$/.exec(Buffer.from(token, "base64url").toString());
        if (!decoded) return send(res, 400, errorBody("PAGINATION_TOKEN_INVALID", "bad next_page"));
        start = Number(decoded[1]);
      }
    } else if (style !== "none") {
      const last = url.searchParams.get("last");
      if (last !== null) start = repo.order.indexOf(last) + 1;
    }
    const size = style === "none" ? repo.order.length : Math.min(n ?? o.pageSize ?? 100, o.pageSize ?? 100);
    const page = repo.order.slice(start, start + size);
    const headers: Record<string, string> = {};
    const more = start + page.length < repo.order.length && page.length > 0;
    if (more) {
      const q =
        style === "opaque"
          ? `next_page=${Buffer.from(`p${start + page.length}.${randomBytes(4).toString("hex")}`).toString("base64url")}&n=${size}`
          : `n=${size}&last=${encodeURIComponent(page[page.length - 1]!)}`;
      const target = `/v2/${name}/tags/list?${q}`;
      headers.link = `<${style === "absolute" ? baseUrl + target : target}>; rel="next"`;
    }
    const body: Record<string, unknown> = { name, tags: page };
    if (o.gcrManifestMap) {
      const manifest: Record<string, unknown> = {};
      for (const tag of page) {
        const img = repo.byTag.get(tag)!;
        const prev = manifest[img.digest] as { tag: string[] } | undefined;
        if (prev) prev.tag.push(tag);
        else
          manifest[img.digest] = {
            imageSizeBytes: "1234",
            layerId: "",
            mediaType: OCI_MANIFEST,
            tag: [tag],
            timeCreatedMs: String(img.created?.getTime() ?? 0),
            timeUploadedMs: String(img.pushed?.getTime() ?? 0),
          };
      }
      body.manifest = manifest;
      body.child = [];
    }
    send(res, 200, JSON.stringify(body), headers);
  };

  const handleManifest = (req: IncomingMessage, res: ServerResponse, name: string, ref: string) => {
    const repo = repos.get(name);
    const raw = repo ? (ref.startsWith("sha256:") ? repo.manifests.get(ref) : repo.byTag.get(ref)?.raw) : undefined;
    if (!raw) return send(res, 404, errorBody("MANIFEST_UNKNOWN", "manifest unknown"), rateHeaders());
    const accept = String(req.headers.accept ?? "");
    if (!accept.includes(OCI_MANIFEST)) {
      // Like distribution: an OCI manifest is not served to a client that does not accept it.
      return send(
        res,
        404,
        errorBody("MANIFEST_UNKNOWN", "OCI manifest found, but accept header does not support OCI manifests"),
      );
    }
    if (req.method === "GET" && opts.rateLimit) {
      if (remaining <= 0) {
        return send(res, 429, errorBody("TOOMANYREQUESTS", "You have reached your pull rate limit."), rateHeaders());
      }
      remaining--;
    }
    const headers = {
      "content-type": OCI_MANIFEST,
      "docker-content-digest": sha256(raw),
      "content-length": String(Buffer.byteLength(raw)),
      ...rateHeaders(),
    };
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : raw);
  };

  const handleBlob = (res: ServerResponse, name: string, digest: string) => {
    const blob = repos.get(name)?.blobs.get(digest);
    if (!blob) return send(res, 404, errorBody("BLOB_UNKNOWN", "blob unknown to registry"));
    send(res, 200, blob, { "content-type": "application/octet-stream", "docker-content-digest": digest });
  };

  const handleHub = (res: ServerResponse, url: URL) => {
    const m = /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)\/tags\/?$/.exec(url.pathname);
    const repo = m ? repos.get(`${m[1]}/${m[2]}`) : undefined;
    if (!m || !repo || !repo.opts.hubApi) return send(res, 404, JSON.stringify({ message: "object not found" }));
    const pageSize = Math.min(Number(url.searchParams.get("page_size") ?? 10), 100);
    const page = Number(url.searchParams.get("page") ?? 1);
    const all = repo.order.map((t) => repo.byTag.get(t)!);
    const slice = all.slice((page - 1) * pageSize, page * pageSize);
    const next =
      page * pageSize < all.length
        ? `${baseUrl}/v2/namespaces/${m[1]}/repositories/${m[2]}/tags?page=${page + 1}&page_size=${pageSize}`
        : null;
    send(
      res,
      200,
      JSON.stringify({
        count: all.length,
        next,
        previous: null,
        results: slice.map((img) => ({
          name: img.tag,
          digest: img.digest,
          last_updated: img.pushed?.toISOString(),
          tag_last_pushed: img.pushed?.toISOString(),
          tag_status: "active",
          images: [{ architecture: "amd64", os: "linux", digest: img.digest, last_pushed: img.pushed?.toISOString() }],
        })),
      }),
    );
  };

  const handleEcr = async (req: IncomingMessage, res: ServerResponse) => {
    const target = String(req.headers["x-amz-target"] ?? "");
    const authz = String(req.headers.authorization ?? "");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const e = opts.ecr;
    const credOk =
      e &&
      authz.startsWith(`AWS4-HMAC-SHA256 Credential=${e.accessKeyId}/`) &&
      /SignedHeaders=[^,]*host[^,]*x-amz-date/.test(authz) &&
      /Signature=[0-9a-f]{64}$/.test(authz) &&
      typeof req.headers["x-amz-date"] === "string";
    if (!credOk) {
      return send(res, 403, JSON.stringify({ __type: "UnrecognizedClientException", message: "bad signature" }));
    }
    if (target !== "AmazonEC2ContainerRegistry_V20150921.DescribeImages") {
      return send(res, 400, JSON.stringify({ __type: "UnknownOperationException" }));
    }
    const body = JSON.parse(Buffer.concat(chunks).toString() || "{}") as {
      repositoryName?: string;
      imageIds?: Array<{ imageTag?: string }>;
    };
    const repo = repos.get(body.repositoryName ?? "");
    if (!repo) {
      return send(res, 400, JSON.stringify({ __type: "RepositoryNotFoundException", message: "no such repository" }));
    }
    const imageDetails: unknown[] = [];
    const failures: unknown[] = [];
    for (const id of body.imageIds ?? []) {
      const img = id.imageTag ? repo.byTag.get(id.imageTag) : undefined;
      if (!img) {
        failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        continue;
      }
      imageDetails.push({
        registryId: e?.registryId ?? "123456789012",
        repositoryName: body.repositoryName,
        imageDigest: img.digest,
        imageTags: [img.tag],
        imagePushedAt: (img.pushed?.getTime() ?? 0) / 1000,
        imageManifestMediaType: OCI_MANIFEST,
      });
    }
    send(res, 200, JSON.stringify({ imageDetails, failures }), { "content-type": "application/x-amz-json-1.1" });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const full = url.pathname + url.search;
    const kind = classify(method, url.pathname);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on("close", () => {
      inFlight--;
      requests.push({
        method,
        path: full,
        kind,
        status: res.statusCode,
        authorization: req.headers.authorization,
        headers: { ...req.headers },
      });
    });

    const rule = rules.find((r) => matches(r, kind, method, full));
    if (rule) {
      rule.times = (rule.times ?? 1) - 1;
      if (rule.delayMs) await new Promise((r) => setTimeout(r, rule.delayMs));
      if (res.destroyed) return;
      if (rule.status !== undefined) {
        res.writeHead(rule.status, { "content-type": "application/json", ...rule.headers });
        res.end(method === "HEAD" ? undefined : (rule.body ?? errorBody("SCRIPTED", `scripted ${rule.status}`)));
        return;
      }
    }

    if (kind === "token") return handleToken(req, res);
    if (kind === "ecrApi") return handleEcr(req, res);
    if (kind === "hubApi") return handleHub(res, url);
    if (!checkAuth(req, res, url.pathname)) return;
    if (kind === "ping") return send(res, 200, "{}", { "docker-distribution-api-version": "registry/2.0" });
    let m: RegExpExecArray | null;
    if ((m = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname))) return handleTags(res, m[1]!, url);
    if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname))) return handleManifest(req, res, m[1]!, m[2]!);
    if ((m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(url.pathname))) return handleBlob(res, m[1]!, m[2]!);
    send(res, 404, errorBody("UNSUPPORTED", "not found"));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const host = `127.0.0.1:${port}`;
  baseUrl = `http://${host}`;

  return {
    host,
    url: baseUrl,
    requests,
    counts() {
      const c = emptyCounts();
      for (const r of requests) c[r.kind]++;
      return c;
    },
    maxInFlight: () => maxInFlight,
    reset() {
      requests.length = 0;
      maxInFlight = inFlight;
    },
    rule(rule) {
      rules.push(rule);
      return rule;
    },
    clearRules() {
      rules = [];
    },
    setRepository(name, repo) {
      repos.set(name, buildRepo(repo));
    },
    images(name) {
      return new Map(repos.get(name)?.byTag ?? []);
    },
    revokeTokens() {
      tokens = new Set();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
