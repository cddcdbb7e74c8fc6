/**
 * `GET /v2/<name>/tags/list`, page by page (distribution spec, "Listing Tags"): ask for `n` tags
 * (never more than 1000: ECR rejects larger pages and the spec only asks registries to support
 * 100), then follow the `Link: <…>; rel="next"` header exactly as given — Quay's `next_page` is
 * opaque and GHCR pages by 100 whatever `n` says, so building `last=` URLs ourselves would break
 * them. No Link header means the list is complete. A page cap bounds the work; hitting it marks
 * the list `truncated`.
 *
 * GCR and Artifact Registry add a `manifest` map (digest → tags + `timeUploadedMs`) to the same
 * response: we keep those times, which spares every manifest request for those repositories.
 */
import type { RegistrySession } from "./auth.js";
import { registryErrorDetail, requestFailure, requestLine, statusFailure } from "./errors.js";
import type { HttpResponse } from "./http.js";
import { parseGcrManifestMap } from "./timestamp-apis.js";
import { expectShape, parseAnswer, TAG_LIST } from "./wire.js";
import type { TagDetails, TagList } from "./types.js";

export const MAX_PAGE_SIZE = 1000;
/**
 * Tags kept per repository unless `limits.tags` says otherwise. 100,000 is what the default page
 * cap (100 pages of at most 1000) already reads, so no listing that completes today is refused,
 * and a few megabytes of strings; past it a registry cannot make a run hold millions of tags
 * (one page of a million tags ran the process out of memory, issue #13).
 */
export const DEFAULT_MAX_TAGS = 100_000;

export interface TagListOptions {
  /** `n` of the first request (default and maximum 1000). */
  readonly pageSize?: number;
  /** Most pages fetched (default 100). */
  readonly pageCap?: number;
  /** Read GCR's manifest map (default true). */
  readonly gcrTimes?: boolean;
  /** Most tags kept (default {@link DEFAULT_MAX_TAGS}); past it the list is `overLimit` and empty. */
  readonly maxTags?: number;
}

/** The `rel="next"` target of a Link header (RFC 8288), if any. */
export function parseNextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const m of header.matchAll(/<([^>]*)>([^,<]*)/g)) {
    const params = m[2] ?? "";
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (rels.includes("next")) return m[1];
  }
  return undefined;
}

function fail(session: RegistrySession, repository: string, url: string, res: HttpResponse, what?: string): never {
  const site = { registry: session.endpoint.registry, repository };
  const request = requestLine("GET", session.url(url));
  if (what === undefined) throw statusFailure(site, request, res, session.scrub(registryErrorDetail(res.body)));
  throw requestFailure(site, request, what, res.status);
}

/** Distinct tags once `page` is added to `seen`, counting only up to just past `cap`. */
function countNew(page: readonly unknown[], seen: ReadonlySet<string>, cap: number): number {
  let n = seen.size;
  const fresh = new Set<unknown>();
  for (const t of page) {
    if (typeof t === "string" && !seen.has(t) && !fresh.has(t)) {
      fresh.add(t);
      if (++n > cap) break;
    }
  }
  return n;
}

export async function listTagsPaged(
  session: RegistrySession,
  repository: string,
  opts: TagListOptions = {},
): Promise<TagList> {
  const n = Math.max(1, Math.min(opts.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE));
  const pageCap = Math.max(1, opts.pageCap ?? 100);
  const maxTags = Math.max(1, opts.maxTags ?? DEFAULT_MAX_TAGS);
  const tags: string[] = [];
  const seenTags = new Set<string>();
  const times = new Map<string, TagDetails>();
  const visited = new Set<string>();
  const origin = new URL(session.endpoint.baseUrl).origin;
  let url: string | undefined = `/v2/${repository}/tags/list?n=${n}`;
  let pages = 0;
  while (url) {
    if (pages >= pageCap) return { tags, times: times.size ? times : undefined, truncated: true };
    const absolute = session.url(url);
    // A Link back to a page we already read: stop rather than loop, and say the list may be partial.
    if (visited.has(absolute)) return { tags, times: times.size ? times : undefined, truncated: true };
    visited.add(absolute);
    const res = await session.request({ kind: "tagPages", method: "GET", url: absolute, repository });
    pages++;
    if (res.status !== 200) fail(session, repository, url, res);
    const site = { registry: session.endpoint.registry, repository };
    const request = requestLine("GET", session.url(url));
    const parsed = parseAnswer(res, site, request, `tag list (${res.body.length} bytes)`);
    // Over the cap already: stop before the schema check walks every entry of a huge page.
    const raw = (parsed as { tags?: unknown } | null)?.tags;
    if (Array.isArray(raw) && seenTags.size + raw.length > maxTags && countNew(raw, seenTags, maxTags) > maxTags)
      return { tags: [], overLimit: maxTags };
    const body = expectShape(TAG_LIST, parsed, site, request, res.status);
    for (const t of body.tags ?? []) {
      if (!seenTags.has(t)) {
        seenTags.add(t);
        tags.push(t);
      }
    }
    if (opts.gcrTimes !== false && body.manifest) {
      for (const [tag, d] of parseGcrManifestMap(body.manifest)) times.set(tag, d);
    }
    const next = parseNextLink(res.headers.get("link"));
    if (!next) break;
    const target = new URL(next, absolute);
    if (target.origin !== origin) {
      // Our credentials must not go to another host named by a header.
      fail(session, repository, url, res, `Link header points at another host (${target.host})`);
    }
    url = target.toString();
  }
  return { tags, times: times.size ? times : undefined, truncated: false };
}
