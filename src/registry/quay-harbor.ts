/**
 * Quay's and Harbor's own tag APIs (issue #11): one page lists up to 100 tags with their digest and
 * push time, where the registry API needs a manifest and a config blob per tag. Like the other
 * timestamp APIs (timestamp-apis.ts) they report push times, not build times; the plan records
 * which source it used, and the caller falls back to manifests on any failure.
 */
import { describePath, registryFailure, statusFailure } from "./errors.js";
import type { HttpClient } from "./http.js";
import type { TagDetails } from "./types.js";
import { expectAnswer, HARBOR_ARTIFACT_PAGE, QUAY_TAG_PAGE, type WireShape } from "./wire.js";

/** Which vendor API a registry speaks. */
export type VendorTagApi = "quay" | "harbor";

/** Options of {@link listVendorTagTimes}. */
export interface VendorTagTimesOptions {
  readonly api: VendorTagApi;
  /** Root of the API host, e.g. `https://quay.io` (the registry's own host for both). */
  readonly baseUrl: string;
  readonly registry: string;
  /** `namespace/name` (Quay) or `project/name[/more]` (Harbor). */
  readonly repository: string;
  /** Stop paging once all of these are found. */
  readonly wanted: readonly string[];
  readonly pageCap: number;
  /** Authorization header value for the API, if the registry's credential allows one. */
  readonly authorization?: string;
}

const PAGE_SIZE = 100;
const validDate = (d: Date) => !Number.isNaN(d.getTime()) && d.getTime() > 0;

/** Page `page` (1-based) of the vendor's listing. */
function pageUrl(o: VendorTagTimesOptions, page: number): string {
  const slash = o.repository.indexOf("/");
  if (slash <= 0) throw registryFailure(o, `${o.repository} has no namespace (the ${o.api} API needs one)`);
  const first = encodeURIComponent(o.repository.slice(0, slash));
  const rest = o.repository.slice(slash + 1);
  if (o.api === "quay") {
    if (rest.includes("/")) throw registryFailure(o, `${o.repository} is not namespace/name (Quay's tag API)`);
    return `${o.baseUrl}/api/v1/repository/${first}/${encodeURIComponent(rest)}/tag/?onlyActiveTags=true&limit=${PAGE_SIZE}&page=${page}`;
  }
  // Harbor wants a repository name with slashes encoded twice (its API docs: `a/b` → `a%252Fb`).
  const repo = encodeURIComponent(encodeURIComponent(rest));
  return `${o.baseUrl}/api/v2.0/projects/${first}/repositories/${repo}/artifacts?with_tag=true&page=${page}&page_size=${PAGE_SIZE}`;
}

async function fetchPage<T>(http: HttpClient, o: VendorTagTimesOptions, url: string, s: WireShape<T>): Promise<T> {
  const res = await http.request({
    registry: o.registry,
    repository: o.repository,
    kind: "api",
    method: "GET",
    url,
    headers: { accept: "application/json", ...(o.authorization ? { authorization: o.authorization } : {}) },
  });
  const request = `GET ${new URL(url).host}${describePath(url)}`;
  if (res.status !== 200) throw statusFailure(o, request, res);
  return expectAnswer(s, res, o, request, s.expected);
}

/**
 * Tag → digest and push time from Quay (`start_ts`) or Harbor (`push_time`), page by page until every
 * wanted tag is found, the listing ends or `pageCap` pages were read. Throws a RegistryError naming
 * the request on a bad status or shape (the caller then uses manifests).
 */
export async function listVendorTagTimes(http: HttpClient, o: VendorTagTimesOptions): Promise<Map<string, TagDetails>> {
  const out = new Map<string, TagDetails>();
  const missing = new Set(o.wanted);
  const found = (tag: string, details: TagDetails): void => {
    if (out.has(tag)) return;
    out.set(tag, details);
    missing.delete(tag);
  };
  for (let page = 1; page <= o.pageCap && missing.size > 0; page++) {
    const url = pageUrl(o, page);
    let more: boolean;
    if (o.api === "quay") {
      const body = await fetchPage(http, o, url, QUAY_TAG_PAGE);
      for (const t of body.tags) {
        const pushed = new Date((t.start_ts ?? 0) * 1000);
        found(t.name, {
          ...(t.manifest_digest ? { digest: t.manifest_digest } : {}),
          ...(validDate(pushed) ? { created: pushed, source: "quay-tag-api" as const } : {}),
        });
      }
      more = body.has_additional === true;
    } else {
      const body = await fetchPage(http, o, url, HARBOR_ARTIFACT_PAGE);
      for (const a of body) {
        for (const t of a.tags ?? []) {
          // The artifact's push time, not the tag's: re-tagging an old image must not make it new.
          const pushed = new Date(a.push_time ?? t.push_time ?? "");
          found(t.name, {
            digest: a.digest,
            ...(validDate(pushed) ? { created: pushed, source: "harbor-api" as const } : {}),
          });
        }
      }
      more = body.length === PAGE_SIZE;
    }
    if (!more) break;
  }
  return out;
}

/** `auto` detection: quay.io speaks Quay's API; Harbor has no well-known host and must be configured. */
export function vendorApiFor(api: string, registry: string): VendorTagApi | undefined {
  if (api === "quay" || api === "harbor") return api;
  return api === "auto" && registry === "quay.io" ? "quay" : undefined;
}
