/**
 * The naive strategy, for comparison: what Argo CD Image Updater (`newest-build`) and Kargo
 * (`NewestBuild`) do. Every tag whose build time is wanted costs a manifest GET and a config blob
 * GET (a multi-arch index one more: the platform's manifest), on every run: nothing is remembered
 * between runs. Within a run it is given the same courtesy as Laminar's client: one token per
 * repository scope, tag pages of 1000, and the same request concurrency.
 *
 * Plain fetch on purpose: sharing the client's code (or its cache) would make the comparison
 * flatter the client.
 */
import {
  RegistryError,
  type DescribeRequest,
  type RepositoryRef,
  type RequestCounts,
  type TagDetails,
  type TagList,
  type TagSource,
} from "../src/registry/types.js";

const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

interface Descriptor {
  readonly digest: string;
  readonly platform?: { readonly os?: string; readonly architecture?: string };
}
interface ManifestBody {
  readonly manifests?: readonly Descriptor[];
  readonly config?: Descriptor;
}

export function emptyCounts(): RequestCounts {
  return { ping: 0, token: 0, tagPages: 0, manifestHead: 0, manifestGet: 0, blobGet: 0, api: 0, retries: 0 };
}

/** At most `n` tasks at once. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(private readonly n: number) {}
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.n) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.queue.shift()?.();
    }
  }
}

type Kind = Exclude<keyof RequestCounts, "retries" | "api">;

export class NaiveTagSource implements TagSource {
  private readonly requests = emptyCounts();
  private readonly tokens = new Map<string, Promise<string | undefined>>();
  private challenge: Promise<{ realm: string; service: string } | undefined> | undefined;
  private readonly limiter: Limiter;

  constructor(
    /** `http://127.0.0.1:PORT` of the registry every reference points at. */
    private readonly baseUrl: string,
    opts: { concurrency?: number } = {},
  ) {
    // Laminar's client allows 8 requests in flight per registry by default: the same here.
    this.limiter = new Limiter(opts.concurrency ?? 8);
  }

  counts(): RequestCounts {
    return { ...this.requests };
  }

  private async fetchCounted(kind: Kind, url: string, headers: Record<string, string> = {}): Promise<Response> {
    this.requests[kind]++;
    return this.limiter.run(() => fetch(url, { headers }));
  }

  /** The registry's Bearer challenge, learnt from one `/v2/` ping. */
  private realm(): Promise<{ realm: string; service: string } | undefined> {
    this.challenge ??= (async () => {
      const res = await this.fetchCounted("ping", `${this.baseUrl}/v2/`);
      await res.arrayBuffer();
      const h = res.headers.get("www-authenticate");
      if (res.status !== 401 || !h || !/^bearer /i.test(h)) return undefined;
      const param = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(h)?.[1] ?? "";
      return { realm: param("realm"), service: param("service") };
    })();
    return this.challenge;
  }

  private token(repository: string): Promise<string | undefined> {
    let t = this.tokens.get(repository);
    if (!t) {
      t = (async () => {
        const c = await this.realm();
        if (!c) return undefined;
        const u = new URL(c.realm);
        u.searchParams.set("service", c.service);
        u.searchParams.set("scope", `repository:${repository}:pull`);
        const res = await this.fetchCounted("token", u.toString());
        if (!res.ok)
          throw new RegistryError(`token: ${res.status} for ${repository}`, this.baseUrl, res.status, repository);
        const body = (await res.json()) as { token?: string; access_token?: string };
        return body.token ?? body.access_token;
      })();
      this.tokens.set(repository, t);
    }
    return t;
  }

  private async get(kind: Kind, repository: string, path: string, accept?: string): Promise<Response> {
    const token = await this.token(repository);
    const headers: Record<string, string> = {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(accept ? { accept } : {}),
    };
    const res = await this.fetchCounted(kind, `${this.baseUrl}${path}`, headers);
    if (!res.ok) {
      await res.arrayBuffer();
      throw new RegistryError(`GET ${path} → ${res.status}`, this.baseUrl, res.status, repository);
    }
    return res;
  }

  async listTags(repo: RepositoryRef): Promise<TagList> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repo.repository}/tags/list?n=1000`;
    while (path) {
      const res = await this.get("tagPages", repo.repository, path);
      const body = (await res.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      const link = res.headers.get("link");
      path = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
    }
    return { tags };
  }

  async describeTags(repo: RepositoryRef, request: DescribeRequest): Promise<ReadonlyMap<string, TagDetails>> {
    const out = new Map<string, TagDetails>();
    const all = [...new Set([...request.times, ...request.digests])];
    await Promise.all(
      all.map(async (tag) => {
        const d = await this.metadata(repo.repository, tag);
        if (d) out.set(tag, d);
      }),
    );
    return out;
  }

  /** Manifest (by tag) → platform manifest for an index → config blob `created`. */
  private async metadata(repository: string, tag: string): Promise<TagDetails | undefined> {
    let res = await this.get("manifestGet", repository, `/v2/${repository}/manifests/${tag}`, MANIFEST_ACCEPT);
    const digest = res.headers.get("docker-content-digest") ?? undefined;
    let body = (await res.json()) as ManifestBody;
    if (body.manifests) {
      const child =
        body.manifests.find((m) => m.platform?.os === "linux" && m.platform.architecture === "amd64") ??
        body.manifests[0];
      if (!child) return digest ? { digest } : undefined;
      res = await this.get("manifestGet", repository, `/v2/${repository}/manifests/${child.digest}`, MANIFEST_ACCEPT);
      body = (await res.json()) as ManifestBody;
    }
    if (!body.config) return digest ? { digest } : undefined;
    const blob = await this.get("blobGet", repository, `/v2/${repository}/blobs/${body.config.digest}`);
    const config = (await blob.json()) as { created?: string };
    const created = config.created ? new Date(config.created) : undefined;
    return { ...(digest ? { digest } : {}), ...(created ? { created, source: "config-blob" as const } : {}) };
  }
}
