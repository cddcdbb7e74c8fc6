import * as core from "@actions/core";
import { createGitHubApi } from "../github/github-api.js";
import type { GitHubApi } from "../github/types.js";
import { VERSION } from "../version.js";
import type { ActionSettings } from "./inputs.js";

/** The action's GitHub helper: token masked, GITHUB_API_URL honoured (GitHub Enterprise), logs to the job. */
export function actionGitHub(s: Pick<ActionSettings, "token" | "apiUrl" | "repository">): GitHubApi {
  return createGitHubApi({
    token: s.token,
    baseUrl: s.apiUrl,
    repository: s.repository,
    userAgent: `laminar/${VERSION}`,
    maskSecret: (secret) => core.setSecret(secret),
    log: {
      debug: (m) => core.debug(m),
      info: (m) => core.debug(m),
      warn: (m) => core.warning(m),
      error: (m) => core.warning(m),
    },
  });
}
