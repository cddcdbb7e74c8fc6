import * as core from "@actions/core";
import { writeFile } from "node:fs/promises";
import { changedPaths, CommandFailedError } from "../apply/apply.js";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { PullRequestGroup } from "../config/types.js";
import {
  createGitCommandManager,
  type GitCommandManager,
  type GitCommandManagerOptions,
} from "../git/git-command-manager.js";
import { createAppTokenSource, GitHubAppError, privateKeySecrets, type AppTokenSource } from "../github/app-token.js";
import type { GitHubApi } from "../github/types.js";
import { VERSION } from "../version.js";
import { createTagSource } from "../registry/from-config.js";
import { collectSecrets } from "../secrets/collect.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { SecretMasker } from "../secrets/masker.js";
import type { Plan } from "../plan/types.js";
import type { RequestCounts } from "../registry/types.js";
import { failedSummary, jobSummary } from "../report/markdown.js";
import { nothingToUpdate, planToJson } from "../report/format.js";
import { ACTION_AUTHOR, resolveCommitSettings } from "../delivery/commit-settings.js";
import { groupedPullRequests } from "../delivery/grouped-pull-requests.js";
import type { PullRequestOutcome } from "../delivery/pull-request.js";
import { pushMode } from "../delivery/push.js";
import { assertCleanWorkTree, fetchBranch } from "../delivery/remote-branch.js";
import { signedPushMode } from "../delivery/signed-push.js";
import { updatePass } from "../pipeline.js";
import { actionGitHub } from "./github.js";
import { InputError, readSettings, type ActionSettings } from "./inputs.js";
import * as log from "./log.js";

/** What the run did, turned into outputs and the job summary once at the end. */
interface Outcome {
  plan: Plan;
  files: readonly string[];
  commitSha?: string;
  pullRequest?: PullRequestOutcome;
  sentence: string;
  requests?: RequestCounts;
}

/**
 * The action: read inputs, plan, rewrite, run commands, then push or open a pull request, and report.
 * Everything is wrapped so any failure ends in one readable failure line; outputs and the job summary
 * are written on every run, a failed one included (issue #13), so later steps and the reader see
 * what happened.
 */
export async function run(): Promise<void> {
  let settings: ActionSettings | undefined;
  let outcome: Outcome | undefined;
  let failure: string | undefined;
  try {
    settings = readSettings((name) => core.getInput(name), process.env);
    // The runner masks exactly what the CLI masks: the same collector, the same forms and length rule.
    const masker = new SecretMasker((form) => core.setSecret(form));
    masker.addAll(knownSecrets({ env: process.env, extra: [...tokenSecret(settings), ...appKeySecret(settings)] }));
    outcome = await execute(settings, masker);
  } catch (e) {
    failure = describe(e);
  }
  try {
    failure = (await report(settings, outcome, failure)) ?? failure;
  } catch (e) {
    failure ??= describe(e);
  }
  if (failure) log.failed(failure);
}

/** The `token` input, sent as the password of `x-access-token` (git's Basic header). */
function tokenSecret(s: ActionSettings): { value: string; user: string }[] {
  return s.token ? [{ value: s.token, user: "x-access-token" }] : [];
}

/** The App's private key, whole and line by line (see privateKeySecrets). */
function appKeySecret(s: ActionSettings): { value: string }[] {
  return s.app ? privateKeySecrets(s.app.privateKey).map((value) => ({ value })) : [];
}

/**
 * The App's installation token source, or undefined without `app-id`. Each token minted is masked
 * before it is used.
 */
async function appTokens(s: ActionSettings, masker: SecretMasker): Promise<AppTokenSource | undefined> {
  if (!s.app) return undefined;
  try {
    const app = await createAppTokenSource({
      app: s.app,
      baseUrl: s.apiUrl,
      serverUrl: s.serverUrl,
      repository: s.repository,
      userAgent: `laminar/${VERSION}`,
      onToken: (token) => masker.add(token, "x-access-token"),
    });
    log.info(
      `GitHub App ${app.appSlug} (installation ${app.installationId}): pushes and API calls use its installation token`,
    );
    return app;
  } catch (e) {
    if (e instanceof GitHubAppError) throw new InputError(e.setting, e.message);
    throw e;
  }
}

async function execute(s: ActionSettings, masker: SecretMasker): Promise<Outcome> {
  const prepared = await log.group("Prepare", async () => {
    // A dry run pushes nothing and calls no API: no token is minted.
    const app = s.dryRun ? undefined : await appTokens(s, masker);
    const credentials: GitCommandManagerOptions["credentials"] = app
      ? async () => ({ serverUrl: s.serverUrl, token: await app.token() })
      : s.token
        ? { serverUrl: s.serverUrl, token: s.token }
        : undefined;
    const git = await createGitCommandManager(s.repoDir, {
      ...(credentials ? { credentials } : {}),
      ...(s.remote ? { remote: { name: s.remote, from: "input `remote`" } } : {}),
      log: (line) => log.debug(line),
    });
    await assertCleanWorkTree(git);
    const branch = await targetBranch(git, s);
    // Validate the config before anything else runs: a config error names file, line and key.
    const config = await loadConfig(s.repoDir, s.configPath);
    log.info(
      `config ${s.configPath}: ${config.updates.length} update rule(s), ${config.promotions.length} promotion(s), ${config.commands.length} command(s); mode ${s.mode}${s.dryRun ? " (dry run)" : ""}; branch ${branch}`,
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...(s.token && !process.env.GITHUB_TOKEN ? { GITHUB_TOKEN: s.token } : {}),
    };
    // Registry secrets the config names and docker's config.json holds are masked like the token.
    // Malformed config.json entries are reported by the registry client for the host that uses them.
    masker.addAll((await collectSecrets(env, { config, extra: tokenSecret(s) })).secrets);
    const tags = createTagSource(config, {
      dir: s.repoDir,
      env,
      cachePath: s.cachePath,
      ...(s.targets.length ? { reuseChallenges: true } : {}),
      log: { debug: (m) => log.debug(m), warn: (m) => log.warning(m) },
    });
    return { app, git, branch, config, env, tags };
  });
  const { app, git, branch, config, env, tags } = prepared;
  const github = (): GitHubApi => actionGitHub(s, app ? () => app.token() : undefined);

  const withCounts = (o: Outcome): Outcome => ({ ...o, requests: tags.counts() });
  const common = {
    dir: s.repoDir,
    configPath: s.configPath,
    tags: tags.source,
    runCommands: s.runCommands,
    env,
    onCommand: (c: string) => log.info(`running: ${c}`),
    ...(s.targets.length ? { targets: s.targets } : {}),
    ...(s.setTag ? { setTag: s.setTag } : {}),
  };
  const delivery = {
    ...common,
    git,
    // The App's bot is the default author (its commits then show as the App's), unless asked otherwise.
    commit: resolveCommitSettings(s, config.commit, app?.identity ?? ACTION_AUTHOR),
    log: (m: string) => log.info(m),
  };
  try {
    if (s.dryRun) {
      const pass = await log.group("Plan (dry run)", () => updatePass({ ...common, dryRun: true }));
      return withCounts({
        plan: pass.plan,
        files: [],
        sentence: `Dry run: ${pass.plan.changes.length} image tag(s) would move; nothing was written.`,
      });
    }
    if (s.mode === "pull-request") {
      const r = await log.group("Plan, rewrite and pull request", () =>
        // By default one pull request for the update rules, and one per promotion (laminar/promote-<name>);
        // the `group` input or `pullRequests.group` chooses another grouping.
        groupedPullRequests(
          {
            ...delivery,
            github: github(),
            base: branch,
            maxAttempts: s.maxAttempts,
            pullRequest: {
              branch: s.prBranch,
              title: s.prTitle,
              body: s.prBody,
              labels: s.labels,
              reviewers: s.reviewers,
              teamReviewers: s.teamReviewers,
              autoMerge: s.autoMerge,
              signCommits: s.signCommits,
            },
          },
          // `set` writes one tag on purpose: the promotions' pull requests are not this run's business
          // (an empty share would close them as obsolete).
          {
            promotions: s.setTag ? [] : config.promotions.map((p) => p.name),
            ...(s.setTag ? {} : pullRequestGroup(s.group ?? config.pullRequests?.group)),
          },
        ),
      );
      return withCounts({
        plan: r.plan,
        files: r.files,
        ...(r.commitSha ? { commitSha: r.commitSha } : {}),
        pullRequest: r.pullRequest,
        sentence: r.sentence,
      });
    }
    const r = await log.group("Plan, rewrite, commit and push", () =>
      s.signCommits
        ? signedPushMode({ ...delivery, github: github(), branch, maxAttempts: s.maxAttempts })
        : pushMode({ ...delivery, branch, maxAttempts: s.maxAttempts }),
    );
    const plan = r.pass.plan;
    const sentence = r.commitSha
      ? `Pushed ${r.commitSha.slice(0, 12)} to \`${branch}\`: ${plan.changes.length} image tag(s) moved${r.attempts > 1 ? ` (after ${r.attempts} attempts)` : ""}.`
      : nothingToUpdate(plan);
    return withCounts({
      plan,
      files: changedPaths(r.pass.applied),
      ...(r.commitSha ? { commitSha: r.commitSha } : {}),
      sentence,
    });
  } finally {
    await tags.save().catch((e: unknown) => log.warning(`could not save the registry cache: ${(e as Error).message}`));
    log.info(`registry requests: ${JSON.stringify(tags.counts())}`);
  }
}

/** `{ group }` when one is set. */
function pullRequestGroup(group: PullRequestGroup | undefined): { group?: PullRequestGroup } {
  return group ? { group } : {};
}

/** The branch to update: the `branch` input, else the checked-out branch; a detached HEAD needs the input. */
async function targetBranch(git: GitCommandManager, s: ActionSettings): Promise<string> {
  const current = await git.currentBranch();
  if (!s.targetBranch) {
    if (!current)
      throw new Error(
        "HEAD is detached (a tag, a pull_request event or a sha checkout): set the `branch` input to the branch Laminar should update",
      );
    return current;
  }
  if (current !== s.targetBranch) {
    await git.checkoutBranch(s.targetBranch, await fetchBranch(git, s.targetBranch));
  }
  return s.targetBranch;
}

/**
 * Annotations, outputs and the job summary, once at the end of every run. `o` is undefined when the
 * run failed before it had a plan (`failure` says why): the outputs then say nothing changed and the
 * summary carries the error. Returns the failure a registry error makes under `registry-errors: fail`.
 */
async function report(
  s: ActionSettings | undefined,
  o: Outcome | undefined,
  failure: string | undefined,
): Promise<string | undefined> {
  const plan: Plan = o?.plan ?? { changes: [], unchanged: [], failures: [], warnings: [] };
  for (const c of plan.changes) log.info(`${c.file}:${c.line}: ${c.image} ${c.from} → ${c.to}`);
  for (const w of plan.warnings)
    log.warning(w.message, { file: w.file, ...(w.line ? { startLine: w.line, startColumn: w.column ?? 1 } : {}) });
  for (const u of plan.unchanged.filter((x) => x.reason === "registry-error")) {
    log.warning(`${u.image}:${u.tag ?? ""} was not updated: ${u.detail}`, {
      file: u.file,
      startLine: u.line,
      title: "Laminar: registry error",
    });
  }
  core.setOutput("plan", JSON.stringify({ ...planToJson(plan, o?.requests), ...(failure ? { error: failure } : {}) }));
  core.setOutput("changes", String(o ? plan.changes.length : 0));
  core.setOutput("changed-files", JSON.stringify(o?.files ?? []));
  core.setOutput("commit-sha", o?.commitSha ?? "");
  core.setOutput("pull-request-number", o?.pullRequest?.number !== undefined ? String(o.pullRequest.number) : "");
  core.setOutput("pull-request-url", o?.pullRequest?.url ?? "");
  core.setOutput("pull-request-operation", o?.pullRequest?.operation ?? "none");
  if (o) log.info(o.sentence);
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    const md = o
      ? jobSummary(plan, {
          title: "Laminar",
          outcome: o.sentence,
          ...(o.requests ? { requests: o.requests } : {}),
        })
      : failedSummary("Laminar", failure ?? "the run failed");
    await writeFile(summaryFile, md, { flag: "a" }).catch((e: unknown) =>
      log.warning(`could not write the job summary: ${(e as Error).message}`),
    );
  }
  if (plan.failures.length) {
    const msg = `${plan.failures.length} registry failure(s): ${plan.failures.map((f) => f.message).join("; ")}`;
    if (s?.registryErrors === "fail")
      return `${msg} (healthy registries were updated; set registry-errors: warn to pass)`;
    log.warning(msg);
  }
  return undefined;
}

/** One readable line; config errors already name file, line and key, command failures carry their output. */
function describe(e: unknown): string {
  if (e instanceof ConfigError) return `config error: ${e.message}`;
  if (e instanceof CommandFailedError) {
    log.error(`output of \`${e.result.command}\`:\n${e.result.output.trimEnd()}`);
    return `${e.message}; nothing was committed`;
  }
  return e instanceof Error ? e.message : String(e);
}
