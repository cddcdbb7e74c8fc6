/**
 * Cosign's classic signature scheme, verified against a public key (issue #15). Pure: bytes in,
 * verdict out; the registry requests are in src/registry/signature.ts.
 *
 * The scheme (https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md): the signature
 * of `sha256:<hex>` is a manifest at tag `sha256-<hex>.sig`; each layer of media type
 * {@link SIMPLE_SIGNING} is a "simple signing" JSON payload naming the signed digest in
 * `critical.image.docker-manifest-digest`, and carries the base64 signature over the payload bytes
 * in the annotation {@link SIGNATURE_ANNOTATION}. With a raw key this is what sigstore-js would do
 * (a plain ECDSA/RSA/Ed25519 check), so node:crypto does it without the Fulcio/Rekor machinery.
 */
import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";

export const SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** The tag cosign stores the signature of a digest under: `sha256:ab…` → `sha256-ab….sig`. */
export function signatureTag(digest: string): string {
  return `${digest.replace(":", "-")}.sig`;
}

/** A public key to verify with, and a short id naming it in caches and details. */
export interface VerifyKey {
  readonly key: KeyObject;
  /** `sha256:<first 16 hex>` of the key's DER form: the cache key, never the key itself. */
  readonly id: string;
}

/** Parses a PEM public key; throws an Error naming what is wrong (never echoing the text). */
export function parsePublicKey(pem: string): VerifyKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (e) {
    throw new Error(`not a PEM public key (${(e as Error).message})`, { cause: e });
  }
  const der = key.export({ type: "spki", format: "der" });
  return { key, id: `sha256:${createHash("sha256").update(der).digest("hex").slice(0, 16)}` };
}

/** One simple-signing layer: its blob (fetched), declared digest and signature annotation. */
export interface SignedLayer {
  readonly blob: Buffer;
  readonly digest: string;
  readonly signature: string | undefined;
}

/** The verdict on one candidate: signed by the key, or why not. */
export type SignatureVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "unsigned" | "bad-signature"; readonly detail: string };

/**
 * Whether one layer is a valid signature of `digest` by `key`: the blob matches its digest, its
 * payload names `digest`, and the signature verifies over the blob bytes. Undefined when valid,
 * else what failed.
 */
export function checkSignedLayer(layer: SignedLayer, digest: string, key: VerifyKey): string | undefined {
  const computed = `sha256:${createHash("sha256").update(layer.blob).digest("hex")}`;
  if (computed !== layer.digest) return `payload ${layer.digest} has content ${computed}`;
  let payload: unknown;
  try {
    payload = JSON.parse(layer.blob.toString("utf8"));
  } catch {
    return "payload is not JSON";
  }
  const signed = (payload as { critical?: { image?: { "docker-manifest-digest"?: unknown } } })?.critical?.image?.[
    "docker-manifest-digest"
  ];
  if (signed !== digest) return `payload signs ${typeof signed === "string" ? signed : "no digest"}, not ${digest}`;
  if (!layer.signature) return `no ${SIGNATURE_ANNOTATION} annotation`;
  const sig = Buffer.from(layer.signature, "base64");
  let valid: boolean;
  try {
    // Ed25519 keys take no digest algorithm; ECDSA/RSA keys sign SHA-256 (cosign's default).
    valid = verify(key.key.asymmetricKeyType === "ed25519" ? null : "sha256", layer.blob, key.key, sig);
  } catch {
    valid = false;
  }
  return valid ? undefined : `signature does not verify with key ${key.id}`;
}

/** The verdict over all simple-signing layers of a signature manifest: one valid layer suffices. */
export function judgeLayers(layers: readonly SignedLayer[], digest: string, key: VerifyKey): SignatureVerdict {
  if (layers.length === 0)
    return { ok: false, reason: "unsigned", detail: `${signatureTag(digest)} holds no ${SIMPLE_SIGNING} layer` };
  const problems: string[] = [];
  for (const l of layers) {
    const p = checkSignedLayer(l, digest, key);
    if (p === undefined) return { ok: true };
    problems.push(p);
  }
  return { ok: false, reason: "bad-signature", detail: `${signatureTag(digest)}: ${problems.join("; ")}` };
}
