export type { ImageReference, InvalidReferenceCode } from "./types.js";
export { InvalidReferenceError } from "./types.js";
export {
  DEFAULT_REGISTRY,
  LEGACY_DEFAULT_REGISTRY,
  OFFICIAL_REPOSITORY_PREFIX,
  parseImageReference,
  tryParseImageReference,
  withDigest,
  withTag,
} from "./parse.js";
export { familiarName, familiarString, formatReference } from "./format.js";
export {
  DIGEST_PATTERN,
  DOMAIN_NAME_PATTERN,
  DOMAIN_PATTERN,
  IDENTIFIER_PATTERN,
  IPV6_ADDRESS_PATTERN,
  NAME_PATTERN,
  NAME_TOTAL_LENGTH_MAX,
  PATH_COMPONENT_PATTERN,
  REFERENCE_PATTERN,
  REMOTE_NAME_PATTERN,
  TAG_PATTERN,
  isValidDigest,
  isValidTag,
} from "./grammar.js";
