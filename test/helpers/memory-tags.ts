import {
  RegistryError,
  type DescribeRequest,
  type RepositoryRef,
  type TagDetails,
  type TagList,
  type TagSource,
} from "../../src/registry/types.js";

/**
 * An in-memory TagSource for the pure plan tests: repositories → tag → {created, digest}.
 * Registry behaviour itself is tested against the real registry in test/registry-*.test.ts.
 */
export class MemoryTags implements TagSource {
  readonly asked: Array<{ repo: string; request: DescribeRequest }> = [];
  readonly listed: string[] = [];
  constructor(
    private readonly repos: Record<string, Record<string, { created?: string; digest?: string }>>,
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
  async describeTags(repo: RepositoryRef, request: DescribeRequest): Promise<ReadonlyMap<string, TagDetails>> {
    const key = `${repo.registry}/${repo.repository}`;
    this.asked.push({ repo: key, request });
    const out = new Map<string, TagDetails>();
    for (const t of new Set([...request.times, ...request.digests])) {
      const d = this.repos[key]?.[t];
      if (!d) continue;
      out.set(t, {
        ...(d.created ? { created: new Date(d.created), source: "config-blob" as const } : {}),
        ...(d.digest ? { digest: d.digest } : {}),
      });
    }
    return out;
  }
}
