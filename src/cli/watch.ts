import { setTimeout as sleep } from "node:timers/promises";
import { describeError, type CliIo } from "./io.js";
import { createTagSource, type TagSourceHandle } from "../registry/from-config.js";
import { Metrics } from "./metrics.js";
import type { SecretMasker } from "../secrets/masker.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { loadConfig } from "../config/load.js";
import { createGitCommandManager } from "../git/git-command-manager.js";
import { CLI_AUTHOR, resolveCommitSettings } from "../delivery/commit-settings.js";
import { pushMode } from "../delivery/push.js";
import { fetchBranch } from "../delivery/remote-branch.js";
import { updatePass } from "../pipeline.js";
import type { Plan } from "../plan/types.js";
import { addCounts, emptyCounts } from "../registry/http.js";

export interface WatchOptions {
  readonly dir: string;
  readonly configPath: string | undefined;
  readonly interval: number;
  readonly push: boolean;
  readonly metricsPort: number | undefined;
  readonly once: boolean;
  readonly cachePath: string | undefined;
  /** Masks what the loop prints; fed the secrets of each new `registries` section. */
  readonly redactor?: SecretMasker;
}

/**
 * The long-running mode of the original daemon, for people not on GitHub: every `interval` seconds,
 * plan and apply (and with --push: sync the branch from the remote first — a force-pushed remote is
 * simply taken as it is — then commit and push, retrying when the branch moved).
 */
export async function watch(o: WatchOptions, io: CliIo): Promise<number> {
  if (!Number.isFinite(o.interval) || o.interval < 1) {
    io.err("laminar: --interval must be a number of seconds >= 1");
    return 2;
  }
  const metrics = new Metrics();
  const server =
    o.metricsPort !== undefined
      ? await metrics.listen(o.metricsPort, io.env.LAMINAR_METRICS_HOST ?? "127.0.0.1")
      : undefined;
  if (server) io.err(`metrics on http://${io.env.LAMINAR_METRICS_HOST ?? "127.0.0.1"}:${o.metricsPort}/metrics`);
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let tags: TagSourceHandle | undefined;
  let tagsKey: string | undefined;
  let retiredCounts = emptyCounts();
  let status = 0;
  try {
    while (!stop) {
      const started = Date.now();
      let plan: Plan | undefined;
      try {
        const config = await loadConfig(o.dir, o.configPath);
        // The config is read again every pass: new registry settings (hosts, credential variables,
        // insecure, platforms…) need a new client, and their secrets must be masked from now on.
        const registriesKey = JSON.stringify(config.registries);
        if (!tags || registriesKey !== tagsKey) {
          // The request metric is a counter: what the replaced client sent must not vanish from it.
          if (tags) retiredCounts = addCounts(retiredCounts, tags.counts());
          o.redactor?.addAll(knownSecrets({ env: io.env, config }));
          tags = createTagSource(config, {
            dir: o.dir,
            env: io.env,
            ...(o.cachePath ? { cachePath: o.cachePath } : {}),
          });
          tagsKey = registriesKey;
        } else {
          // Same client, new pass: without this it answers from the tag lists of its first pass
          // and never sees a tag pushed since.
          tags.newRun();
        }
        if (o.push) {
          const git = await createGitCommandManager(o.dir);
          const branch = await git.currentBranch();
          if (!branch) throw new Error("HEAD is detached: check out the branch laminar should update");
          // Take the remote as it is, even after a force-push: laminar keeps no local history of its own.
          await git.resetHard(await fetchBranch(git, branch));
          const r = await pushMode({
            git,
            dir: o.dir,
            ...(o.configPath ? { configPath: o.configPath } : {}),
            tags: tags.source,
            runCommands: true,
            env: io.env,
            branch,
            commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
            protectedHint: "open a pull request instead (`laminar apply --pull-request`)",
            log: io.err,
          });
          plan = r.pass.plan;
          if (r.commitSha)
            io.out(
              `${new Date().toISOString()} pushed ${r.commitSha.slice(0, 12)} to ${branch}: ${plan.changes.length} change(s)`,
            );
        } else {
          plan = (
            await updatePass({
              dir: o.dir,
              ...(o.configPath ? { configPath: o.configPath } : {}),
              tags: tags.source,
              runCommands: true,
              dryRun: false,
              env: io.env,
            })
          ).plan;
          if (plan.changes.length) io.out(`${new Date().toISOString()} rewrote ${plan.changes.length} reference(s)`);
        }
        await tags.save();
        for (const f of plan.failures) io.err(`${new Date().toISOString()} ${f.message}`);
        status = plan.failures.length ? 3 : 0;
      } catch (e) {
        io.err(`${new Date().toISOString()} laminar: ${describeError(e)}`);
        status = 1;
      }
      const states = new Map<string, number>();
      if (plan) {
        states.set("changed", plan.changes.length);
        for (const u of plan.unchanged) states.set(u.reason, (states.get(u.reason) ?? 0) + 1);
      }
      metrics.recordRun(
        status === 0 ? "success" : status === 3 ? "registry-error" : "error",
        Date.now() - started,
        plan?.changes.length ?? 0,
        states,
        addCounts(retiredCounts, tags?.counts() ?? emptyCounts()),
      );
      if (o.once) break;
      const until = Date.now() + o.interval * 1000;
      while (!stop && Date.now() < until) await sleep(Math.min(1000, until - Date.now()));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  }
  return status;
}
