/**
 * GitHub webhooks: `package` / `registry_package` events for container images on ghcr.io, and the
 * original laminar's `issue_comment` commands (`[laminar pause]`, `[laminar resume]`).
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#package
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#registry_package
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { dig, needString, PayloadError } from "./payload.js";
import type { PushedRepository } from "./distribution.js";

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>` against HMAC-SHA256 of the raw body, in constant
 * time. https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

/**
 * True when the header has the form of a signature (`sha256=` and 64 hex digits): checked before
 * the body is read, so an unsigned request is refused without buffering it. Says nothing about
 * whether it is right.
 */
export function githubSignatureShape(header: string | undefined): boolean {
  return SIGNATURE.test((header ?? "").trim());
}

export function githubSignatureMatches(header: string | undefined, body: Buffer, secret: string): boolean {
  const expected = createHmac("sha256", secret).update(body).digest();
  const m = SIGNATURE.exec((header ?? "").trim());
  // A malformed header is compared against a value of the right length so the time spent is the same.
  const given = m ? Buffer.from(m[1] as string, "hex") : Buffer.alloc(expected.length);
  return timingSafeEqual(given, expected) && m !== null;
}

/**
 * The container image a `package` or `registry_package` event names, or undefined when the event
 * is not a container publish (another package type, another action): `host/namespace/name` with
 * the tag. `host` is ghcr.io unless the caller says otherwise.
 */
export function githubPackagePushed(event: string, body: unknown, host = "ghcr.io"): PushedRepository | undefined {
  if (event !== "package" && event !== "registry_package") throw new PayloadError(`unsupported event ${event}`);
  const action = dig(body, "action");
  if (action !== "published" && action !== "updated") return undefined;
  const pkg = dig(body, event);
  if (typeof pkg !== "object" || pkg === null) throw new PayloadError(`expected the ${event} object`);
  // `package` events say `package_type: "container"`; `registry_package` ones `package_type` or
  // `ecosystem: "CONTAINER"` depending on their age: either counts.
  const type = dig(pkg, "package_type") ?? dig(pkg, "ecosystem");
  if (typeof type !== "string" || type.toLowerCase() !== "container") return undefined;
  const namespace = needString(pkg, "namespace").toLowerCase();
  const name = needString(pkg, "name").toLowerCase();
  const tag = dig(pkg, "package_version", "container_metadata", "tag", "name");
  return {
    repository: `${namespace}/${name}`,
    host,
    ...(typeof tag === "string" && tag ? { tag } : {}),
  };
}

/**
 * Who may pause or resume through a comment: GitHub's `author_association` of the commenter. On a
 * public repository anyone can comment; only the repository's owner, organisation members and
 * collaborators may stop deployments (docs/serve.md, "Pause").
 */
export const TRUSTED_COMMENT_ASSOCIATIONS: readonly string[] = ["OWNER", "MEMBER", "COLLABORATOR"];

/** The commenter of an `issue_comment` and whether a pause or resume from them is honoured. */
export function githubCommentAuthor(body: unknown): { login: string; association: string; trusted: boolean } {
  const login = dig(body, "comment", "user", "login");
  const association = dig(body, "comment", "author_association");
  const a = typeof association === "string" ? association.toUpperCase() : "NONE";
  return {
    login: typeof login === "string" ? login : "(unknown)",
    association: a,
    trusted: TRUSTED_COMMENT_ASSOCIATIONS.includes(a),
  };
}

/** What an `issue_comment` asks of Laminar: the original's pause and resume commands. */
export function githubCommentCommand(body: unknown): "pause" | "resume" | undefined {
  const text = dig(body, "comment", "body");
  if (typeof text !== "string") throw new PayloadError("comment.body must be a string");
  // Deleting a comment must not pause anything; an edit that adds the command does count.
  const action = dig(body, "action");
  if (action === "deleted") return undefined;
  const lower = text.toLowerCase();
  const pause = lower.lastIndexOf("[laminar pause]");
  const resume = lower.lastIndexOf("[laminar resume]");
  if (pause < 0 && resume < 0) return undefined;
  // Both in one comment: the last one written wins.
  return pause > resume ? "pause" : "resume";
}
