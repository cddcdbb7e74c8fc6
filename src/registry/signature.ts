/**
 * Fetches the signatures of a digest (issue #15) and judges them with the pure src/verify/ modules:
 * cosign's classic tag scheme (`sha256-<hex>.sig`) first, then Sigstore bundles attached as OCI 1.1
 * referrers. Asked for the candidate that would win only (then the next one).
 *
 * Cost: a signed image (tag scheme) is one manifest GET and one blob GET. An image without a `.sig`
 * tag adds the referrers question: `GET /v2/<name>/referrers/<digest>`, or on a registry without that
 * API (404) the referrers tag schema's index `sha256-<hex>` (distribution-spec v1.1 "Referrers Tag
 * Schema"), then a manifest and a blob per bundle.
 */
import { BUNDLE_ARTIFACT_TYPE, judgeBundles } from "../verify/bundle.js";
import {
  judgeLayers,
  SIGNATURE_ANNOTATION,
  signatureTag,
  SIMPLE_SIGNING,
  type SignatureVerdict,
  type SignedLayer,
  type VerifyKey,
} from "../verify/cosign.js";
import type { RegistrySession } from "./auth.js";
import { registryErrorDetail, requestFailure, requestLine, statusFailure } from "./errors.js";
import type { HttpResponse } from "./http.js";
import { getManifest, MEDIA_TYPES, sha256Digest } from "./manifest.js";
import { expectAnswer, MANIFEST, type Descriptor } from "./wire.js";

/** At most this many signature layers or bundles are fetched per digest. */
const MAX_SIGNATURES = 8;

/** The verdict on `digest` of `repository`: signed by `key`, unsigned, or a bad signature. */
export async function verifyCosignSignature(
  session: RegistrySession,
  repository: string,
  digest: string,
  key: VerifyKey,
): Promise<SignatureVerdict> {
  const tag = signatureTag(digest);
  const m = await getManifest(session, repository, tag);
  let classic: SignatureVerdict = {
    ok: false,
    reason: "unsigned",
    detail: `no signature (${repository}:${tag} not found)`,
  };
  if (m) {
    const descriptors = (m.body.layers ?? []).filter((l) => l.mediaType === SIMPLE_SIGNING).slice(0, MAX_SIGNATURES);
    const layers: SignedLayer[] = [];
    for (const d of descriptors) {
      const sig = d.annotations?.[SIGNATURE_ANNOTATION];
      layers.push({
        blob: await fetchBlob(session, repository, d.digest, false),
        digest: d.digest,
        signature: typeof sig === "string" ? sig : undefined,
      });
    }
    classic = judgeLayers(layers, digest, key);
    if (classic.ok) return classic;
  }
  const bundles = await referrerBundles(session, repository, digest);
  if (bundles.length === 0) return classic;
  const referred = judgeBundles(bundles, digest, key);
  if (referred.ok || !m || classic.reason === "unsigned") return referred;
  return { ok: false, reason: "bad-signature", detail: `${classic.detail}; ${referred.detail}` };
}

/** The Sigstore bundles that refer to `digest` (their JSON), through the referrers API or its tag. */
async function referrerBundles(session: RegistrySession, repository: string, digest: string): Promise<unknown[]> {
  const site = { registry: session.endpoint.registry, repository };
  const url = `/v2/${repository}/referrers/${digest}?artifactType=${encodeURIComponent(BUNDLE_ARTIFACT_TYPE)}`;
  const res = await session.request({
    kind: "manifestGet",
    method: "GET",
    url,
    repository,
    headers: { accept: MEDIA_TYPES.ociIndex },
  });
  let referrers: readonly Descriptor[];
  if (res.status === 200) {
    referrers = parseIndex(session, url, res).manifests ?? [];
  } else if (res.status === 404) {
    // No referrers API (distribution 2.x): the referrers tag schema's index, if a client pushed one.
    referrers = (await getManifest(session, repository, digest.replace(":", "-")))?.body.manifests ?? [];
  } else {
    throw statusFailure(site, requestLine("GET", session.url(url)), res, session.scrub(registryErrorDetail(res.body)));
  }
  const bundles: unknown[] = [];
  for (const r of referrers.filter((d) => d.artifactType === BUNDLE_ARTIFACT_TYPE).slice(0, MAX_SIGNATURES)) {
    const m = await getManifest(session, repository, r.digest);
    const layer = m?.body.layers?.find((l) => l.mediaType === BUNDLE_ARTIFACT_TYPE) ?? m?.body.layers?.[0];
    if (!layer) continue;
    const blob = await fetchBlob(session, repository, layer.digest, true);
    try {
      bundles.push(JSON.parse(blob.toString("utf8")));
    } catch {
      bundles.push(undefined); // judged as "not a Sigstore bundle"
    }
  }
  return bundles;
}

function parseIndex(session: RegistrySession, url: string, res: HttpResponse) {
  const site = { registry: session.endpoint.registry, repository: "" };
  const request = requestLine("GET", session.url(url));
  return expectAnswer(MANIFEST, res, site, request, "referrers index");
}

/**
 * A blob's bytes. The simple-signing payload's digest is checked by the pure verdict (so a mismatch
 * reads as `bad-signature`); a bundle blob is checked here (a corrupt download is a registry error).
 */
async function fetchBlob(
  session: RegistrySession,
  repository: string,
  digest: string,
  check: boolean,
): Promise<Buffer> {
  const url = `/v2/${repository}/blobs/${digest}`;
  const site = { registry: session.endpoint.registry, repository };
  const res = await session.request({ kind: "blobGet", method: "GET", url, repository });
  if (res.status !== 200)
    throw statusFailure(site, requestLine("GET", session.url(url)), res, session.scrub(registryErrorDetail(res.body)));
  if (check && sha256Digest(res.body) !== digest)
    throw requestFailure(
      site,
      requestLine("GET", session.url(url)),
      "blob content does not match its digest",
      res.status,
    );
  return res.body;
}
