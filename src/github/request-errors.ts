/**
 * Reading Octokit's errors without depending on its classes: `RequestError` (REST, `status` +
 * `response.data`) and `GraphqlResponseError` (`errors: [{ type, message }]`).
 */

export interface HttpFailure {
  readonly status: number;
  /** Octokit's message: for 422 it is `Validation Failed: {"resource":…,"message":"…"}`. */
  readonly message: string;
}

export function httpFailure(error: unknown): HttpFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { status?: unknown; message?: unknown };
  if (typeof e.status !== "number") return undefined;
  return { status: e.status, message: typeof e.message === "string" ? e.message : "" };
}

/** True for an HTTP error with this status whose message contains `text` (when given). */
export function isHttpError(error: unknown, status: number, text?: string | RegExp): boolean {
  const f = httpFailure(error);
  if (!f || f.status !== status) return false;
  if (text === undefined) return true;
  return typeof text === "string" ? f.message.includes(text) : text.test(f.message);
}

export interface GraphqlFailure {
  readonly messages: readonly string[];
  readonly types: readonly string[];
}

export function graphqlFailure(error: unknown): GraphqlFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return undefined;
  const items = errors.filter((x): x is { message?: unknown; type?: unknown } => typeof x === "object" && x !== null);
  return {
    messages: items.map((x) => (typeof x.message === "string" ? x.message : "")),
    types: items.map((x) => (typeof x.type === "string" ? x.type : "")),
  };
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
