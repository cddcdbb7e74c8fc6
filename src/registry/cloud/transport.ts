/**
 * The one way the cloud modules reach a registry's own endpoints (ECR's API, ACR's token
 * exchange): through the registry client's HttpClient, so those requests get the same timeouts,
 * retries, request counts and limits as every other registry request. (The SDKs' own credential
 * lookups — STS, instance metadata, Entra ID — keep their SDK's transport.)
 */
import type { HttpClient, RequestKind } from "../http.js";

export interface TransportRequest {
  readonly kind: RequestKind;
  readonly method: "GET" | "POST";
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Safe to send twice (DescribeImages, GetAuthorizationToken, the ACR exchange). */
  readonly idempotent?: boolean;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** A transport that sends on behalf of `registry` (its counts, limits and timeout apply). */
export function registryTransport(http: HttpClient, registry: string): Transport {
  return (req) =>
    http.request({
      registry,
      kind: req.kind,
      method: req.method,
      url: req.url,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.idempotent ? { idempotent: true } : {}),
    });
}
