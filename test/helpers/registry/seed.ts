/**
 * Pushes synthetic images to a registry with plain HTTP (no docker, no skopeo): per repository one
 * small gzip layer, uploaded once; per tag a config blob whose `created` sets the build time and a
 * manifest (Docker v2 or OCI); for multi-arch images one manifest per platform plus an index /
 * manifest list over them. Used by the registry tests, the benchmarks and the README example.
 *
 * Independent of `src/registry/` on purpose: the harness must not share bugs with the client it
 * tests, so it carries its own tiny Basic/Bearer handling.
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

export type ImageFormat = "oci" | "docker";

export interface SeedImage {
  readonly repository: string;
  readonly tag: string;
  /** Build time written to the config blob's `created`; omitted from the config when undefined. */
  readonly created?: Date;
  /** `os/arch[/variant]` list: pushes an index (OCI) or manifest list (Docker) over one manifest each. */
  readonly platforms?: readonly string[];
  /** The platform of a single-platform image (default linux/amd64). */
  readonly platform?: string;
  /** Per-platform build time overriding `created` for that child. */
  readonly platformCreated?: Readonly<Record<string, Date>>;
  /** Manifest annotations (on the index too for multi-arch). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Config labels. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Default `oci`. */
  readonly format?: ImageFormat;
}

export interface SeedTarget {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Used when `opts.auth` is not given (a `RunningRegistry` has it). */
  readonly credentials?: { readonly username: string; readonly password: string };
}

export interface SeedOptions {
  /** Parallel image pushes (default 16). */
  concurrency?: number;
  /** Credentials; defaults to `registry.credentials`. */
  auth?: { username: string; password: string };
}

export interface SeededChild {
  readonly platform: string;
  readonly digest: string;
  readonly configDigest: string;
  readonly created?: Date;
}

export interface SeededImage {
  readonly repository: string;
  readonly tag: string;
  /** Digest the tag points at (the index digest for multi-arch). */
  readonly digest: string;
  readonly mediaType: string;
  /** Config blob digest (single-platform images only). */
  readonly configDigest?: string;
  readonly children?: readonly SeededChild[];
  /** The exact manifest bytes pushed, so a test can push them again under another tag. */
  readonly raw: string;
}

export const MEDIA = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A one-file ustar archive, built by hand (no tar dependency). */
function tinyTar(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, "utf8");
  header.write("0000644\0", 100, "ascii");
  header.write("0000000\0", 108, "ascii");
  header.write("0000000\0", 116, "ascii");
  header.write(data.length.toString(8).padStart(11, "0") + "\0", 124, "ascii");
  header.write("00000000000\0", 136, "ascii");
  header.write("        ", 148, "ascii");
  header.write("0", 156, "ascii");
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512, 0);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024, 0)]);
}

const LAYER_TAR = tinyTar("laminar.txt", "seeded by laminar's test harness\n");
const LAYER = gzipSync(LAYER_TAR, { level: 9 });
const LAYER_DIGEST = sha256(LAYER);
const LAYER_DIFF_ID = sha256(LAYER_TAR);

function parsePlatform(p: string): { os: string; architecture: string; variant?: string } {
  const [os = "linux", architecture = "amd64", variant] = p.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** Minimal WWW-Authenticate parsing for the harness (the client has the real one). */
function parseChallenge(h: string): { scheme: string; params: Record<string, string> } {
  const sp = h.indexOf(" ");
  const scheme = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of h.slice(sp + 1).matchAll(re)) params[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? "";
  return { scheme, params };
}

/** HTTP with just enough auth for pushing: Basic, or Bearer tokens per repository. */
export class Pusher {
  private readonly authByRepo = new Map<string, string>();
  private challenge: { scheme: string; params: Record<string, string> } | undefined;
  readonly layerUploads = new Map<string, Promise<void>>();

  constructor(
    readonly baseUrl: string,
    private readonly creds?: { username: string; password: string },
  ) {}

  private basic(): string | undefined {
    return this.creds
      ? `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password}`).toString("base64")}`
      : undefined;
  }

  private async authorize(repo: string): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    if (ch.scheme === "basic") return this.basic();
    const u = new URL(ch.params.realm ?? "");
    if (ch.params.service) u.searchParams.set("service", ch.params.service);
    u.searchParams.set("scope", `repository:${repo}:pull,push,delete`);
    const basic = this.basic();
    const res = await fetch(u, { headers: basic ? { authorization: basic } : {} });
    if (!res.ok) throw new Error(`token server: ${res.status} for ${repo}`);
    const body = (await res.json()) as { token?: string; access_token?: string };
    return `Bearer ${body.token ?? body.access_token}`;
  }

  async send(
    repo: string,
    method: string,
    url: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const auth = this.authByRepo.get(repo);
      const res = await fetch(url, {
        method,
        body,
        headers: { ...headers, ...(auth ? { authorization: auth } : {}) },
      });
      if (res.status === 401 && attempt === 0) {
        await res.arrayBuffer();
        const h = res.headers.get("www-authenticate");
        if (h) this.challenge = parseChallenge(h);
        const a = await this.authorize(repo);
        if (a) this.authByRepo.set(repo, a);
        continue;
      }
      return res;
    }
  }

  async expect(res: Response, status: number, what: string): Promise<Response> {
    if (res.status !== status) {
      throw new Error(`seed: ${what} → ${res.status} ${res.statusText}: ${(await res.text()).slice(0, 500)}`);
    }
    return res;
  }

  async uploadBlob(repo: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const start = await this.expect(
      await this.send(repo, "POST", `${this.baseUrl}/v2/${repo}/blobs/uploads/`),
      202,
      `POST /v2/${repo}/blobs/uploads/`,
    );
    await start.arrayBuffer();
    const location = new URL(start.headers.get("location") ?? "", this.baseUrl);
    location.searchParams.set("digest", digest);
    const put = await this.expect(
      await this.send(repo, "PUT", location.toString(), data, { "content-type": "application/octet-stream" }),
      201,
      `PUT blob ${digest} to ${repo}`,
    );
    await put.arrayBuffer();
    return digest;
  }

  ensureLayer(repo: string): Promise<void> {
    let p = this.layerUploads.get(repo);
    if (!p) {
      p = this.uploadBlob(repo, LAYER).then(() => undefined);
      this.layerUploads.set(repo, p);
      p.catch(() => this.layerUploads.delete(repo));
    }
    return p;
  }

  async putManifest(repo: string, ref: string, raw: string, mediaType: string): Promise<string> {
    const res = await this.expect(
      await this.send(repo, "PUT", `${this.baseUrl}/v2/${repo}/manifests/${ref}`, raw, { "content-type": mediaType }),
      201,
      `PUT /v2/${repo}/manifests/${ref}`,
    );
    await res.arrayBuffer();
    return res.headers.get("docker-content-digest") ?? sha256(raw);
  }

  async deleteManifest(repo: string, digest: string): Promise<void> {
    const res = await this.expect(
      await this.send(repo, "DELETE", `${this.baseUrl}/v2/${repo}/manifests/${digest}`),
      202,
      `DELETE /v2/${repo}/manifests/${digest}`,
    );
    await res.arrayBuffer();
  }
}

interface BuiltManifest {
  raw: string;
  digest: string;
  mediaType: string;
  configDigest: string;
  size: number;
}

async function pushPlatformManifest(
  p: Pusher,
  img: SeedImage,
  platform: string,
  created: Date | undefined,
  ref: string | undefined,
): Promise<BuiltManifest> {
  const oci = (img.format ?? "oci") === "oci";
  const plat = parsePlatform(platform);
  const config: Record<string, unknown> = {
    ...(created ? { created: created.toISOString() } : {}),
    ...plat,
    config: img.labels ? { Labels: img.labels } : {},
    rootfs: { type: "layers", diff_ids: [LAYER_DIFF_ID] },
    history: [
      {
        ...(created ? { created: created.toISOString() } : {}),
        created_by: `laminar seed ${img.repository}:${img.tag}`,
      },
    ],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  await p.ensureLayer(img.repository);
  const configDigest = await p.uploadBlob(img.repository, configBytes);
  const mediaType = oci ? MEDIA.ociManifest : MEDIA.dockerManifest;
  const manifest: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType,
    config: { mediaType: oci ? MEDIA.ociConfig : MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: [{ mediaType: oci ? MEDIA.ociLayer : MEDIA.dockerLayer, digest: LAYER_DIGEST, size: LAYER.length }],
  };
  if (img.annotations) manifest.annotations = img.annotations;
  const raw = JSON.stringify(manifest);
  const digest = sha256(raw);
  await p.putManifest(img.repository, ref ?? digest, raw, mediaType);
  return { raw, digest, mediaType, configDigest, size: Buffer.byteLength(raw) };
}

async function seedOne(p: Pusher, img: SeedImage): Promise<SeededImage> {
  if (!img.platforms?.length) {
    const m = await pushPlatformManifest(p, img, img.platform ?? "linux/amd64", img.created, img.tag);
    return {
      repository: img.repository,
      tag: img.tag,
      digest: m.digest,
      mediaType: m.mediaType,
      configDigest: m.configDigest,
      raw: m.raw,
    };
  }
  const oci = (img.format ?? "oci") === "oci";
  const children: SeededChild[] = [];
  const entries: Record<string, unknown>[] = [];
  for (const platform of img.platforms) {
    const created = img.platformCreated?.[platform] ?? img.created;
    const m = await pushPlatformManifest(p, img, platform, created, undefined);
    children.push({ platform, digest: m.digest, configDigest: m.configDigest, created });
    entries.push({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: parsePlatform(platform) });
  }
  const mediaType = oci ? MEDIA.ociIndex : MEDIA.dockerList;
  const index: Record<string, unknown> = { schemaVersion: 2, mediaType, manifests: entries };
  if (img.annotations) index.annotations = img.annotations;
  const raw = JSON.stringify(index);
  const digest = await p.putManifest(img.repository, img.tag, raw, mediaType);
  return { repository: img.repository, tag: img.tag, digest, mediaType, children, raw };
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function seedImages(
  registry: SeedTarget,
  images: readonly SeedImage[],
  opts: SeedOptions = {},
): Promise<SeededImage[]> {
  const p = new Pusher(registry.url, opts.auth ?? registry.credentials);
  // Upload each repository's layer first so the parallel tag pushes do not race to upload it.
  const repos = [...new Set(images.map((i) => i.repository))];
  await mapLimit(repos, opts.concurrency ?? 16, (r) => p.ensureLayer(r));
  return mapLimit(images, opts.concurrency ?? 16, (img) => seedOne(p, img));
}

/** Points `tag` at an already pushed image (pushes the same manifest bytes under another tag). */
export async function tagImage(
  registry: SeedTarget,
  image: SeededImage,
  tag: string,
  opts: Pick<SeedOptions, "auth"> = {},
): Promise<void> {
  const p = new Pusher(registry.url, opts.auth ?? registry.credentials);
  await p.putManifest(image.repository, tag, image.raw, image.mediaType);
}

/** Deletes a manifest by digest (distribution removes every tag pointing at it). */
export async function deleteImage(
  registry: SeedTarget,
  repository: string,
  digest: string,
  opts: Pick<SeedOptions, "auth"> = {},
): Promise<void> {
  const p = new Pusher(registry.url, opts.auth ?? registry.credentials);
  await p.deleteManifest(repository, digest);
}

/** `count` tags `prefix0..` one hour apart ending at `newest`: a quick way to make a repository. */
export function tagSeries(
  repository: string,
  count: number,
  opts: { prefix?: string; newest?: Date; stepMs?: number; format?: ImageFormat } = {},
): SeedImage[] {
  const newest = (opts.newest ?? new Date("2024-06-01T00:00:00Z")).getTime();
  const step = opts.stepMs ?? 3_600_000;
  return Array.from({ length: count }, (_, i) => ({
    repository,
    tag: `${opts.prefix ?? "1.0."}${i}`,
    created: new Date(newest - (count - 1 - i) * step),
    format: opts.format,
  }));
}
