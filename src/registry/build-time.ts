/**
 * When was an image built? In order of cost:
 *   1. `org.opencontainers.image.created` on the manifest or index (image-spec annotations.md):
 *      free with the body we already have;
 *   2. the config blob's `created` (image-spec config.md): one blob GET.
 * For an index / manifest list the answer is the newest child among the wanted platforms
 * (default linux/amd64), each child resolved the same way; attestation manifests are skipped.
 * Times before 1980 are treated as unknown: reproducible builds (ko, nix, SOURCE_DATE_EPOCH=0)
 * write the epoch, which says nothing about which build is newer.
 */
import { isIndex, type Descriptor, type Manifest } from "./manifest.js";
import type { ImageConfig } from "./wire.js";

export const CREATED_ANNOTATION = "org.opencontainers.image.created";
const MIN_MEANINGFUL = Date.UTC(1980, 0, 1);

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

export function parsePlatform(s: string): Platform {
  const [os = "linux", architecture = "amd64", variant] = s.split("/");
  return variant ? { os, architecture, variant } : { os, architecture };
}

export const platformKey = (ps: readonly Platform[]) =>
  ps
    .map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join("/"))
    .sort()
    .join(",");

function matches(want: Platform, have: Descriptor["platform"]): boolean {
  if (!have || have.os !== want.os || have.architecture !== want.architecture) return false;
  if (!want.variant) return true;
  // arm64's only variant is v8, often left out
  const v = have.variant ?? (have.architecture === "arm64" ? "v8" : undefined);
  return v === want.variant;
}

export interface BuildTime {
  readonly created?: Date;
  readonly source?: "config-blob" | "annotation";
  /** The image says a time before 1980: a reproducible build's fixed time (ko, Bazel, Nix), not kept. */
  readonly fixed?: boolean;
}

/** A valid time before 1980 (`1970-01-01T00:00:00Z`, `…:01Z`): reproducible builds write these. */
function isFixed(value: unknown): boolean {
  if (typeof value !== "string" || !value) return false;
  const t = new Date(value).getTime();
  return !Number.isNaN(t) && t < MIN_MEANINGFUL;
}

export interface BuildTimeFetcher {
  manifest(digest: string): Promise<Manifest | undefined>;
  blob(digest: string): Promise<ImageConfig>;
}

export function parseTime(value: unknown): Date | undefined {
  if (typeof value !== "string" || !value) return undefined;
  const d = new Date(value);
  if (Number.isNaN(d.getTime()) || d.getTime() < MIN_MEANINGFUL) return undefined;
  return d;
}

async function singleBuildTime(m: Manifest, fetcher: BuildTimeFetcher): Promise<BuildTime> {
  const annotated = parseTime(m.body.annotations?.[CREATED_ANNOTATION]);
  if (annotated) return { created: annotated, source: "annotation" };
  if (!m.body.config?.digest) return {};
  const config = await fetcher.blob(m.body.config.digest);
  const created = parseTime(config.created);
  if (created) return { created, source: "config-blob" };
  return isFixed(config.created) || isFixed(m.body.annotations?.[CREATED_ANNOTATION]) ? { fixed: true } : {};
}

export async function resolveBuildTime(
  m: Manifest,
  platforms: readonly Platform[],
  fetcher: BuildTimeFetcher,
): Promise<BuildTime> {
  if (!isIndex(m)) return singleBuildTime(m, fetcher);
  const annotated = parseTime(m.body.annotations?.[CREATED_ANNOTATION]);
  if (annotated) return { created: annotated, source: "annotation" };
  const children = (m.body.manifests ?? []).filter(
    (d) =>
      d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest" &&
      platforms.some((p) => matches(p, d.platform)),
  );
  let best: BuildTime = {};
  const times = await Promise.all(
    children.map(async (d) => {
      const child = await fetcher.manifest(d.digest);
      if (!child) return {};
      // A nested index is legal but rare; one level of recursion covers it.
      return isIndex(child) ? resolveBuildTime(child, platforms, fetcher) : singleBuildTime(child, fetcher);
    }),
  );
  for (const t of times) {
    if (t.created && (!best.created || t.created > best.created)) best = t;
  }
  return best.created || !times.some((t) => t.fixed) ? best : { fixed: true };
}

/**
 * The platforms an image offers, as `os/arch[/variant]`: an index's children (attestation manifests
 * and `unknown/unknown` entries left out, as docker does), or a single image's config. Fetches the
 * config blob only for a single image.
 */
export async function offeredPlatforms(m: Manifest, fetcher: Pick<BuildTimeFetcher, "blob">): Promise<string[]> {
  const name = (p: { os?: string; architecture?: string; variant?: string }): string =>
    [p.os, p.architecture, p.variant].filter(Boolean).join("/");
  if (isIndex(m))
    return (m.body.manifests ?? [])
      .filter(
        (d) =>
          d.platform?.os &&
          d.platform.architecture &&
          d.platform.os !== "unknown" &&
          d.annotations?.["vnd.docker.reference.type"] !== "attestation-manifest",
      )
      .map((d) => name(d.platform ?? {}));
  if (!m.body.config?.digest) return [];
  const config = await fetcher.blob(m.body.config.digest);
  return config.os && config.architecture ? [name(config)] : [];
}
