/**
 * Tags that name an artifact attached to an image rather than an image to run. They are never
 * candidates, whatever a rule's pattern says (`glob:*` matches them too): moving a deployment to a
 * signature would break it. Pure.
 *
 * Two schemes put such artifacts in the tag list:
 *   - cosign's tags: `sha256-<hex>.sig`, `.att`, `.sbom` (and other suffixes cosign and its peers
 *     add, e.g. `.vex`, `.intoto`) — https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md;
 *   - the OCI 1.1 referrers tag schema, the fallback for registries without the referrers API:
 *     `<alg>-<ref>` with no suffix (`sha256-<hex>`) —
 *     https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema.
 */

// `<alg>-<hex digest>` optionally followed by `.suffix` parts. The referrers schema truncates the
// algorithm to 32 and the encoded part to 64 characters, so sha512 tags carry 64 hex characters too.
const ARTIFACT_TAG = /^(?:sha256|sha384|sha512)-[0-9a-f]{64}(?:\.[A-Za-z0-9_-]+)*$/;

/** True for tags that hold signatures, attestations, SBOMs or referrers indexes, not images. */
export function isArtifactTag(tag: string): boolean {
  return ARTIFACT_TAG.test(tag);
}
