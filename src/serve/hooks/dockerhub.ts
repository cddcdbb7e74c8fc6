/**
 * Docker Hub's repository webhook: `{push_data: {tag}, repository: {repo_name}}`.
 * https://docs.docker.com/docker-hub/repos/manage/webhooks/
 */
import type { PushedRepository } from "./distribution.js";
import { dig, needString } from "./payload.js";

/** The pushed repository; an official image's `nginx` is `library/nginx`, as references spell it. */
export function dockerHubPushed(body: unknown, host = "docker.io"): PushedRepository {
  const name = needString(body, "repository", "repo_name").toLowerCase();
  const tag = dig(body, "push_data", "tag");
  return {
    repository: name.includes("/") ? name : `library/${name}`,
    host,
    ...(typeof tag === "string" && tag ? { tag } : {}),
  };
}
