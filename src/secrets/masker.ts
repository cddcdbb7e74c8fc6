import { secretForms } from "./secret-forms.js";

/**
 * The one minimum length for masking, for every front end and the registry session alike.
 * Shorter values are not masked: hiding every "ci" or "123" would garble a report, and a secret
 * that short protects nothing anyway. It used to be 6 in the CLI and 4 in the registry session, so
 * a 5-character password was masked in one place and printed in another.
 */
export const MIN_SECRET_LENGTH = 4;

/** What a masked secret is replaced with (the same as the Actions runner's `add-mask`). */
export const MASK = "***";

/**
 * Every form of `secret` worth masking (see {@link secretForms}), or none for a value shorter
 * than {@link MIN_SECRET_LENGTH}.
 *
 * @param secret - the secret as it is used
 * @param user - for a password, the user it is sent with (masks the Basic `user:secret` header)
 */
export function maskableForms(secret: string | undefined, user?: string): string[] {
  if (!secret || secret.length < MIN_SECRET_LENGTH) return [];
  return secretForms(secret, [user]).filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/** A secret known to Laminar, with the user a password goes with (for its Basic header form). */
export interface KnownSecret {
  readonly value: string;
  readonly user?: string;
}

/**
 * Masks known secrets in text, like GitHub Actions' `add-mask`: the raw value, its base64 /
 * base64url / URL / JSON-escaped forms, and the base64 of `user:secret` (what a Basic
 * Authorization header carries). A registry that reflects the credentials it received into an
 * error message, or a command that echoes a token, cannot put them into a log this way.
 *
 * @example
 * ```ts
 * const masker = new SecretMasker();
 * masker.add(process.env.REG_PASS, "ci-user");
 * console.log(masker.mask(message));
 * ```
 */
export class SecretMasker {
  /** Longest first, so a form that contains another is replaced whole. */
  private needles: string[] = [];

  /**
   * @param onForm - told each form once, when it is first added (the Action passes
   *   `core.setSecret`, so the runner masks exactly what this masker masks)
   */
  constructor(private readonly onForm?: (form: string) => void) {}

  /** Adds a secret (and, for Basic auth, the user it goes with); short or empty values are ignored. */
  add(secret: string | undefined, user?: string): void {
    const forms = maskableForms(secret, user).filter((f) => !this.needles.includes(f));
    if (!forms.length) return;
    this.needles = [...this.needles, ...forms].sort((a, b) => b.length - a.length);
    for (const f of forms) this.onForm?.(f);
  }

  /** Adds every secret of a list (see src/secrets/known-secrets.ts for where they come from). */
  addAll(secrets: Iterable<KnownSecret>): void {
    for (const s of secrets) this.add(s.value, s.user);
  }

  /** Every form masked so far, longest first (the Action hands each to `core.setSecret`). */
  forms(): readonly string[] {
    return this.needles;
  }

  /** `text` with every known form replaced by `***`. */
  mask(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    return out;
  }
}
