import {
  RegistryError,
  type DescribeRequest,
  type RepositoryRef,
  type TagDetails,
  type TagList,
  type TagSource,
  type TimestampSource,
} from "./types.js";

/** One tag of a {@link MemoryTags} repository: its build time (ISO 8601) and manifest digest, both optional. */
export interface MemoryTag {
  readonly created?: string;
  readonly digest?: string;
  /** Where `created` comes from (default `config-blob`); a registry API source makes it a push time. */
  readonly source?: Exclude<TimestampSource, "cache">;
}

/**
 * A {@link TagSource} held in memory: `registry/repository` → tag → build time and digest. It
 * exists so library users (and Laminar's own plan tests) can run the whole pipeline without a
 * registry, with the same code: the plan only ever sees the `TagSource` interface, so what is
 * decided here is what is decided against a real registry with the same tags.
 *
 * A repository that is not listed answers like a registry's 404; one listed in `failing` answers
 * with that HTTP status, so registry-error handling can be exercised too. `listed` and `asked`
 * record the calls, to check that the plan asks only what it needs.
 *
 * @example
 * ```ts
 * const tags = new MemoryTags({
 *   "ghcr.io/acme/app": { "1.0.0": { created: "2026-01-01T00:00:00Z" }, "1.1.0": {} },
 * });
 * const { plan } = await planRepository(dir, config, tags);
 * ```
 */
export class MemoryTags implements TagSource {
  /** Every `describeTags` call: repository key and what was asked. */
  readonly asked: Array<{ repo: string; request: DescribeRequest }> = [];
  /** Every `listTags` call, by repository key (`registry/repository`). */
  readonly listed: string[] = [];
  /** Tags whose time was asked, by repository key: what a registry client's cache would hold. */
  private readonly described = new Map<string, Set<string>>();

  /**
   * @param repos - `registry/repository` (e.g. `docker.io/library/nginx`) → tag → details
   * @param failing - `registry/repository` → HTTP status its tag list answers with
   */
  constructor(
    private readonly repos: Record<string, Record<string, MemoryTag>>,
    private readonly failing: Record<string, number> = {},
  ) {}

  async listTags(repo: RepositoryRef): Promise<TagList> {
    const key = `${repo.registry}/${repo.repository}`;
    this.listed.push(key);
    const status = this.failing[key];
    if (status)
      throw new RegistryError(
        `registry ${repo.registry}: GET /v2/${repo.repository}/tags/list → ${status}`,
        repo.registry,
        status,
        repo.repository,
      );
    const tags = this.repos[key];
    if (!tags)
      throw new RegistryError(
        `registry ${repo.registry}: GET /v2/${repo.repository}/tags/list → 404 Not Found`,
        repo.registry,
        404,
        repo.repository,
      );
    return { tags: Object.keys(tags) };
  }

  /** Like a registry client with its cache: a tag's time costs a fetch until it was described once. */
  async timesToFetch(repo: RepositoryRef, tags: readonly string[]): Promise<readonly string[]> {
    const described = this.described.get(`${repo.registry}/${repo.repository}`);
    return tags.filter((t) => !described?.has(t));
  }

  async describeTags(repo: RepositoryRef, request: DescribeRequest): Promise<ReadonlyMap<string, TagDetails>> {
    const key = `${repo.registry}/${repo.repository}`;
    this.asked.push({ repo: key, request });
    let described = this.described.get(key);
    if (!described) this.described.set(key, (described = new Set()));
    for (const t of request.times) described.add(t);
    const out = new Map<string, TagDetails>();
    for (const t of new Set([...request.times, ...request.digests])) {
      const d = this.repos[key]?.[t];
      if (!d) continue;
      out.set(t, {
        ...(d.created ? { created: new Date(d.created), source: d.source ?? ("config-blob" as const) } : {}),
        ...(d.digest ? { digest: d.digest } : {}),
      });
    }
    return out;
  }
}
