import type { LaminarConfig } from "../config/types.js";
import type { GitIdentity } from "../git/git-command-manager.js";

/** Author and message template of the commit Laminar makes. */
export interface CommitSettings {
  readonly author: GitIdentity;
  /** undefined = the default message format (src/git/commit-message.ts). */
  readonly messageTemplate?: string;
}

/** What the person running Laminar asked for explicitly (an Action input, a CLI flag). */
export interface CommitOverrides {
  readonly author?: GitIdentity;
  readonly commitMessage?: string;
}

/** The Action's default author: the identity GitHub shows for `GITHUB_TOKEN` commits. */
export const ACTION_AUTHOR: GitIdentity = {
  name: "github-actions[bot]",
  email: "41898282+github-actions[bot]@users.noreply.github.com",
};

/** The CLI's (and `watch`'s) default author: outside GitHub there is no bot identity to borrow. */
export const CLI_AUTHOR: GitIdentity = { name: "Laminar", email: "laminar@localhost" };

/**
 * The one rule for every front end and every mode (push, signed push, pull request, watch), so a
 * setting never works in one of them and is silently ignored in another: the explicit override,
 * then the config's `global` (gitUser / gitEmail / gitMessage), then `defaultAuthor`. Name and
 * email fall back separately, so a config that sets only `gitUser` keeps the default email.
 */
export function resolveCommitSettings(
  overrides: CommitOverrides,
  commit: LaminarConfig["commit"],
  defaultAuthor: GitIdentity,
): CommitSettings {
  const author = overrides.author ?? {
    name: commit.authorName || defaultAuthor.name,
    email: commit.authorEmail || defaultAuthor.email,
  };
  const messageTemplate = overrides.commitMessage || commit.message || undefined;
  return { author: { name: author.name, email: author.email }, ...(messageTemplate ? { messageTemplate } : {}) };
}
