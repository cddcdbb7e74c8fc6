/**
 * Registry-specific APIs that know when a tag was pushed, so no manifest or config blob has to be
 * fetched for it:
 *   - Docker Hub's tag API (`/v2/namespaces/{ns}/repositories/{repo}/tags`, `tag_last_pushed`,
 *     at most 100 per page, `next` is an absolute URL);
 *   - GCR / Artifact Registry: the `manifest` map in `tags/list` (`timeUploadedMs`);
 *   - ECR DescribeImages (`imagePushedAt`), only with AWS credentials in the environment.
 * These report push times, not build times; the recorded `source` says which one a plan used.
 * Callers fall back to the generic manifest → config path on any failure.
 */
import type { HttpClient } from "./http.js";
import { describePath, malformedJson, registryFailure, statusFailure } from "./errors.js";
import { signRequest, type AwsCredentials } from "./sigv4.js";
import type { TagDetails, TagList } from "./types.js";
import { checkShape, ECR_IMAGES, expectShape, GCR_MANIFEST_MAP, HUB_TAG_PAGE, type HubTagPage } from "./wire.js";

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
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body.toString("utf8"));
    } catch (err) {
      throw malformedJson(o, request, res.status, "Docker Hub tag API page", err, res);
    }
    const body: HubTagPage = expectShape(HUB_TAG_PAGE, parsed, o, request, res.status);
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

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com` → account and region. */
export function parseEcrHost(host: string): { registryId: string; region: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host.toLowerCase());
  return m ? { registryId: m[1]!, region: m[2]! } : undefined;
}

export interface EcrDescribeOptions {
  readonly registry: string;
  readonly repository: string;
  readonly tags: readonly string[];
  readonly region: string;
  readonly registryId?: string;
  readonly credentials: AwsCredentials;
  /** Default `https://api.ecr.<region>.amazonaws.com/`. */
  readonly apiUrl?: string;
}

/** DescribeImages for the given tags (100 per call, the API's limit on `imageIds`). */
export async function describeEcrImages(http: HttpClient, o: EcrDescribeOptions): Promise<Map<string, TagDetails>> {
  const out = new Map<string, TagDetails>();
  const url = o.apiUrl ?? `https://api.ecr.${o.region}.amazonaws.com/`;
  for (let i = 0; i < o.tags.length; i += 100) {
    const batch = o.tags.slice(i, i + 100);
    const body = JSON.stringify({
      repositoryName: o.repository,
      ...(o.registryId ? { registryId: o.registryId } : {}),
      imageIds: batch.map((imageTag) => ({ imageTag })),
    });
    const signed = signRequest({
      method: "POST",
      url,
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.DescribeImages",
      },
      body,
      region: o.region,
      service: "ecr",
      credentials: o.credentials,
    });
    delete signed.host; // fetch sets it from the URL (same value, signed above)
    const res = await http.request({
      registry: o.registry,
      repository: o.repository,
      kind: "api",
      method: "POST",
      idempotent: true,
      url,
      headers: signed,
      body,
    });
    if (res.status !== 200) {
      let type = "";
      try {
        const answer: unknown = JSON.parse(res.body.toString("utf8"));
        const t = answer !== null && typeof answer === "object" && "__type" in answer ? answer.__type : undefined;
        type = ` (${typeof t === "string" ? t : ""})`;
      } catch {
        // not JSON
      }
      throw statusFailure(o, "ECR DescribeImages", res, type);
    }
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString("utf8"));
    } catch (err) {
      throw malformedJson(o, "ECR DescribeImages", res.status, "DescribeImages answer", err, res);
    }
    const parsed = expectShape(ECR_IMAGES, json, o, "ECR DescribeImages", res.status);
    for (const d of parsed.imageDetails ?? []) {
      const pushed = new Date(typeof d.imagePushedAt === "number" ? d.imagePushedAt * 1000 : (d.imagePushedAt ?? ""));
      for (const tag of d.imageTags ?? []) {
        if (!batch.includes(tag)) continue;
        out.set(tag, {
          digest: d.imageDigest,
          ...(validDate(pushed) ? { created: pushed, source: "ecr-describe-images" as const } : {}),
        });
      }
    }
  }
  return out;
}
