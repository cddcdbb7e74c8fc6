/**
 * ACR through @azure/identity (loaded only when an ACR registry is used, see cloud-access.ts):
 * `DefaultAzureCredential` (environment service principal, workload identity, managed identity,
 * Azure CLI, …) gives an Entra ID token for the registry scope; ACR's exchange turns it into a
 * registry refresh token (`POST /oauth2/exchange`, grant_type=access_token — ACR's
 * docs/AAD-OAuth.md). The refresh token then takes the OAuth2 refresh-token flow of the registry's
 * challenge (`/oauth2/token`, one access token per scope) that docker's identity tokens take too.
 */
import { DefaultAzureCredential } from "@azure/identity";
import type { Expiring } from "./refreshing.js";
import type { Transport } from "./transport.js";

/** The Entra ID scope ACR accepts (also for the sovereign clouds' registries). */
const ACR_SCOPE = "https://containerregistry.azure.net/.default";

/** The user name docker uses for an ACR refresh token. */
export const ACR_REFRESH_USER = "00000000-0000-0000-0000-000000000000";

export function azureSourceLabel(): string {
  return "Azure DefaultAzureCredential + ACR token exchange";
}

/** `exp` of a JWT, in epoch milliseconds, when it has one (the token is not verified: ACR does). */
function jwtExpiry(token: string): number | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    const exp = payload !== null && typeof payload === "object" && "exp" in payload ? payload.exp : undefined;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** Microsoft's own authority hosts: MSAL's instance discovery knows them. */
const MICROSOFT_AUTHORITIES =
  /^https:\/\/login\.(microsoftonline\.(com|us)|chinacloudapi\.cn|partner\.microsoftonline\.cn)\/?$/i;

export class AzureAccess {
  // An authority host of another name (Azure Stack Hub, a private cloud) is not in Microsoft's
  // instance discovery, which MSAL would otherwise ask at login.microsoftonline.com first.
  private readonly credential = new DefaultAzureCredential(
    process.env.AZURE_AUTHORITY_HOST && !MICROSOFT_AUTHORITIES.test(process.env.AZURE_AUTHORITY_HOST)
      ? { disableInstanceDiscovery: true }
      : {},
  );

  constructor(private readonly transport: Transport) {}

  /**
   * A registry refresh token for `service` from the exchange next to the challenge's realm
   * (`https://R.azurecr.io/oauth2/token` → `https://R.azurecr.io/oauth2/exchange`).
   */
  async refreshToken(realm: string, service: string): Promise<Expiring<string>> {
    const aad = await this.credential.getToken(ACR_SCOPE);
    if (!aad?.token) throw new Error("DefaultAzureCredential gave no token");
    const url = new URL("/oauth2/exchange", realm).toString();
    const res = await this.transport({
      kind: "token",
      method: "POST",
      url,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "access_token", service, access_token: aad.token }).toString(),
      idempotent: true,
    });
    // Status only: the body of a refused exchange may quote what it was sent.
    if (res.status !== 200) throw new Error(`ACR token exchange POST /oauth2/exchange → ${res.status}`);
    let token: unknown;
    try {
      const body: unknown = JSON.parse(res.body.toString("utf8"));
      token = body !== null && typeof body === "object" && "refresh_token" in body ? body.refresh_token : undefined;
    } catch {
      // handled below
    }
    if (typeof token !== "string" || !token) throw new Error("ACR token exchange answered without a refresh_token");
    return { value: token, expiresAt: jwtExpiry(token) ?? aad.expiresOnTimestamp };
  }
}
