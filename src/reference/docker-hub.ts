/**
 * Docker Hub's host names, in one place: config parsing, credential lookup and the registry client
 * must agree on which hosts are Docker Hub (they disagreed when each kept its own list).
 * `docker.io` is the canonical name distribution/reference uses; the API lives at
 * `registry-1.docker.io`; docker's config.json keys it as `https://index.docker.io/v1/`.
 */
export const DOCKER_HUB = "docker.io";

/** Where Docker Hub's `/v2/` API answers. */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set([
  DOCKER_HUB,
  "index.docker.io",
  DOCKER_HUB_API_HOST,
  "registry.hub.docker.com",
]);

/** True for every spelling of Docker Hub's host (case-insensitive). */
export function isDockerHub(host: string): boolean {
  return DOCKER_HUB_HOSTS.has(host.toLowerCase());
}
