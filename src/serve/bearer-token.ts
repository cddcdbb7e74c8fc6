import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Checks an `Authorization: Bearer <token>` header against the expected token in constant time.
 * Both sides are hashed first, so neither the comparison time nor a length check tells an attacker
 * how much of a guess was right.
 */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? "");
  const given = m?.[1] ?? "";
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length > 0;
}

/**
 * Compares a token given some other way (a path segment, for senders that cannot set headers) with
 * the expected one, in constant time like `bearerMatches`.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  const g = given ?? "";
  const a = createHash("sha256").update(g).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && g.length > 0;
}
