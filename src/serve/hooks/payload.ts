/** Shared pieces of the webhook payload readers. */

/** The body is not the payload the endpoint expects: the HTTP layer answers 400 with this message. */
export class PayloadError extends Error {
  override readonly name = "PayloadError";
}

/** `obj.a.b.c` when every step is an object, else undefined. */
export function dig(obj: unknown, ...keys: string[]): unknown {
  let v = obj;
  for (const k of keys) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A non-empty string at `obj.a.b…`, or a PayloadError naming the path. */
export function needString(obj: unknown, ...keys: string[]): string {
  const v = dig(obj, ...keys);
  if (typeof v !== "string" || !v) throw new PayloadError(`${keys.join(".")} must be a non-empty string`);
  return v;
}
