/**
 * Fetches cosign's classic signature of a digest (tag `sha256-<hex>.sig`, issue #15) and judges it
 * with the pure src/verify/cosign.ts. Costs one manifest GET (404: unsigned) and one blob GET per
 * simple-signing layer, for the candidate that would win only.
 */
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
import { registryErrorDetail, requestLine, statusFailure } from "./errors.js";
import { getManifest } from "./manifest.js";

/** At most this many signature layers are fetched per digest (cosign appends one per `cosign sign`). */
const MAX_LAYERS = 8;

/** The verdict on `digest` of `repository`: signed by `key`, unsigned, or a bad signature. */
export async function verifyCosignSignature(
  session: RegistrySession,
  repository: string,
  digest: string,
  key: VerifyKey,
): Promise<SignatureVerdict> {
  const tag = signatureTag(digest);
  const m = await getManifest(session, repository, tag);
  if (!m) return { ok: false, reason: "unsigned", detail: `no signature (${repository}:${tag} not found)` };
  const descriptors = (m.body.layers ?? []).filter((l) => l.mediaType === SIMPLE_SIGNING).slice(0, MAX_LAYERS);
  const layers: SignedLayer[] = [];
  for (const d of descriptors) {
    const url = `/v2/${repository}/blobs/${d.digest}`;
    const res = await session.request({ kind: "blobGet", method: "GET", url, repository });
    if (res.status !== 200) {
      const site = { registry: session.endpoint.registry, repository };
      throw statusFailure(
        site,
        requestLine("GET", session.url(url)),
        res,
        session.scrub(registryErrorDetail(res.body)),
      );
    }
    const sig = d.annotations?.[SIGNATURE_ANNOTATION];
    layers.push({ blob: res.body, digest: d.digest, signature: typeof sig === "string" ? sig : undefined });
  }
  return judgeLayers(layers, digest, key);
}
