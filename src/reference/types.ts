/** A parsed image reference, normalised the way docker (distribution/reference) does. */
export interface ImageReference {
  /**
   * Registry host, with port when given: `docker.io`, `ghcr.io`, `localhost:5000`, `[::1]:5000`.
   * Empty only where docker's parser finds no domain either: a first component with a "." that is
   * not a valid host name, such as `foo_bar.com/app` (see parse.ts).
   */
  readonly registry: string;
  /** Repository path inside the registry: `library/nginx`, `acme/app`. */
  readonly repository: string;
  readonly tag?: string;
  /** `algorithm:hex`, for example `sha256:…`. */
  readonly digest?: string;
}

/** Mirrors the error values of distribution/reference so callers can tell cases apart. */
export type InvalidReferenceCode =
  | "invalid-format" // ErrReferenceInvalidFormat
  | "tag-invalid" // ErrTagInvalidFormat
  | "digest-invalid" // ErrDigestInvalidFormat
  | "name-contains-uppercase" // ErrNameContainsUppercase
  | "name-empty" // ErrNameEmpty
  | "name-too-long" // ErrNameTooLong
  | "name-not-canonical"; // ErrNameNotCanonical

/**
 * A string that is not a valid image reference by docker's grammar (distribution/reference).
 * `code` names the rule it broke (the Go error it mirrors), `input` is the string as given.
 *
 * @example
 * ```ts
 * try {
 *   parseImageReference("Acme/App:1.0");
 * } catch (e) {
 *   if (e instanceof InvalidReferenceError) console.error(e.code); // "name-contains-uppercase"
 * }
 * ```
 */
export class InvalidReferenceError extends Error {
  override readonly name = "InvalidReferenceError";
  constructor(
    readonly code: InvalidReferenceCode,
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}
