/**
 * Sigstore bundles attached as OCI 1.1 referrers (cosign `--new-bundle-format`, issue #15), verified
 * against a public key. Pure: the bundle's JSON in, verdict out. The bundle's shape is checked by
 * `@sigstore/bundle`; a key-signed bundle carries a DSSE envelope over an in-toto statement whose
 * subject names the image digest, so the check is the DSSE signature plus that subject.
 * Keyless bundles (a Fulcio certificate, Rekor entries) are refused as not signed by the key.
 */
import { bundleFromJSON, type Bundle } from "@sigstore/bundle";
import { verify } from "node:crypto";
import type { SignatureVerdict, VerifyKey } from "./cosign.js";

/** The artifact type of a Sigstore bundle referrer (protobuf-specs `BUNDLE_V03_MEDIA_TYPE`). */
export const BUNDLE_ARTIFACT_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json";

/** DSSE's pre-authentication encoding (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md). */
function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Undefined when the bundle is a valid signature of `digest` by `key`, else what failed. */
export function checkBundle(json: unknown, digest: string, key: VerifyKey): string | undefined {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    return `not a Sigstore bundle (${(e as Error).message})`;
  }
  if (bundle.content.$case !== "dsseEnvelope") return "a message-signature bundle (only DSSE bundles are checked)";
  const env = bundle.content.dsseEnvelope;
  const signed = pae(env.payloadType, env.payload);
  const algorithm = key.key.asymmetricKeyType === "ed25519" ? null : "sha256";
  const valid = env.signatures.some((s) => {
    try {
      return verify(algorithm, signed, key.key, s.sig);
    } catch {
      return false;
    }
  });
  if (!valid) return `bundle signature does not verify with key ${key.id}`;
  let statement: { subject?: Array<{ digest?: Record<string, unknown> }> };
  try {
    statement = JSON.parse(env.payload.toString("utf8")) as typeof statement;
  } catch {
    return "bundle payload is not JSON";
  }
  const [algo, hex] = digest.split(":");
  const names = (statement.subject ?? []).some((s) => s.digest?.[algo ?? ""] === hex);
  return names ? undefined : `bundle's statement does not name ${digest}`;
}

/** The verdict over the bundles found for `digest`: one valid bundle suffices. */
export function judgeBundles(bundles: readonly unknown[], digest: string, key: VerifyKey): SignatureVerdict {
  if (bundles.length === 0) return { ok: false, reason: "unsigned", detail: `no Sigstore bundle refers to ${digest}` };
  const problems: string[] = [];
  for (const b of bundles) {
    const p = checkBundle(b, digest, key);
    if (p === undefined) return { ok: true };
    problems.push(p);
  }
  return { ok: false, reason: "bad-signature", detail: `referrers of ${digest}: ${problems.join("; ")}` };
}
