/**
 * Harbor's webhook (HTTP notify type): `{type: "PUSH_ARTIFACT", event_data: {repository:
 * {repo_full_name}, resources: [{tag, resource_url}]}}`.
 * https://goharbor.io/docs/main/working-with-projects/project-configuration/configure-webhooks/
 */
import type { PushedRepository } from "./distribution.js";
import { dig, needString, PayloadError } from "./payload.js";

/** The pushed repository, with the host taken from `resource_url`; [] for other event types. */
export function harborPushed(body: unknown): PushedRepository[] {
  const type = dig(body, "type");
  if (typeof type !== "string") throw new PayloadError("type must be a string");
  if (type !== "PUSH_ARTIFACT") return [];
  const repository = needString(body, "event_data", "repository", "repo_full_name").toLowerCase();
  const resources = dig(body, "event_data", "resources");
  if (!Array.isArray(resources) || !resources.length)
    throw new PayloadError("event_data.resources must be a non-empty list");
  return resources.map((r, i) => {
    const url = needString(r, "resource_url");
    const host = url
      .replace(/^[a-z]+:\/\//i, "")
      .split("/")[0]
      ?.toLowerCase();
    if (!host) throw new PayloadError(`event_data.resources[${i}].resource_url has no host`);
    const tag = dig(r, "tag");
    return { repository, host, ...(typeof tag === "string" && tag ? { tag } : {}) };
  });
}
