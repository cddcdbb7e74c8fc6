/**
 * Which cloud's own credential chain serves a registry, from its host name (or the registry's
 * `cloud` setting, for custom domains and tests). Pure: no SDK is loaded here, so a run that
 * references no cloud registry loads none (issue #11: cold start and bundle size must not grow).
 */

export type CloudKind = "aws" | "google" | "azure";

/** `123456789012.dkr.ecr.eu-west-1.amazonaws.com` → account and region. */
export function parseEcrHost(host: string): { registryId: string; region: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host.toLowerCase());
  return m ? { registryId: m[1]!, region: m[2]! } : undefined;
}

/** `gcr.io`, `eu.gcr.io`, `europe-west1-docker.pkg.dev`. */
export function isGoogleRegistryHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "gcr.io" || h.endsWith(".gcr.io") || /^[a-z0-9-]+-docker\.pkg\.dev$/.test(h);
}

/** `myregistry.azurecr.io` (and the sovereign clouds' `.azurecr.cn`, `.azurecr.us`). */
export function isAzureRegistryHost(host: string): boolean {
  return /^[a-z0-9-]+\.azurecr\.(io|cn|us)$/i.test(host);
}

/** The cloud a registry belongs to; `setting` (`none` or a kind) wins over the host name. */
export function cloudKindOf(host: string, setting?: CloudKind | "none"): CloudKind | undefined {
  if (setting === "none") return undefined;
  if (setting) return setting;
  if (parseEcrHost(host)) return "aws";
  if (isGoogleRegistryHost(host)) return "google";
  if (isAzureRegistryHost(host)) return "azure";
  return undefined;
}
