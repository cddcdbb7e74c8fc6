/**
 * Manifest requests. All four manifest media types go in every `Accept`: the distribution spec
 * ("Pulling manifests") leaves content negotiation to the client, and distribution 2.8 answers
 * differently when a type is missing — an OCI manifest without the OCI type → 404, a manifest list
 * with only the Docker v2 type → the amd64 child (another digest), no Accept → schema1 (another
 * digest). Only with all four do the digests we report match what `docker pull` resolves.
 *
 * HEAD learns a digest (Docker-Content-Digest; Docker Hub does not count HEAD as a pull); GET is
 * used only when the body is needed, and its digest is computed from the bytes and checked.
 */
import { createHash } from "node:crypto";
import type { RegistrySession } from "./auth.js";
import { registryErrorDetail, requestFailure, requestLine, statusFailure } from "./errors.js";
import type { HttpResponse } from "./http.js";
import { expectAnswer, IMAGE_CONFIG, MANIFEST, type ImageConfig, type ManifestBody } from "./wire.js";

export const MEDIA_TYPES = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
} as const;

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.dockerManifest,
].join(", ");

export type { Descriptor, ManifestBody } from "./wire.js";

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType?: string;
}

export interface Manifest extends ManifestHead {
  readonly body: ManifestBody;
}

export function isIndex(m: { mediaType?: string; body?: ManifestBody }): boolean {
  const t = m.body?.mediaType ?? m.mediaType;
  if (t === MEDIA_TYPES.ociIndex || t === MEDIA_TYPES.dockerList) return true;
  return !t && Array.isArray(m.body?.manifests);
}

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function fail(session: RegistrySession, method: string, url: string, repository: string, res: HttpResponse): never {
  const site = { registry: session.endpoint.registry, repository };
  throw statusFailure(site, requestLine(method, session.url(url)), res, session.scrub(registryErrorDetail(res.body)));
}

const manifestPath = (repository: string, ref: string) => `/v2/${repository}/manifests/${ref}`;

/** HEAD a manifest: its digest and media type, or undefined when the tag does not exist. */
export async function headManifest(
  session: RegistrySession,
  repository: string,
  ref: string,
): Promise<ManifestHead | undefined> {
  const url = manifestPath(repository, ref);
  const res = await session.request({
    kind: "manifestHead",
    method: "HEAD",
    url,
    repository,
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) fail(session, "HEAD", url, repository, res);
  const digest = res.headers.get("docker-content-digest");
  if (digest) return { digest, mediaType: res.headers.get("content-type") ?? undefined };
  // Without the header (the spec says registries SHOULD send it) only the body tells.
  const m = await getManifest(session, repository, ref);
  return m && { digest: m.digest, mediaType: m.mediaType };
}

/** GET a manifest with its body; undefined when it does not exist. */
export async function getManifest(
  session: RegistrySession,
  repository: string,
  ref: string,
): Promise<Manifest | undefined> {
  const url = manifestPath(repository, ref);
  const res = await session.request({
    kind: "manifestGet",
    method: "GET",
    url,
    repository,
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) fail(session, "GET", url, repository, res);
  const computed = sha256Digest(res.body);
  const header = res.headers.get("docker-content-digest");
  const expected = ref.startsWith("sha256:") ? ref : header?.startsWith("sha256:") ? header : undefined;
  if (expected && expected !== computed) {
    throw requestFailure(
      { registry: session.endpoint.registry, repository },
      requestLine("GET", session.url(url)),
      `body digest ${computed} does not match ${expected}`,
      res.status,
    );
  }
  const site = { registry: session.endpoint.registry, repository };
  const request = requestLine("GET", session.url(url));
  const body: ManifestBody = expectAnswer(MANIFEST, res, site, request, "manifest");
  const contentType = res.headers.get("content-type")?.split(";")[0]?.trim();
  return {
    digest: header && !header.startsWith("sha256:") ? header : computed,
    mediaType: body.mediaType ?? contentType,
    body,
  };
}

/** GET an image config blob, check its digest and its shape. */
export async function getImageConfig(
  session: RegistrySession,
  repository: string,
  digest: string,
): Promise<ImageConfig> {
  const url = `/v2/${repository}/blobs/${digest}`;
  const res = await session.request({ kind: "blobGet", method: "GET", url, repository });
  if (res.status !== 200) fail(session, "GET", url, repository, res);
  if (digest.startsWith("sha256:") && sha256Digest(res.body) !== digest) {
    throw requestFailure(
      { registry: session.endpoint.registry, repository },
      requestLine("GET", session.url(url)),
      "blob content does not match its digest",
      res.status,
    );
  }
  const site = { registry: session.endpoint.registry, repository };
  const request = requestLine("GET", session.url(url));
  return expectAnswer(IMAGE_CONFIG, res, site, request, "config blob");
}
