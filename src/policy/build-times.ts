import type { TagDetails, TimestampSource } from "../registry/types.js";

/**
 * When a time cannot order builds (issue #15). Reproducible builds (ko, Bazel, Nix, distroless)
 * write a fixed `created`, usually the Unix epoch (ko: 1970-01-01T00:00:00Z, Nix: …:01Z), so the
 * newest build cannot be told from the image. Pure.
 */

/** Times before this are fixed times of reproducible builds, not when anything was built. */
const TRUSTED_FROM = Date.UTC(1980, 0, 2); // the ZIP/SOURCE_DATE_EPOCH floor some tools use is 1980-01-01

/** Sources whose time is when the tag was pushed (a registry API), not what the image says. */
const PUSH_TIME_SOURCES: ReadonlySet<TimestampSource> = new Set([
  "docker-hub-api",
  "gcr-tags-list",
  "ecr-describe-images",
  "registry-api",
]);

/** True when a build time is a reproducible build's fixed time (at or near the epoch). */
export function isFixedBuildTime(created: Date): boolean {
  return created.getTime() < TRUSTED_FROM;
}

/** True when the time came from the registry's record of the push (directly or through the cache). */
export function isPushTime(d: TagDetails | undefined): boolean {
  const source = d?.source === "cache" ? d.cachedFrom : d?.source;
  return source !== undefined && PUSH_TIME_SOURCES.has(source);
}
