import {
  ANCHORED_DIGEST,
  ANCHORED_IDENTIFIER,
  ANCHORED_NAME,
  ANCHORED_REFERENCE,
  NAME_TOTAL_LENGTH_MAX,
  digestProblem,
  isValidTag,
} from "./grammar.js";
import { type ImageReference, type InvalidReferenceCode, InvalidReferenceError } from "./types.js";

/** Docker Hub's canonical registry name (normalize.go `defaultDomain`). */
export const DEFAULT_REGISTRY = "docker.io";
/** Docker Hub's legacy name, rewritten to `docker.io` (normalize.go `legacyDefaultDomain`). */
export const LEGACY_DEFAULT_REGISTRY = "index.docker.io";
/** Namespace of Docker Hub's official images (normalize.go `officialRepoPrefix`). */
export const OFFICIAL_REPOSITORY_PREFIX = "library/";

interface Failure {
  readonly code: InvalidReferenceCode;
  readonly reason: string;
}

const fail = (code: InvalidReferenceCode, reason: string): Failure => ({ code, reason });

/**
 * Parses an image reference the way docker does (distribution/reference `ParseNormalizedNamed`):
 * `nginx` → `docker.io/library/nginx`, `index.docker.io/foo` → `docker.io/library/foo`,
 * `ghcr.io/acme/app:1.2@sha256:…` keeps registry, tag and digest.
 *
 * @throws {InvalidReferenceError} for every input that is not a valid reference, and only that.
 */
export function parseImageReference(text: string): ImageReference {
  if (typeof text !== "string") {
    // Guards JavaScript callers (e.g. a YAML value that turned out to be a number).
    throw new InvalidReferenceError("invalid-format", "", `reference must be a string, got ${typeof text}`);
  }
  const result = parseNormalizedNamed(text);
  if ("code" in result) throw toError(result, text);
  return result;
}

/**
 * Like `parseImageReference`, but returns `undefined` instead of throwing; cheaper when scanning
 * many candidate strings, most of which are not references.
 */
export function tryParseImageReference(text: string): ImageReference | undefined {
  if (typeof text !== "string") return undefined;
  const result = parseNormalizedNamed(text);
  return "code" in result ? undefined : result;
}

/**
 * Returns `ref` with its tag replaced (reference.go `WithTag`; any digest is kept).
 *
 * @throws {InvalidReferenceError} code `tag-invalid` when `tag` does not match `TAG_PATTERN`.
 */
export function withTag(ref: ImageReference, tag: string): ImageReference {
  if (typeof tag !== "string" || !isValidTag(tag)) {
    const shown = typeof tag === "string" ? tag : typeof tag;
    throw new InvalidReferenceError("tag-invalid", shown, `invalid tag format: ${quote(shown)}`);
  }
  return build(ref.registry, ref.repository, tag, ref.digest);
}

/**
 * Returns `ref` with its digest replaced (reference.go `WithDigest`; any tag is kept).
 *
 * Stricter than Go's `WithDigest`, which only checks the grammar: the digest must also pass
 * go-digest validation, so the result always survives `formatReference` → `parseImageReference`.
 *
 * @throws {InvalidReferenceError} code `digest-invalid` for a malformed or unsupported digest.
 */
export function withDigest(ref: ImageReference, digest: string): ImageReference {
  const problem =
    typeof digest === "string" && ANCHORED_DIGEST.test(digest) ? digestProblem(digest) : "invalid digest format";
  if (problem !== undefined) {
    const shown = typeof digest === "string" ? digest : typeof digest;
    throw new InvalidReferenceError("digest-invalid", shown, `${problem}: ${quote(shown)}`);
  }
  return build(ref.registry, ref.repository, ref.tag, digest);
}

// normalize.go ParseNormalizedNamed, step for step.
function parseNormalizedNamed(s: string): ImageReference | Failure {
  // Deliberate deviation: Go reaches Parse("docker.io/library/") and reports "invalid reference
  // format"; the dedicated code is more useful to callers and matches Parse("").
  if (s === "") return fail("name-empty", "repository name must have at least one component");
  if (ANCHORED_IDENTIFIER.test(s)) {
    // Go returns an ad-hoc error here; a bare image id is "not a canonical name" in spirit.
    return fail("name-not-canonical", "invalid repository name, cannot specify 64-byte hexadecimal strings");
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSep = remainder.indexOf(":");
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (hasUpperCase(remote)) {
    return fail("name-contains-uppercase", `invalid reference format: repository name (${remote}) must be lowercase`);
  }
  return parse(`${domain}/${remainder}`);
}

// normalize.go splitDockerDomain: decides whether the first component is a registry.
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf("/");
  if (slash === -1) {
    // A single component is always a Docker Hub official image, even `localhost` or `example.com`
    // (a FIXME upstream that docker still behaves by).
    return [DEFAULT_REGISTRY, OFFICIAL_REPOSITORY_PREFIX + name];
  }
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === "localhost") {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (maybeDomain === LEGACY_DEFAULT_REGISTRY) {
    [domain, remote] = [DEFAULT_REGISTRY, maybeRemote];
  } else if (maybeDomain.includes(".") || maybeDomain.includes(":")) {
    [domain, remote] = [maybeDomain, maybeRemote];
  } else if (hasUpperCase(maybeDomain)) {
    // Namespaces are never upper case, so an upper-case first component must be a host.
    [domain, remote] = [maybeDomain, maybeRemote];
  } else {
    [domain, remote] = [DEFAULT_REGISTRY, name];
  }
  if (domain === DEFAULT_REGISTRY && !remote.includes("/")) remote = OFFICIAL_REPOSITORY_PREFIX + remote;
  return [domain, remote];
}

// reference.go Parse, for the already-normalised string.
function parse(s: string): ImageReference | Failure {
  const match = ANCHORED_REFERENCE.exec(s);
  if (match === null) {
    const lower = goLowerForGrammar(s);
    if (lower !== s && ANCHORED_REFERENCE.test(lower)) {
      return fail("name-contains-uppercase", "repository name must be lowercase");
    }
    return fail("invalid-format", "invalid reference format");
  }
  const name = match[1] ?? "";
  const tag = match[2];
  const digest = match[3];

  // The name is re-split by the name regexp, not taken from splitDockerDomain. They differ in one
  // case: a first component with "." that is a valid path component but not a valid host
  // (`foo_bar.com/app`). Go then yields an empty domain and the whole name as path; so do we.
  const nameMatch = ANCHORED_NAME.exec(name);
  const registry = nameMatch?.[1] ?? "";
  const repository = nameMatch?.[2] ?? name;

  // Only the path counts, not the registry (reference.go since RepositoryNameTotalLengthMax).
  if (repository.length > NAME_TOTAL_LENGTH_MAX) {
    return fail("name-too-long", `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) return fail("digest-invalid", problem);
  }
  return build(registry, repository, tag, digest);
}

// Optional fields are left out rather than set to undefined, so results compare with deepEqual.
function build(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
): ImageReference {
  return {
    registry,
    repository,
    ...(tag !== undefined && tag !== "" ? { tag } : {}),
    ...(digest !== undefined && digest !== "" ? { digest } : {}),
  };
}

// Go's strings.ToLower(x) != x. String.prototype.toLowerCase uses full rather than simple case
// mappings, but the two change exactly the same characters, which is all this asks.
function hasUpperCase(s: string): boolean {
  return s.toLowerCase() !== s;
}

// Go's strings.ToLower, as far as the (ASCII-only) reference grammar can tell: besides A-Z, only
// U+0130 (İ) and U+212A (Kelvin sign) lower-case to ASCII under Go's simple mappings. Every other
// character either stays or becomes non-ASCII, and fails the grammar either way.
function goLowerForGrammar(s: string): string {
  return s.replace(/[A-Z\u0130\u212A]/g, (c) => (c === "\u0130" ? "i" : c === "\u212A" ? "k" : c.toLowerCase()));
}

function toError(failure: Failure, input: string): InvalidReferenceError {
  return new InvalidReferenceError(failure.code, input, `${failure.reason}: ${quote(input)}`);
}

// Keeps messages readable when a scanner feeds in a whole line or file.
function quote(input: string): string {
  const clipped = input.length > 200 ? `${input.slice(0, 200)}…` : input;
  return JSON.stringify(clipped);
}
