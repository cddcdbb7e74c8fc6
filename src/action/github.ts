import { createGitHubApi } from "../github/github-api.js";
import type { GitHubApi } from "../github/types.js";
import { VERSION } from "../version.js";
import type { ActionSettings } from "./inputs.js";
import * as log from "./log.js";

/**
 * The action's GitHub helper: GITHUB_API_URL honoured (GitHub Enterprise), logs to the job. The token
 * is not masked here: the Action's one SecretMasker (main.ts) already hands it, with its other forms,
 * to `core.setSecret`, by the same length rule as every other secret. With a GitHub App,
 * `tokenSource` gives its installation token (minted again near expiry) for every request.
 */
export function actionGitHub(
  s: Pick<ActionSettings, "token" | "apiUrl" | "repository">,
  tokenSource?: () => Promise<string>,
): GitHubApi {
  return createGitHubApi({
    token: s.token,
    ...(tokenSource ? { tokenSource } : {}),
    baseUrl: s.apiUrl,
    repository: s.repository,
    userAgent: `laminar/${VERSION}`,
    log: {
      debug: (m) => log.debug(m),
      info: (m) => log.debug(m),
      warn: (m) => log.warning(m),
      error: (m) => log.warning(m),
    },
  });
}
