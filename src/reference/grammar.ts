/**
 * Docker's image-reference grammar, translated from distribution/reference `regexp.go`.
 *
 * Every export is RegExp *source* text, unanchored and without capturing groups, so a scanner can
 * embed it in a larger expression without shifting its own group numbers. Hyphens inside
 * character classes are escaped so each source also compiles with the `u` and `v` flags.
 *
 *     reference        := name [ ":" tag ] [ "@" digest ]
 *     name             := [ domain "/" ] remote-name
 *     domain           := host [ ":" port-number ]
 *     host             := domain-name | "[" IPv6address "]"
 *     remote-name      := path-component [ "/" path-component ]*
 *     path-component   := alpha-numeric [ separator alpha-numeric ]*
 */

// regexp.go `alphanumeric`: lower case only. Upper case is what ErrNameContainsUppercase is about.
const ALPHANUMERIC = "[a-z0-9]+";

// regexp.go `separator`: one period, one or two underscores, or any number of dashes. Repeated
// dashes are allowed so hostnames can be path components; "__" for names Docker Hub once allowed.
const SEPARATOR = "(?:[._]|__|[\\-]+)";

/** One `/`-separated component of a repository path (regexp.go `pathComponent`), e.g. `my-app`. */
export const PATH_COMPONENT_PATTERN = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;

/** A repository path without its domain (regexp.go `remoteName`), e.g. `library/nginx`. */
export const REMOTE_NAME_PATTERN = `${PATH_COMPONENT_PATTERN}(?:/${PATH_COMPONENT_PATTERN})*`;

// regexp.go `domainNameComponent`: a DNS label subset. Unlike path components it allows upper case,
// which is why `Foo/bar` parses with domain `Foo` (normalize_test.go TestParseRepositoryInfo).
const DOMAIN_NAME_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]*[a-zA-Z0-9])";

/** A host name or dotted IPv4 address, without port (regexp.go `domainName`). */
export const DOMAIN_NAME_PATTERN = `${DOMAIN_NAME_COMPONENT}(?:\\.${DOMAIN_NAME_COMPONENT})*`;

/**
 * An IPv6 address in square brackets (regexp.go `ipv6address`). Deliberately loose: zone ids
 * (`%eth0`) and IPv4-mapped forms are excluded, but the hex/colon content is not validated.
 */
export const IPV6_ADDRESS_PATTERN = "\\[(?:[a-fA-F0-9:]+)\\]";

// regexp.go `optionalPort`: any run of digits; range checking is left to whoever dials it.
const OPTIONAL_PORT = "(?::[0-9]+)?";

/** A registry host with optional port (regexp.go `domainAndPort`), e.g. `ghcr.io`, `[::1]:5000`. */
export const DOMAIN_PATTERN = `(?:${DOMAIN_NAME_PATTERN}|${IPV6_ADDRESS_PATTERN})${OPTIONAL_PORT}`;

/** A repository name with optional domain (regexp.go `namePat`), e.g. `ghcr.io/acme/app`. */
export const NAME_PATTERN = `(?:${DOMAIN_PATTERN}/)?${REMOTE_NAME_PATTERN}`;

/** A tag (regexp.go `tag`, from docker/docker graph/tags.go): 1 to 128 word characters, `.` and `-`. */
export const TAG_PATTERN = "[\\w][\\w.\\-]{0,127}";

/**
 * The digest shape the reference grammar accepts (regexp.go `digestPat`). Registered algorithms
 * are then checked more strictly; see `isValidDigest`.
 */
export const DIGEST_PATTERN = "[A-Za-z][A-Za-z0-9]*(?:[\\-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";

/** A bare 64-hex image id (regexp.go `identifier`); refused as a repository name. */
export const IDENTIFIER_PATTERN = "[a-f0-9]{64}";

/** A whole reference `name[:tag][@digest]` (regexp.go `referencePat`, minus its capture groups). */
export const REFERENCE_PATTERN = `${NAME_PATTERN}(?::${TAG_PATTERN})?(?:@${DIGEST_PATTERN})?`;

/** Repository paths longer than this are refused (reference.go `RepositoryNameTotalLengthMax`). */
export const NAME_TOTAL_LENGTH_MAX = 255;

// Anchored, capturing forms used by the parser (regexp.go referenceRegexp / anchoredNameRegexp).
// JavaScript's backtracking and Go's RE2 both use leftmost-first submatch semantics, so the
// groups split the input exactly as Go does (e.g. `localhost:8080@…` → name `localhost`, tag `8080`).
export const ANCHORED_REFERENCE = new RegExp(`^(${NAME_PATTERN})(?::(${TAG_PATTERN}))?(?:@(${DIGEST_PATTERN}))?$`);
export const ANCHORED_NAME = new RegExp(`^(?:(${DOMAIN_PATTERN})/)?(${REMOTE_NAME_PATTERN})$`);
export const ANCHORED_IDENTIFIER = new RegExp(`^${IDENTIFIER_PATTERN}$`);
const ANCHORED_TAG = new RegExp(`^${TAG_PATTERN}$`);
export const ANCHORED_DIGEST = new RegExp(`^${DIGEST_PATTERN}$`);

// go-digest digest.go `DigestRegexp`: only consulted to choose between two errors for
// unregistered algorithms, both of which are "digest-invalid" here.
const GO_DIGEST_ANCHORED = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

// go-digest algorithm.go `anchoredEncodedRegexps`: the algorithms docker links in, lower-case hex
// of the exact hash length only.
const ENCODED_BY_ALGORITHM: ReadonlyMap<string, RegExp> = new Map([
  ["sha256", /^[a-f0-9]{64}$/],
  ["sha384", /^[a-f0-9]{96}$/],
  ["sha512", /^[a-f0-9]{128}$/],
]);

/** Why a digest is refused, mirroring go-digest's error text, or `undefined` when it is valid. */
export type DigestProblem = "invalid checksum digest format" | "unsupported digest algorithm";

/**
 * Checks a digest the way reference.go's `Parse` does: go-digest `Digest.Validate`, which wants a
 * registered algorithm (sha256, sha384, sha512) and exactly its length of lower-case hex.
 */
export function digestProblem(digest: string): DigestProblem | undefined {
  const colon = digest.indexOf(":");
  if (colon <= 0 || colon + 1 === digest.length) return "invalid checksum digest format";
  const encoded = ENCODED_BY_ALGORITHM.get(digest.slice(0, colon));
  if (encoded === undefined) {
    return GO_DIGEST_ANCHORED.test(digest) ? "unsupported digest algorithm" : "invalid checksum digest format";
  }
  return encoded.test(digest.slice(colon + 1)) ? undefined : "invalid checksum digest format";
}

/** True when `tag` is a whole, valid tag (reference.go `WithTag` check). */
export function isValidTag(tag: string): boolean {
  return ANCHORED_TAG.test(tag);
}

/**
 * True when `digest` is accepted in a reference: it matches the reference grammar's digest shape
 * and passes go-digest validation (so `sha256:` needs exactly 64 lower-case hex digits).
 */
export function isValidDigest(digest: string): boolean {
  return ANCHORED_DIGEST.test(digest) && digestProblem(digest) === undefined;
}
