import { DEFAULT_REGISTRY, OFFICIAL_REPOSITORY_PREFIX } from "./parse.js";
import type { ImageReference } from "./types.js";

/**
 * The canonical string `registry/repository[:tag][@digest]`, as Go's `reference.String()` prints a
 * normalised reference: `docker.io/library/nginx:1.27`. Parsing it gives back an equal reference.
 */
export function formatReference(ref: ImageReference): string {
  return withSuffixes(canonicalName(ref), ref);
}

/**
 * The short name docker shows (normalize.go `FamiliarName`): `docker.io/` is dropped, and so is
 * `library/` when nothing nested follows it. `docker.io/library/nginx` → `nginx`,
 * `docker.io/acme/app` → `acme/app`, `ghcr.io/acme/app` unchanged. Tag and digest are not included.
 */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return canonicalName(ref);
  if (ref.repository.startsWith(OFFICIAL_REPOSITORY_PREFIX)) {
    const rest = ref.repository.slice(OFFICIAL_REPOSITORY_PREFIX.length);
    // normalize.go familiarizeName: `library/foo/bar` keeps its prefix, or it would read as `foo/bar`.
    if (!rest.includes("/")) return rest;
  }
  return ref.repository;
}

/**
 * The familiar name with tag and digest (normalize.go `FamiliarString`), as `docker images` shows
 * it: `nginx:1.27`, `acme/app@sha256:…`. For display only: it is ambiguous for a few Docker Hub
 * names (`docker.io/localhost/app` → `localhost/app`, which parses with registry `localhost`).
 */
export function familiarString(ref: ImageReference): string {
  return withSuffixes(familiarName(ref), ref);
}

// reference.go repository.Name(): an empty domain (see parse.ts) prints as the path alone.
function canonicalName(ref: ImageReference): string {
  return ref.registry === "" ? ref.repository : `${ref.registry}/${ref.repository}`;
}

// Go treats an empty tag or digest as absent.
function withSuffixes(name: string, ref: ImageReference): string {
  let out = name;
  if (ref.tag !== undefined && ref.tag !== "") out += `:${ref.tag}`;
  if (ref.digest !== undefined && ref.digest !== "") out += `@${ref.digest}`;
  return out;
}
