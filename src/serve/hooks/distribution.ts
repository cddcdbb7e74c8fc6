/**
 * The CNCF distribution registry's notification envelope
 * (`application/vnd.docker.distribution.events.v1+json`), reduced to what triggers a run: the
 * repositories that got a push. https://distribution.github.io/distribution/about/notifications/
 */

/** A pushed repository, with the host the registry was called by (when it says). */
export interface PushedRepository {
  readonly repository: string;
  readonly host?: string;
  readonly tag?: string;
}

/** The body is not an envelope: the HTTP layer answers 400 with this message. */
export class EnvelopeError extends Error {
  override readonly name = "EnvelopeError";
}

/**
 * Reads an envelope. Events other than `push` (pulls, deletes, mounts) are skipped; a push of a
 * blob alone (no tag, a layer upload) still counts, since the manifest push that follows is
 * debounced into the same run anyway.
 */
export function pushedRepositories(body: unknown): PushedRepository[] {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { events?: unknown }).events))
    throw new EnvelopeError("expected a notification envelope: an object with an `events` list");
  const out: PushedRepository[] = [];
  for (const [i, e] of ((body as { events: unknown[] }).events ?? []).entries()) {
    if (typeof e !== "object" || e === null) throw new EnvelopeError(`events[${i}] is not an object`);
    const ev = e as {
      action?: unknown;
      target?: { repository?: unknown; tag?: unknown };
      request?: { host?: unknown };
    };
    if (ev.action !== "push") continue;
    const repository = ev.target?.repository;
    if (typeof repository !== "string" || !repository)
      throw new EnvelopeError(`events[${i}].target.repository must be a non-empty string`);
    const host = typeof ev.request?.host === "string" && ev.request.host ? ev.request.host.toLowerCase() : undefined;
    const tag = typeof ev.target?.tag === "string" && ev.target.tag ? ev.target.tag : undefined;
    out.push({ repository, ...(host ? { host } : {}), ...(tag ? { tag } : {}) });
  }
  return out;
}
