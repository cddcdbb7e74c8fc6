import { isAbsolute, relative, resolve } from "node:path";
import { parseTemplate, TemplateError } from "../git/commit-message.js";
import { DEFAULT_PR_TITLE, defaultPullRequestBranch } from "../delivery/pull-request.js";
import { defaultCachePath } from "../registry/cache.js";
import { parseImageTargets, TargetError, type ImageTarget } from "../plan/targets.js";
import { assertAppId, GitHubAppError, normalizePrivateKey, type GitHubAppCredentials } from "../github/app-token.js";
import type { PullRequestGroup } from "../config/types.js";
import { tryParseImageReference } from "../reference/parse.js";
import type { ImageReference } from "../reference/types.js";

/**
 * Every action input, read, trimmed and validated in one place (like actions/checkout's
 * input-helper). Nothing else reads inputs; the rest of the action gets this typed object.
 */
export interface ActionSettings {
  /** Absolute repository root (the workspace, or `working-directory` inside it). */
  readonly repoDir: string;
  /** Config path relative to `repoDir`. */
  readonly configPath: string;
  readonly mode: "push" | "pull-request";
  readonly token: string;
  /**
   * `app-id` + `app-private-key` (+ `app-installation-id`): git and the API use the App's
   * installation token instead of `token`, so pull requests trigger the repository's workflows.
   */
  readonly app?: GitHubAppCredentials;
  readonly dryRun: boolean;
  /** Branch to update (push mode) or to target (pull-request mode); undefined = the checked-out branch. */
  readonly targetBranch?: string;
  /** `remote`: the git remote to fetch from and push to; undefined = upstream, `origin`, or the only one. */
  readonly remote?: string;
  readonly prBranch: string;
  readonly prTitle: string;
  /** PR body template; "" = the default body (changes with build times, references left alone). */
  readonly prBody: string;
  readonly labels: readonly string[];
  readonly reviewers: readonly string[];
  readonly teamReviewers: readonly string[];
  readonly autoMerge: false | "merge" | "squash" | "rebase";
  readonly signCommits: boolean;
  readonly commitMessage?: string;
  /** The `author` input; undefined = not given (the config's `global`, then the default, apply). */
  readonly author?: { readonly name: string; readonly email: string };
  readonly cachePath: string;
  readonly registryErrors: "fail" | "warn";
  /** `images`: a targeted run (only these repositories; a tag given is the one asked about). */
  readonly targets: readonly ImageTarget[];
  /**
   * `set` (and `set-files`): deploy or roll back to this tag on purpose, as `laminar set IMAGE:TAG`
   * does (issue #14); the run writes it instead of planning against the registry.
   */
  readonly setTag?: { readonly image: ImageReference; readonly tag: string; readonly files?: readonly string[] };
  /** `group`: how pull-request mode groups changes; undefined = the config's `pullRequests.group`. */
  readonly group?: PullRequestGroup;
  readonly runCommands: boolean;
  readonly maxAttempts: number;
  /** `owner/repo`, from GITHUB_REPOSITORY. */
  readonly repository: { readonly owner: string; readonly repo: string };
  readonly apiUrl: string;
  readonly serverUrl: string;
}

export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`input \`${input}\`: ${detail}`);
  }
}

export const DEFAULT_PR_BODY = "";

type GetInput = (name: string) => string;

/** Reads and validates all inputs. `getInput` returns "" for unset inputs, like `core.getInput`. */
export function readSettings(getInput: GetInput, env: NodeJS.ProcessEnv): ActionSettings {
  const get = (name: string): string => getInput(name).trim();
  const bool = (name: string, dflt: boolean): boolean => {
    const v = get(name).toLowerCase();
    if (v === "") return dflt;
    if (["true", "yes", "1", "on"].includes(v)) return true;
    if (["false", "no", "0", "off"].includes(v)) return false;
    throw new InputError(name, `expected true or false, got ${JSON.stringify(getInput(name))}`);
  };
  const list = (name: string): string[] =>
    get(name)
      .split(/[\n,]/)
      .map((s) => s.trim())
      .filter(Boolean);
  const oneOf = <T extends string>(name: string, allowed: readonly T[], dflt: T): T => {
    const v = (get(name) || dflt) as T;
    if (!allowed.includes(v))
      throw new InputError(name, `must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    return v;
  };

  const workspace = resolve(env.GITHUB_WORKSPACE || process.cwd());
  const repoDir = insideWorkspace(workspace, get("working-directory") || ".", "working-directory");
  const configPath = get("config") || ".laminar.yaml";
  const configAbs = insideWorkspace(repoDir, configPath, "config");

  const mode = oneOf("mode", ["push", "pull-request"] as const, "push");
  const token = get("token");
  const app = appCredentials(get);
  if (!token && !app && !bool("dry-run", false))
    throw new InputError("token", "is empty; pass `token: ${{ github.token }}` or a PAT");

  const autoMergeRaw = get("auto-merge").toLowerCase();
  let autoMerge: ActionSettings["autoMerge"];
  if (["", "false", "no", "off"].includes(autoMergeRaw)) autoMerge = false;
  else if (autoMergeRaw === "true") autoMerge = "merge";
  else if (autoMergeRaw === "merge" || autoMergeRaw === "squash" || autoMergeRaw === "rebase") autoMerge = autoMergeRaw;
  else
    throw new InputError(
      "auto-merge",
      `must be false, true, merge, squash or rebase, got ${JSON.stringify(autoMergeRaw)}`,
    );

  const authorRaw = get("author");
  let author: ActionSettings["author"];
  if (authorRaw) {
    const m = /^(.+?)\s*<([^<>\s]+@[^<>\s]+)>$/.exec(authorRaw);
    if (!m) throw new InputError("author", `expected "Name <email>", got ${JSON.stringify(authorRaw)}`);
    author = { name: m[1] as string, email: m[2] as string };
  }

  const branchName = /^(?!\/|.*(?:\/\.|\/\/|\.\.|@\{|\\))[^\0-\x20~^:?*[\x7f]+(?<!\.lock|\/|\.)$/;
  const targetBranch = get("branch") || undefined;
  if (targetBranch !== undefined && !branchName.test(targetBranch))
    throw new InputError("branch", `${JSON.stringify(targetBranch)} is not a valid branch name`);
  const remote = get("remote") || undefined;
  // A remote name is a ref path component (git stores `refs/remotes/<name>/…`).
  if (remote !== undefined && (!branchName.test(remote) || remote.includes("/")))
    throw new InputError("remote", `${JSON.stringify(remote)} is not a valid remote name`);
  const defaultPrBranch = defaultPullRequestBranch(configPath, relative(repoDir, configAbs));
  const prBranch = get("pr-branch") || defaultPrBranch;
  if (!branchName.test(prBranch))
    throw new InputError("pr-branch", `${JSON.stringify(prBranch)} is not a valid branch name`);
  if (targetBranch && prBranch === targetBranch) throw new InputError("pr-branch", "must differ from `branch`");

  const attemptsRaw = get("max-attempts") || "3";
  const maxAttempts = Number(attemptsRaw);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 10)
    throw new InputError("max-attempts", `must be a whole number from 1 to 10, got ${JSON.stringify(attemptsRaw)}`);

  // Every template is parsed now, so a typo is an input error before any git work (and never after
  // the pull-request branch was pushed).
  const template = (name: string, source: string): string => {
    try {
      parseTemplate(source);
    } catch (e) {
      if (e instanceof TemplateError) throw new InputError(name, e.message);
      throw e;
    }
    return source;
  };
  const prTitle = template("pr-title", get("pr-title") || DEFAULT_PR_TITLE);
  const prBody = template("pr-body", getInput("pr-body").trim());
  const commitMessage = get("commit-message") ? template("commit-message", getInput("commit-message").trim()) : "";

  const [owner, repo] = (env.GITHUB_REPOSITORY ?? "").split("/");
  if (!owner || !repo) {
    if (mode === "pull-request" || bool("sign-commits", false))
      throw new InputError(
        "mode",
        "GITHUB_REPOSITORY is not set (owner/repo); pull requests and signed commits need it",
      );
  }
  const cacheRaw = get("cache");
  const setTag = setInput(get("set"), list("set-files"));
  if (setTag && get("images"))
    throw new InputError(
      "set",
      "cannot be combined with `images` (set writes one tag; images plans against the registry)",
    );
  for (const f of setTag?.files ?? []) insideWorkspace(repoDir, f, "set-files");
  const group = get("group") ? oneOf("group", ["all", "rule", "image", "promotion"] as const, "promotion") : undefined;
  return {
    repoDir,
    configPath: relative(repoDir, configAbs),
    mode,
    token,
    ...(app ? { app } : {}),
    dryRun: bool("dry-run", false),
    ...(targetBranch ? { targetBranch } : {}),
    ...(remote ? { remote } : {}),
    prBranch,
    prTitle,
    prBody,
    labels: list("labels"),
    reviewers: list("reviewers"),
    teamReviewers: list("team-reviewers"),
    autoMerge,
    signCommits: bool("sign-commits", false),
    ...(commitMessage ? { commitMessage } : {}),
    ...(author ? { author } : {}),
    cachePath: cacheRaw ? resolve(workspace, cacheRaw) : defaultCachePath(env, { runnerTemp: true }),
    registryErrors: oneOf("registry-errors", ["fail", "warn"] as const, "fail"),
    targets: imageTargets(getInput("images")),
    ...(setTag ? { setTag } : {}),
    ...(group ? { group } : {}),
    runCommands: bool("commands", true),
    maxAttempts,
    repository: { owner: owner ?? "", repo: repo ?? "" },
    apiUrl: env.GITHUB_API_URL || "https://api.github.com",
    serverUrl: env.GITHUB_SERVER_URL || "https://github.com",
  };
}

/** `set: IMAGE:TAG` with the optional `set-files`; undefined when `set` is empty. */
function setInput(raw: string, files: readonly string[]): ActionSettings["setTag"] {
  if (!raw) {
    if (files.length) throw new InputError("set-files", "needs the `set` input (IMAGE:TAG)");
    return undefined;
  }
  const image = tryParseImageReference(raw);
  if (!image?.tag || image.digest)
    throw new InputError("set", `expected IMAGE:TAG, e.g. ghcr.io/acme/app:1.4.2, got ${JSON.stringify(raw)}`);
  return { image, tag: image.tag, ...(files.length ? { files } : {}) };
}

/** `images`: newline or comma separated `repository[:tag]` (a `repository_dispatch` payload may carry either). */
function imageTargets(raw: string): ImageTarget[] {
  try {
    return parseImageTargets([raw], "images");
  } catch (e) {
    if (!(e instanceof TargetError)) throw e;
    throw new InputError("images", e.message.replace(/^images: /, ""));
  }
}

/** The App inputs: all or none of id and key; the key is checked here and never echoed. */
function appCredentials(get: (name: string) => string): GitHubAppCredentials | undefined {
  const appId = get("app-id");
  const rawKey = get("app-private-key");
  const installation = get("app-installation-id");
  if (!appId && !rawKey) {
    if (installation) throw new InputError("app-installation-id", "needs `app-id` and `app-private-key`");
    return undefined;
  }
  if (!appId) throw new InputError("app-id", "is empty, but `app-private-key` is set; give both");
  if (!rawKey)
    throw new InputError(
      "app-private-key",
      "is empty, but `app-id` is set; give both (e.g. `${{ secrets.APP_PRIVATE_KEY }}`)",
    );
  let privateKey: string;
  try {
    assertAppId(appId);
    privateKey = normalizePrivateKey(rawKey);
  } catch (e) {
    if (e instanceof GitHubAppError) throw new InputError(e.setting, e.message);
    throw e;
  }
  if (installation && !/^\d+$/.test(installation))
    throw new InputError("app-installation-id", `must be a number, got ${JSON.stringify(installation)}`);
  return { appId, privateKey, ...(installation ? { installationId: Number(installation) } : {}) };
}

/** Paths that escape the workspace are refused here, before anything touches the disk. */
function insideWorkspace(base: string, path: string, input: string): string {
  const abs = resolve(base, path);
  const rel = relative(base, abs);
  if (rel.startsWith("..") || isAbsolute(rel))
    throw new InputError(input, `${JSON.stringify(path)} is outside the workspace`);
  return abs;
}
