import * as core from "@actions/core";
import { writeFile } from "node:fs/promises";
import { CommandFailedError } from "../apply/apply.js";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import { createGitCommandManager, type GitCommandManager } from "../git/git-command-manager.js";
import { createTagSource } from "../registry/from-config.js";
import { collectSecrets } from "../secrets/collect.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { SecretMasker } from "../secrets/masker.js";
import type { Plan } from "../plan/types.js";
import type { RequestCounts } from "../registry/types.js";
import { jobSummary } from "../report/markdown.js";
import { planToJson } from "../report/format.js";
import { ACTION_AUTHOR, resolveCommitSettings } from "../delivery/commit-settings.js";
import { pullRequestMode, type PullRequestOutcome } from "../delivery/pull-request.js";
import { pushMode } from "../delivery/push.js";
import { assertCleanWorkTree, fetchBranch } from "../delivery/remote-branch.js";
import { signedPushMode } from "../delivery/signed-push.js";
import { updatePass } from "../pipeline.js";
import { actionGitHub } from "./github.js";
import { readSettings, type ActionSettings } from "./inputs.js";

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
 * Everything is wrapped so any failure ends in one readable `core.setFailed` line.
 */
export async function run(): Promise<void> {
  let settings: ActionSettings | undefined;
  try {
    settings = readSettings((name) => core.getInput(name), process.env);
    // The runner masks exactly what the CLI masks: the same collector, the same forms and length rule.
    const masker = new SecretMasker((form) => core.setSecret(form));
    masker.addAll(knownSecrets({ env: process.env, extra: tokenSecret(settings) }));
    const outcome = await execute(settings, masker);
    await report(settings, outcome);
  } catch (e) {
    core.setFailed(describe(e));
  }
}

/** The `token` input, sent as the password of `x-access-token` (git's Basic header). */
function tokenSecret(s: ActionSettings): { value: string; user: string }[] {
  return s.token ? [{ value: s.token, user: "x-access-token" }] : [];
}

async function execute(s: ActionSettings, masker: SecretMasker): Promise<Outcome> {
  core.startGroup("Prepare");
  const git = await createGitCommandManager(s.repoDir, {
    ...(s.token ? { credentials: { serverUrl: s.serverUrl, token: s.token } } : {}),
    log: (line) => core.debug(line),
  });
  await assertCleanWorkTree(git);
  const branch = await targetBranch(git, s);
  // Validate the config before anything else runs: a config error names file, line and key.
  const config = await loadConfig(s.repoDir, s.configPath);
  core.info(
    `config ${s.configPath}: ${config.updates.length} update rule(s), ${config.commands.length} command(s); mode ${s.mode}${s.dryRun ? " (dry run)" : ""}; branch ${branch}`,
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
    log: { debug: (m) => core.debug(m), warn: (m) => core.warning(m) },
  });
  core.endGroup();

  const withCounts = (o: Outcome): Outcome => ({ ...o, requests: tags.counts() });
  const common = {
    dir: s.repoDir,
    configPath: s.configPath,
    tags: tags.source,
    runCommands: s.runCommands,
    env,
    onCommand: (c: string) => core.info(`running: ${c}`),
    ...(s.targets.length ? { targets: s.targets } : {}),
  };
  const delivery = {
    ...common,
    git,
    commit: resolveCommitSettings(s, config.commit, ACTION_AUTHOR),
    log: (m: string) => core.info(m),
  };
  try {
    if (s.dryRun) {
      core.startGroup("Plan (dry run)");
      const pass = await updatePass({ ...common, dryRun: true });
      core.endGroup();
      return withCounts({
        plan: pass.plan,
        files: [],
        sentence: `Dry run: ${pass.plan.changes.length} image tag(s) would move; nothing was written.`,
      });
    }
    if (s.mode === "pull-request") {
      core.startGroup("Plan, rewrite and pull request");
      const r = await pullRequestMode({
        ...delivery,
        github: actionGitHub(s),
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
      });
      core.endGroup();
      return withCounts({
        plan: r.plan,
        files: r.files,
        ...(r.commitSha ? { commitSha: r.commitSha } : {}),
        pullRequest: r.pullRequest,
        sentence: r.sentence,
      });
    }
    core.startGroup("Plan, rewrite, commit and push");
    const r = s.signCommits
      ? await signedPushMode({ ...delivery, github: actionGitHub(s), branch, maxAttempts: s.maxAttempts })
      : await pushMode({ ...delivery, branch, maxAttempts: s.maxAttempts });
    core.endGroup();
    const plan = r.pass.plan;
    const sentence = r.commitSha
      ? `Pushed ${r.commitSha.slice(0, 12)} to \`${branch}\`: ${plan.changes.length} image tag(s) moved${r.attempts > 1 ? ` (after ${r.attempts} attempts)` : ""}.`
      : "Nothing to update: every image is at the newest tag its policy allows.";
    return withCounts({
      plan,
      files: r.pass.applied?.files ?? [],
      ...(r.commitSha ? { commitSha: r.commitSha } : {}),
      sentence,
    });
  } finally {
    await tags.save().catch((e: unknown) => core.warning(`could not save the registry cache: ${(e as Error).message}`));
    core.info(`registry requests: ${JSON.stringify(tags.counts())}`);
  }
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

async function report(s: ActionSettings, o: Outcome): Promise<void> {
  const { plan } = o;
  for (const c of plan.changes) core.info(`${c.file}:${c.line}: ${c.image} ${c.from} → ${c.to}`);
  for (const w of plan.warnings) core.warning(w.message, { file: w.file });
  for (const u of plan.unchanged.filter((x) => x.reason === "registry-error")) {
    core.warning(`${u.image}:${u.tag ?? ""} was not updated: ${u.detail}`, {
      file: u.file,
      startLine: u.line,
      title: "Laminar: registry error",
    });
  }
  core.setOutput("plan", JSON.stringify(planToJson(plan, o.requests)));
  core.setOutput("changes", String(plan.changes.length));
  core.setOutput("changed-files", JSON.stringify(o.files));
  core.setOutput("commit-sha", o.commitSha ?? "");
  core.setOutput("pull-request-number", o.pullRequest?.number !== undefined ? String(o.pullRequest.number) : "");
  core.setOutput("pull-request-url", o.pullRequest?.url ?? "");
  core.setOutput("pull-request-operation", o.pullRequest?.operation ?? "none");
  core.info(o.sentence);
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (summaryFile) {
    const md = jobSummary(plan, {
      title: "Laminar",
      outcome: o.sentence,
      ...(o.requests ? { requests: o.requests } : {}),
    });
    await writeFile(summaryFile, md, { flag: "a" }).catch((e: unknown) =>
      core.warning(`could not write the job summary: ${(e as Error).message}`),
    );
  }
  if (plan.failures.length) {
    const msg = `${plan.failures.length} registry failure(s): ${plan.failures.map((f) => f.message).join("; ")}`;
    if (s.registryErrors === "fail")
      core.setFailed(`${msg} (healthy registries were updated; set registry-errors: warn to pass)`);
    else core.warning(msg);
  }
}

/** One readable line; config errors already name file, line and key, command failures carry their output. */
function describe(e: unknown): string {
  if (e instanceof ConfigError) return `config error: ${e.message}`;
  if (e instanceof CommandFailedError) {
    core.error(`output of \`${e.result.command}\`:\n${e.result.output.trimEnd()}`);
    return `${e.message}; nothing was committed`;
  }
  return e instanceof Error ? e.message : String(e);
}
