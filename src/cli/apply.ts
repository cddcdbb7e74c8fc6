import { relative, resolve } from "node:path";
import type { ApplyResult } from "../apply/apply.js";
import { DEFAULT_CONFIG_FILE } from "../config/load.js";
import type { LaminarConfig } from "../config/types.js";
import { CLI_AUTHOR, resolveCommitSettings } from "../delivery/commit-settings.js";
import { DEFAULT_PR_TITLE, defaultPullRequestBranch, type PullRequestOutcome } from "../delivery/pull-request.js";
import { groupedPullRequests } from "../delivery/grouped-pull-requests.js";
import { pushMode } from "../delivery/push.js";
import { assertCleanWorkTree } from "../delivery/remote-branch.js";
import { createGitCommandManager } from "../git/git-command-manager.js";
import { createAppTokenSource, type GitHubAppCredentials } from "../github/app-token.js";
import { createGitHubApi } from "../github/github-api.js";
import type { ImageTarget } from "../plan/targets.js";
import type { Plan } from "../plan/types.js";
import { updatePass, type UpdateOptions } from "../pipeline.js";
import type { TagSource } from "../registry/types.js";
import { VERSION } from "../version.js";

/** Where `laminar apply` delivers its edits. */
export type Delivery =
  | { readonly kind: "work-tree" }
  | { readonly kind: "push" }
  | {
      readonly kind: "pull-request";
      /** "" when `app` is set: the App's installation token is used instead. */
      readonly token: string;
      /** A GitHub App (`LAMINAR_APP_ID` / `LAMINAR_APP_PRIVATE_KEY[_FILE]`): its installation token for git and the API. */
      readonly app?: GitHubAppCredentials;
      readonly apiUrl: string;
      /** Git's HTTPS credentials are scoped to this origin (the token is sent nowhere else). */
      readonly serverUrl: string;
      readonly repository: { readonly owner: string; readonly repo: string };
      readonly branch?: string;
    };

/** One `laminar apply`: the loaded config (for the commit settings), the tag source and the delivery. */
export interface ApplyRun {
  readonly dir: string;
  readonly configPath: string | undefined;
  readonly config: LaminarConfig;
  readonly tags: TagSource;
  readonly runCommands: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly delivery: Delivery;
  readonly onCommand: (run: string) => void;
  readonly onFile?: (path: string) => void;
  readonly log: (message: string) => void;
  /** Ctrl-C / SIGTERM: kills the running command's process group and restores the files. */
  readonly signal?: AbortSignal;
  /** `laminar set IMAGE:TAG`: write that tag instead of planning against the registry. */
  readonly setTag?: UpdateOptions["setTag"];
  /** `--image`: a targeted run. */
  readonly targets?: readonly ImageTarget[];
  /** `--remote`: the git remote to push to (default: the branch's upstream, `origin`, the only one). */
  readonly remote?: string;
  /** Told every secret obtained during the run (a GitHub App's installation tokens), before it is used. */
  readonly onSecret?: (value: string, user?: string) => void;
}

/** What `laminar apply` did, for the text and JSON reports. */
export interface ApplyOutcome {
  readonly plan: Plan;
  /** Files rewritten (empty when nothing moved). */
  readonly files: readonly string[];
  /** What the configured commands created, modified or deleted (committed with the tag moves). */
  readonly commandChanges: ApplyResult["commandChanges"];
  /** The configured commands that ran (not reported in pull-request mode). */
  readonly commands: ApplyResult["commands"];
  readonly commitSha?: string;
  readonly pullRequest?: PullRequestOutcome;
  /** One line for people; undefined for a plain apply (the file list says it). */
  readonly sentence?: string;
}

/**
 * Runs the pipeline and delivers like the Action does: into the work tree only, or committed and
 * pushed to the checked-out branch (retrying when it moved), or as a pull request through the
 * GitHub REST API — the same delivery layer, with the CLI's default author.
 */
export async function runApply(o: ApplyRun): Promise<ApplyOutcome> {
  const common = {
    dir: o.dir,
    ...(o.configPath ? { configPath: o.configPath } : {}),
    tags: o.tags,
    runCommands: o.runCommands,
    env: o.env,
    onCommand: o.onCommand,
    ...(o.onFile ? { onFile: o.onFile } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.setTag ? { setTag: o.setTag } : {}),
    ...(o.targets?.length ? { targets: o.targets } : {}),
  };
  if (o.delivery.kind === "work-tree") {
    const r = await updatePass({ ...common, dryRun: false });
    return {
      plan: r.plan,
      files: r.applied?.files ?? [],
      commandChanges: r.applied?.commandChanges ?? [],
      commands: r.applied?.commands ?? [],
    };
  }
  const d = o.delivery;
  const app =
    d.kind === "pull-request" && d.app
      ? await createAppTokenSource({
          app: d.app,
          baseUrl: d.apiUrl,
          serverUrl: d.serverUrl,
          repository: d.repository,
          userAgent: `laminar/${VERSION}`,
          onToken: (t) => o.onSecret?.(t, "x-access-token"),
        })
      : undefined;
  if (app) o.log(`GitHub App ${app.appSlug} (installation ${app.installationId}): pushes and API calls use its token`);
  const git = await createGitCommandManager(o.dir, {
    ...(o.remote ? { remote: { name: o.remote, from: "--remote" } } : {}),
    ...(d.kind === "pull-request"
      ? {
          credentials: app
            ? async () => ({ serverUrl: d.serverUrl, token: await app.token() })
            : { serverUrl: d.serverUrl, token: d.token },
        }
      : {}),
  });
  await assertCleanWorkTree(git);
  const branch = await git.currentBranch();
  if (!branch) throw new Error("HEAD is detached: check out the branch laminar should update");
  const delivery = {
    ...common,
    git,
    commit: resolveCommitSettings({}, o.config.commit, app?.identity ?? CLI_AUTHOR),
    log: o.log,
  };
  if (d.kind === "push") {
    const r = await pushMode({
      ...delivery,
      branch,
      protectedHint: "open a pull request instead (`laminar apply --pull-request`)",
    });
    return {
      plan: r.pass.plan,
      files: r.pass.applied?.files ?? [],
      commandChanges: r.pass.applied?.commandChanges ?? [],
      commands: r.pass.applied?.commands ?? [],
      ...(r.commitSha ? { commitSha: r.commitSha } : {}),
      sentence: r.commitSha
        ? `Pushed ${r.commitSha.slice(0, 12)} to ${branch}: ${r.pass.plan.changes.length} image tag(s) moved${r.attempts > 1 ? ` (after ${r.attempts} attempts)` : ""}.`
        : "Nothing to update: every image is at the newest tag its policy allows.",
    };
  }
  const configFile = o.configPath ?? DEFAULT_CONFIG_FILE;
  const prBranch = d.branch ?? defaultPullRequestBranch(configFile, relative(o.dir, resolve(o.dir, configFile)));
  if (prBranch === branch) throw new Error(`--pr-branch must differ from the checked-out branch ${branch}`);
  const r = await groupedPullRequests(
    {
      ...delivery,
      github: createGitHubApi({
        token: d.token,
        ...(app ? { tokenSource: () => app.token() } : {}),
        baseUrl: d.apiUrl,
        repository: d.repository,
        userAgent: `laminar/${VERSION}`,
      }),
      base: branch,
      pullRequest: {
        branch: prBranch,
        title: DEFAULT_PR_TITLE,
        body: "",
        labels: [],
        reviewers: [],
        teamReviewers: [],
        autoMerge: false,
        signCommits: false,
      },
      log: o.log,
    },
    // `set` writes one tag on purpose: an empty share would close the promotions' pull requests.
    {
      promotions: o.setTag ? [] : o.config.promotions.map((p) => p.name),
      ...(o.config.pullRequests?.group && !o.setTag ? { group: o.config.pullRequests.group } : {}),
    },
  );
  return {
    plan: r.plan,
    files: r.files,
    commandChanges: [],
    commands: [],
    ...(r.commitSha ? { commitSha: r.commitSha } : {}),
    pullRequest: r.pullRequest,
    sentence: r.sentence,
  };
}
