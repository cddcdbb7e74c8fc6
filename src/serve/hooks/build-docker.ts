/**
 * The original laminar's CI endpoint, `POST /webhooks/build/docker` with `{url,
 * docker_registry_url}`: "a new build of this image exists". Kept for people migrating.
 */
import type { PushedRepository } from "./distribution.js";
import { dig, needString, PayloadError } from "./payload.js";

/**
 * `url` is the image (`registry.example.com/acme/app[:tag]` or `acme/app`); `docker_registry_url`
 * (optional) names the registry (`https://registry.example.com`). Without a registry anywhere, every
 * registry's `…/acme/app` matches.
 */
export function buildDockerPushed(body: unknown): PushedRepository {
  let image = needString(body, "url")
    .replace(/^[a-z]+:\/\//i, "")
    .toLowerCase();
  const registry = dig(body, "docker_registry_url");
  if (registry !== undefined && typeof registry !== "string")
    throw new PayloadError("docker_registry_url must be a string");
  let host = registry
    ? registry
        .replace(/^[a-z]+:\/\//i, "")
        .split("/")[0]
        ?.toLowerCase()
    : undefined;
  const first = image.split("/")[0] ?? "";
  if (host && first === host) image = image.slice(host.length + 1);
  else if (!host && image.includes("/") && /[.:]|^localhost$/.test(first)) {
    host = first;
    image = image.slice(first.length + 1);
  }
  const at = image.indexOf("@");
  if (at >= 0) image = image.slice(0, at);
  const colon = image.lastIndexOf(":");
  const tag = colon >= 0 ? image.slice(colon + 1) : undefined;
  if (colon >= 0) image = image.slice(0, colon);
  if (!image) throw new PayloadError("url names no image");
  if (host === "index.docker.io" || host === "registry-1.docker.io") host = "docker.io";
  if (host === "docker.io" && !image.includes("/")) image = `library/${image}`;
  return { repository: image, ...(host ? { host } : {}), ...(tag ? { tag } : {}) };
}
