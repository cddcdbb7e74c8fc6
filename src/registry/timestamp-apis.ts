/**
 * Registry-specific APIs that know when a tag was pushed, so no manifest or config blob has to be
 * fetched for it:
 *   - Docker Hub's tag API (`/v2/namespaces/{ns}/repositories/{repo}/tags`, `tag_last_pushed`,
 *     at most 100 per page, `next` is an absolute URL);
 *   - GCR / Artifact Registry: the `manifest` map in `tags/list` (`timeUploadedMs`);
 *   - ECR DescribeImages (`imagePushedAt`), asked through the AWS SDK (cloud/ecr.ts); here only
 *     its answer is turned into tag details.
 * These report push times, not build times; the recorded `source` says which one a plan used.
 * Callers fall back to the generic manifest → config path on any failure.
 */
import type { HttpClient } from "./http.js";
import { describePath, registryFailure, statusFailure } from "./errors.js";
import type { EcrImage } from "./cloud/ecr.js";
import type { TagDetails, TagList } from "./types.js";
import { checkShape, expectAnswer, GCR_MANIFEST_MAP, HUB_TAG_PAGE, type HubTagPage } from "./wire.js";

const validDate = (d: Date) => !Number.isNaN(d.getTime()) && d.getTime() > 0;

/** GCR `manifest` map → tag → details. Values are strings of epoch milliseconds. */
export function parseGcrManifestMap(map: unknown): Map<string, TagDetails> {
  const out = new Map<string, TagDetails>();
  // Only an optimisation on top of the tag list: a map of another shape is ignored, not an error.
  const checked = checkShape(GCR_MANIFEST_MAP, map);
  if (!checked.ok) return out;
  for (const [digest, e] of Object.entries(checked.value)) {
    const created = new Date(Number(e.timeUploadedMs));
    for (const tag of e.tag ?? []) {
      out.set(tag, validDate(created) ? { digest, created, source: "gcr-tags-list" } : { digest });
    }
  }
  return out;
}

export interface DockerHubListOptions {
  /** `https://hub.docker.com` */
  readonly apiUrl: string;
  /** `library/nginx`, `bitnami/redis` */
  readonly repository: string;
  readonly pageCap: number;
  readonly registry: string;
  /** Most tags kept; past it the list is `overLimit` and empty (see `TagList.overLimit`). */
  readonly maxTags: number;
}

/** Every tag of a Docker Hub repository with its push time and digest. */
export async function listDockerHubTags(http: HttpClient, o: DockerHubListOptions): Promise<TagList> {
  const parts = o.repository.split("/");
  if (parts.length !== 2) {
    throw registryFailure(o, `${o.repository} is not namespace/name`);
  }
  const base = new URL(o.apiUrl);
  let url: string | undefined = new URL(
    `/v2/namespaces/${encodeURIComponent(parts[0]!)}/repositories/${encodeURIComponent(parts[1]!)}/tags?page_size=100`,
    base,
  ).toString();
  const tags: string[] = [];
  const times = new Map<string, TagDetails>();
  let pages = 0;
  while (url) {
    if (pages >= o.pageCap) return { tags, times, truncated: true };
    const res = await http.request({ registry: o.registry, repository: o.repository, kind: "api", method: "GET", url });
    pages++;
    const request: string = `GET ${base.host}${describePath(url)}`;
    if (res.status !== 200) throw statusFailure(o, request, res);
    const body: HubTagPage = expectAnswer(HUB_TAG_PAGE, res, o, request, "Docker Hub tag API page");
    for (const r of body.results ?? []) {
      if (!r.name || times.has(r.name)) continue;
      if (tags.length >= o.maxTags) return { tags: [], overLimit: o.maxTags };
      tags.push(r.name);
      const pushed = new Date(r.tag_last_pushed ?? r.last_updated ?? "");
      times.set(r.name, {
        digest: r.digest || undefined,
        ...(validDate(pushed) ? { created: pushed, source: "docker-hub-api" as const } : {}),
      });
    }
    const next: string | undefined = body.next ?? undefined;
    // Only follow `next` on the API's own host.
    url = next && new URL(next, base).origin === base.origin ? new URL(next, base).toString() : undefined;
  }
  return { tags, times, truncated: false };
}

export { parseEcrHost } from "./cloud/kind.js";

/** DescribeImages results → details of the wanted tags (`imagePushedAt` as the push time). */
export function ecrDetails(images: readonly EcrImage[], wanted: readonly string[]): Map<string, TagDetails> {
  const want = new Set(wanted);
  const out = new Map<string, TagDetails>();
  for (const d of images) {
    const pushed = d.pushedAt;
    for (const tag of d.tags) {
      if (!want.has(tag)) continue;
      out.set(tag, {
        digest: d.digest,
        ...(pushed && validDate(pushed) ? { created: pushed, source: "ecr-describe-images" as const } : {}),
      });
    }
  }
  return out;
}
