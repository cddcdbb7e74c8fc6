/**
 * Artifact Registry / GCR through google-auth-library's Application Default Credentials (loaded
 * only when such a registry is used, see cloud-access.ts): a service account key file or a
 * workload identity federation file (`GOOGLE_APPLICATION_CREDENTIALS`, what
 * `google-github-actions/auth` writes), gcloud's well-known file, or the GCE metadata server.
 * The access token is the password of user `oauth2accesstoken` (Artifact Registry docs,
 * "Configure authentication": access token).
 */
import { GoogleAuth } from "google-auth-library";
import type { Expiring } from "./refreshing.js";

const SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Secret-free: which ADC source will be tried first. */
export function googleSourceLabel(env: NodeJS.ProcessEnv): string {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS;
  return `Google application default credentials (${file ? `file ${file}` : "gcloud file or metadata server"})`;
}

export class GoogleAccess {
  // A registry login needs no project; without one, ADC first spends seconds looking for it
  // (environment, gcloud, the metadata server) before handing out a client.
  private readonly auth = new GoogleAuth({ scopes: [SCOPE], projectId: process.env.GOOGLE_CLOUD_PROJECT || "-" });

  async password(): Promise<Expiring<{ username: string; password: string }>> {
    const client = await this.auth.getClient();
    const { token } = await client.getAccessToken();
    if (!token) throw new Error("Google credentials gave no access token");
    // google-auth-library refreshes inside getAccessToken once expiry_date has passed; without an
    // expiry (unusual) the token is asked again after ten minutes.
    const expiry = client.credentials.expiry_date;
    return {
      value: { username: "oauth2accesstoken", password: token },
      expiresAt: typeof expiry === "number" && expiry > 0 ? expiry : Date.now() + 600_000,
    };
  }
}
