/**
 * The one place registry failure messages are built. Every message has the form documented in
 * docs/reliability.md: `registry HOST: REQUEST → WHAT`, where REQUEST is `METHOD PATH` (never the
 * query, which could carry something private) or `token request to HOST/PATH`, and WHAT names the
 * HTTP status when there was one. Tests and users match these texts, so they change here or not at all.
 */
import { RegistryError } from "./types.js";

/** Which registry (and repository, when there is one) a failure belongs to. */
export interface ErrorSite {
  /** Registry name as in image references (`127.0.0.1:5000`, `docker.io`). */
  readonly registry: string;
  readonly repository?: string;
}

/** The parts of an HTTP answer a message may quote. */
export interface AnswerStatus {
  readonly status: number;
  readonly statusText: string;
}

/** `404 Not Found`, or `404` when the server sent no reason phrase. */
export function statusLine(status: number, statusText: string): string {
  return `${status}${statusText ? ` ${statusText}` : ""}`;
}

/** Path (never the query, which could carry something private) for messages. */
export function describePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split("?")[0]!;
  }
}

/** `GET /v2/acme/app/tags/list`: a request as messages name it. */
export function requestLine(method: string, url: string): string {
  return `${method} ${describePath(url)}`;
}

/**
 * `(MANIFEST_UNKNOWN: manifest unknown)` from a distribution error body (distribution spec,
 * "Error Codes"), or "" when the body is not one. The text comes from the registry: callers that
 * hold credentials scrub it before it goes into a message.
 */
export function registryErrorDetail(body: Buffer): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return ""; // not a distribution error body
  }
  const errors = parsed !== null && typeof parsed === "object" && "errors" in parsed ? parsed.errors : undefined;
  const e: unknown = Array.isArray(errors) ? errors[0] : undefined;
  if (e === null || typeof e !== "object" || !("code" in e) || typeof e.code !== "string" || !e.code) return "";
  const message = "message" in e && typeof e.message === "string" ? e.message : "";
  return ` (${e.code}${message ? `: ${message}` : ""})`;
}

/** `registry HOST: WHAT`, for failures that are not about one request (a missing realm, …). */
export function registryFailure(site: ErrorSite, what: string, status?: number, cause?: unknown): RegistryError {
  return new RegistryError(
    `registry ${site.registry}: ${what}`,
    site.registry,
    status,
    site.repository,
    cause === undefined ? undefined : { cause },
  );
}

/** `registry HOST: REQUEST → WHAT`: a request that failed for the reason WHAT. */
export function requestFailure(
  site: ErrorSite,
  request: string,
  what: string,
  status?: number,
  cause?: unknown,
): RegistryError {
  return registryFailure(site, `${request} → ${what}`, status, cause);
}

/** `registry HOST: REQUEST → 403 Forbidden (DENIED: …)`: an answer with an unwanted status. */
export function statusFailure(site: ErrorSite, request: string, res: AnswerStatus, detail = ""): RegistryError {
  return requestFailure(site, request, `${statusLine(res.status, res.statusText)}${detail}`, res.status);
}

/** The parts of an answer that tell whether it was HTML. */
export interface AnswerBody {
  readonly headers: Headers;
  readonly body: Buffer;
}

/**
 * `text/html; charset=utf-8` when the answer is an HTML page (by its content type, or a body that
 * starts with `<!DOCTYPE` / `<html`), else undefined.
 */
export function htmlContentType(answer: AnswerBody): string | undefined {
  const type = answer.headers.get("content-type") ?? "";
  const head = answer.body.subarray(0, 256).toString("utf8").trimStart().toLowerCase();
  if (/html/i.test(type) || head.startsWith("<!doctype html") || head.startsWith("<html")) {
    // The header is registry text: keep it short and printable.
    return (type.replace(/[^\x20-\x7e]/g, "").slice(0, 80) || "none").trim();
  }
  return undefined;
}

/**
 * `registry HOST: REQUEST → malformed JSON in WHAT`: an answer that does not parse. An HTML page
 * answered with 200 is named as such (issue #13): it is a login page, a captive portal or a proxy
 * answering for the registry far more often than a broken registry.
 */
export function malformedJson(
  site: ErrorSite,
  request: string,
  status: number,
  what: string,
  cause?: unknown,
  answer?: AnswerBody,
): RegistryError {
  const html = answer ? htmlContentType(answer) : undefined;
  if (html !== undefined) {
    return requestFailure(
      site,
      request,
      `${status}: an HTML page instead of JSON in ${what}, content-type ${JSON.stringify(html)} (a login page or a proxy in the way?)`,
      status,
      cause,
    );
  }
  return requestFailure(site, request, `malformed JSON in ${what}`, status, cause);
}

/**
 * `registry HOST: REQUEST → answer is not EXPECTED: PROBLEM`: JSON that parses but does not have
 * the shape we read (`answer is not a tag list: tags must be an array of strings`).
 */
export function unexpectedAnswer(
  site: ErrorSite,
  request: string,
  status: number,
  expected: string,
  problem: string,
): RegistryError {
  return requestFailure(site, request, `answer is not ${expected}: ${problem}`, status);
}
