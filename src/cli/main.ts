import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import { laminarSchema } from "../config/schema.js";
import { serverSchema } from "../config/server-schema.js";
import type { LaminarConfig } from "../config/types.js";
import { planRepository } from "../pipeline.js";
import { parseImageTargets, TargetError, type ImageTarget } from "../plan/targets.js";
import type { Plan } from "../plan/types.js";
import { totalRequests } from "../registry/http.js";
import { formatPlan, planToJson, scanToJson, table } from "../report/format.js";
import { scanRepository } from "../scan/repository.js";
import { DEFAULT_MAX_FILE_SIZE } from "../config/types.js";
import { defaultCachePath } from "../registry/cache.js";
import { createTagSource } from "../registry/from-config.js";
import { collectSecrets } from "../secrets/collect.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { SecretMasker } from "../secrets/masker.js";
import { VERSION } from "../version.js";
import { describeError, signalStatus, type CliIo } from "./io.js";
import { ApplyAbortedError, CommandFailedError } from "../apply/apply.js";
import { acquireRunLock } from "../apply/lock.js";
import {
  assertAppId,
  GitHubAppError,
  normalizePrivateKey,
  privateKeySecrets,
  type GitHubAppCredentials,
} from "../github/app-token.js";
import { startProgress } from "./progress.js";
import type { ApplyOutcome, ApplyRun, Delivery } from "./apply.js";
import { tryParseImageReference } from "../reference/parse.js";

export type { CliIo } from "./io.js";
export { describeError } from "./io.js";

/** The help text; it takes the environment so the cache default it names is the one this run would use. */
const usage = (
  env: NodeJS.ProcessEnv,
): string => `laminar ${VERSION}: keeps container image tags in a repository of deployment files up to date

Usage:
  laminar scan  [--dir DIR] [--json]                 list every image reference in the repository
  laminar plan  [--dir DIR] [--config FILE] [--json]  show which tags would move, and why others stay
  laminar apply [--dir DIR] [--config FILE] [--json]  rewrite the tags, then run the configured commands
        [--push | --pull-request]                     … then commit and push, or open a pull request
  laminar set IMAGE:TAG [--files PATHS] [--push | --pull-request]
                                                     write that tag wherever the image appears (older
                                                     or newer); a rollback by set is respected later
  laminar watch [--dir DIR] [--interval SECONDS] [--push] [--once] [--metrics-port N]
                                                     serve for this one checkout: apply (+ commit and
                                                     push) on a timer, never resetting your work
  laminar serve --config server.yaml [--listen HOST:PORT] [--state-dir DIR]
                                                     the daemon: many repositories, API, webhooks
                                                     (see docs/serve.md)
  laminar schema [server]                            print the JSON Schema of .laminar.yaml (or server.yaml)

Options:
  --dir DIR              repository root (default: the current directory)
  --config FILE          config file (default: DIR/.laminar.yaml)
  --json                 machine-readable output
  --cache FILE           registry metadata cache (default: ${defaultCachePath(env)})
  --registry-errors M    fail (exit 3, default) or warn when a registry fails; healthy ones proceed
  --image REPO[:TAG]     plan, apply: a targeted run, only references of this repository (repeatable;
                         with the pushed TAG, only that tag is asked about: a few requests)
  --no-commands          apply: do not run the configured commands
  --push                 apply, watch: commit and push to the checked-out branch on its remote; when
                         the branch moved meanwhile, fetch, plan again and retry (3 attempts, never forced)
  --pull-request         apply: commit on a branch of its own, push it to the remote and open or update
                         a pull request into the checked-out branch (closed once nothing is left)
  --remote NAME          push, pull request: the git remote (default: the branch's upstream, else
                         origin, else the only remote)
  --github-token T       pull request: token (default: $GITHUB_TOKEN); also git's HTTPS credential
                         for --github-server-url
  --repository O/R       pull request: owner/name on GitHub (default: $GITHUB_REPOSITORY)
  --github-api-url URL   pull request: REST root (default: $GITHUB_API_URL, else https://api.github.com)
  --github-server-url U  pull request: git server (default: $GITHUB_SERVER_URL, else https://github.com)
  --pr-branch NAME       pull request: its branch (default: laminar/updates, one per config file)
  -h, --help, --version

Exit status: 0 done, 1 error (config, command, I/O), 2 usage, 3 some registry failed.`;

/** Runs the CLI; returns the exit status. Exported so tests can run it in-process too. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        config: { type: "string" },
        json: { type: "boolean", default: false },
        cache: { type: "string" },
        "registry-errors": { type: "string", default: "fail" },
        image: { type: "string", multiple: true },
        "no-commands": { type: "boolean", default: false },
        interval: { type: "string", default: "300" },
        push: { type: "boolean", default: false },
        "pull-request": { type: "boolean", default: false },
        "github-token": { type: "string" },
        repository: { type: "string" },
        "github-api-url": { type: "string" },
        "github-server-url": { type: "string" },
        "pr-branch": { type: "string" },
        remote: { type: "string" },
        files: { type: "string" },
        "metrics-port": { type: "string" },
        listen: { type: "string" },
        "state-dir": { type: "string" },
        once: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    io.err(`laminar: ${(e as Error).message}\n\n${usage(io.env)}`);
    return 2;
  }
  const { values: o, positionals } = args;
  if (o.version) {
    io.out(VERSION);
    return 0;
  }
  const command = positionals[0];
  if (o.help || !command) {
    (o.help ? io.out : io.err)(usage(io.env));
    return o.help ? 0 : 2;
  }
  if (o["registry-errors"] !== "fail" && o["registry-errors"] !== "warn") {
    io.err("laminar: --registry-errors must be fail or warn");
    return 2;
  }
  // --pull-request is new and only `apply` delivers one: refuse it elsewhere rather than ignore it.
  const delivery =
    command === "apply" || command === "set"
      ? deliveryOf(o, io.env)
      : o["pull-request"]
        ? "--pull-request works with `apply` only"
        : ({ kind: "work-tree" } as const);
  if (typeof delivery === "string") {
    io.err(`laminar: ${delivery}`);
    return 2;
  }
  let targets: ImageTarget[];
  try {
    targets = parseImageTargets(o.image ?? [], "--image");
  } catch (e) {
    if (!(e instanceof TargetError)) throw e;
    io.err(`laminar: ${e.message}`);
    return 2;
  }
  if (targets.length && command !== "plan" && command !== "apply") {
    io.err("laminar: --image works with `plan` and `apply` only");
    return 2;
  }
  const dir = resolve(io.cwd, o.dir ?? ".");
  // Everything printed from here on passes through the masker (src/secrets/masker.ts).
  const redactor = new SecretMasker();
  redactor.addAll(knownSecrets({ env: io.env }));
  if (delivery.kind === "pull-request") redactor.add(delivery.token);
  if (delivery.kind === "pull-request" && delivery.app)
    for (const line of privateKeySecrets(delivery.app.privateKey)) redactor.add(line);
  const safe: CliIo = { ...io, out: (s) => io.out(redactor.mask(s)), err: (s) => io.err(redactor.mask(s)) };
  try {
    if (command === "plan" || command === "apply" || command === "set" || command === "watch" || command === "serve") {
      const docker = await collectSecrets(io.env);
      redactor.addAll(docker.secrets);
      for (const p of docker.problems) safe.err(`laminar: warning: ${p}`);
    }
    switch (command) {
      case "schema":
        io.out(JSON.stringify(positionals[1] === "server" ? serverSchema : laminarSchema, null, 2));
        return 0;
      case "scan":
        return await scanCommand(dir, o.config, o.json, io);
      case "plan":
      case "set":
      case "apply": {
        let setTag: ApplyRun["setTag"];
        if (command === "set") {
          const wanted = positionals[1] ? tryParseImageReference(positionals[1]) : undefined;
          if (!wanted?.tag || wanted.digest) {
            safe.err("laminar: set needs IMAGE:TAG, e.g. `laminar set ghcr.io/acme/app:1.4.2`");
            return 2;
          }
          const files = (o.files ?? "")
            .split(",")
            .map((f) => f.trim())
            .filter(Boolean);
          setTag = { image: wanted, tag: wanted.tag, ...(files.length ? { files } : {}) };
        }
        const config = await loadConfig(dir, o.config);
        redactor.addAll(knownSecrets({ env: io.env, config }));
        const tags = createTagSource(config, {
          dir,
          env: io.env,
          ...(o.cache ? { cachePath: resolve(io.cwd, o.cache) } : {}),
          // Registry warnings (a build time in the future, a timestamp API that failed) go to stderr.
          log: { warn: (m) => safe.err(`laminar: warning: ${m}`) },
          ...(targets.length ? { reuseChallenges: true } : {}),
        });
        // Files scanned and registry work so far, on one line of stderr when it is a terminal.
        let files = 0;
        const onFile = (): void => void files++;
        const progress = startProgress(io.progress ?? { write: () => undefined }, () => {
          const c = tags.counts();
          return { files, tagPages: c.tagPages, requests: totalRequests(c) };
        });
        if (command === "plan") {
          let planned;
          try {
            planned = await planRepository(dir, config, tags.source, {
              onFile,
              ...(targets.length ? { targets } : {}),
            });
          } finally {
            progress.stop();
          }
          const { plan } = planned;
          await tags.save();
          const requests = tags.counts();
          safe.out(o.json ? JSON.stringify(planToJson(plan, requests), null, 2) : formatPlan(plan, requests));
          reportFailures(plan, o["registry-errors"], "planned", safe);
          return failureStatus(plan, o["registry-errors"]);
        }
        let outcome: ApplyOutcome;
        // One apply per work tree at a time; Ctrl-C / SIGTERM restore the files and end with the signal's status.
        const lock = await acquireRunLock(dir, (m) => safe.err(`laminar: warning: ${m}`));
        const trap = io.trapInterrupts?.();
        try {
          // Loaded here, not at start: apply's delivery brings Octokit, which `plan` never needs (#12).
          const { runApply } = await import("./apply.js");
          outcome = await runApply({
            ...(trap ? { signal: trap.signal } : {}),
            dir,
            configPath: o.config,
            config,
            tags: tags.source,
            runCommands: !o["no-commands"],
            env: io.env,
            delivery,
            onCommand: (c) => {
              progress.stop();
              if (!o.json) safe.err(`running: ${c}`);
            },
            onFile,
            log: safe.err,
            ...(setTag ? { setTag } : {}),
            ...(targets.length ? { targets } : {}),
            ...(o.remote ? { remote: o.remote } : {}),
            onSecret: (value, user) => redactor.add(value, user),
          });
        } catch (e) {
          const sig = trap?.received();
          if (!sig) throw e;
          const restored = e instanceof ApplyAbortedError || e instanceof CommandFailedError ? e.restored : undefined;
          safe.err(
            restored
              ? `laminar: ${sig}: interrupted: the work tree was restored (${restored.length} file(s)); nothing was committed`
              : `laminar: ${sig}: stopped (${describeError(e)})`,
          );
          return signalStatus(sig);
        } finally {
          trap?.release();
          await lock.release();
          progress.stop();
          await tags.save();
        }
        const status = applyReport(
          outcome,
          { json: o.json, mode: o["registry-errors"], requests: tags.counts() },
          safe,
        );
        const sig = trap?.received();
        if (!sig) return status;
        // The signal came after the last step: what was done stands (reported above), the status says it.
        safe.err(`laminar: ${sig} received after the run finished its work`);
        return signalStatus(sig);
      }
      case "watch": {
        // Mask the secrets the config names too (a config error is reported by the loop itself).
        const config = await loadConfig(dir, o.config).catch(() => undefined);
        if (config) redactor.addAll(knownSecrets({ env: io.env, config }));
        // watch and serve load on use: they bring prom-client and an HTTP server that `plan` does not need.
        const { watch } = await import("./watch.js");
        return await watch(
          {
            dir,
            configPath: o.config,
            interval: Number(o.interval),
            push: o.push,
            metricsPort: o["metrics-port"] ? Number(o["metrics-port"]) : undefined,
            once: o.once,
            cachePath: o.cache ? resolve(io.cwd, o.cache) : undefined,
            ...(o.remote ? { remote: o.remote } : {}),
            redactor,
          },
          safe,
        );
      }
      case "serve": {
        if (!o.config) {
          io.err(`laminar: serve needs --config server.yaml\n\n${usage(io.env)}`);
          return 2;
        }
        const { serve } = await import("./serve.js");
        return await serve({ configPath: o.config, listen: o.listen, stateDir: o["state-dir"], redactor }, safe);
      }
      default:
        io.err(`laminar: unknown command ${JSON.stringify(command)}\n\n${usage(io.env)}`);
        return 2;
    }
  } catch (e) {
    safe.err(`laminar: ${describeError(e)}`);
    return 1;
  }
}

async function scanCommand(dir: string, configPath: string | undefined, json: boolean, io: CliIo): Promise<number> {
  // The inventory covers every file; a config, when there is one, only contributes scan settings.
  let config: LaminarConfig | undefined;
  try {
    config = await loadConfig(dir, configPath);
  } catch (e) {
    if (!(e instanceof ConfigError && /not found/.test(e.detail)) || configPath) throw e;
  }
  const scan = await scanRepository(dir, config?.scan ?? { exclude: [], maxFileSize: DEFAULT_MAX_FILE_SIZE });
  if (json) {
    io.out(JSON.stringify({ ...scanToJson(scan.files), warnings: scan.warnings }, null, 2));
    return 0;
  }
  const rows = scan.files.flatMap((f) =>
    f.references.map((r) => [
      `${f.path}:${r.line}:${r.column}`,
      r.text,
      `${r.reference.registry}/${r.reference.repository}`,
      r.reference.tag ?? "-",
      r.reference.digest ? `${r.reference.digest.slice(0, 19)}…` : "-",
    ]),
  );
  io.out(
    `${rows.length} image reference(s) in ${scan.files.length} file(s) (${scan.stats.files} scanned${scan.stats.threads > 1 ? ` on ${scan.stats.threads} threads` : ""})`,
  );
  if (rows.length) io.out(table([["FILE:LINE:COL", "TEXT", "REPOSITORY", "TAG", "DIGEST"], ...rows]));
  for (const w of scan.warnings) io.err(`warning: ${w.file}: ${w.message}`);
  return 0;
}

/**
 * A GitHub App from the environment (the CLI's and CI's equivalent of the Action's `app-*` inputs):
 * `LAMINAR_APP_ID`, the key in `LAMINAR_APP_PRIVATE_KEY` or the file `LAMINAR_APP_PRIVATE_KEY_FILE`,
 * optionally `LAMINAR_APP_INSTALLATION_ID`. A string is a usage error (naming the variable, never the key).
 */
function appFromEnvironment(env: NodeJS.ProcessEnv): GitHubAppCredentials | undefined | string {
  const appId = env.LAMINAR_APP_ID?.trim() ?? "";
  const file = env.LAMINAR_APP_PRIVATE_KEY_FILE?.trim() ?? "";
  let raw = env.LAMINAR_APP_PRIVATE_KEY ?? "";
  const keyVar = file ? "LAMINAR_APP_PRIVATE_KEY_FILE" : "LAMINAR_APP_PRIVATE_KEY";
  if (!appId && !raw && !file) return undefined;
  if (!appId) return `${keyVar} is set but LAMINAR_APP_ID is not; give both`;
  if (!raw && !file)
    return "LAMINAR_APP_ID is set but neither LAMINAR_APP_PRIVATE_KEY nor LAMINAR_APP_PRIVATE_KEY_FILE is";
  if (file) {
    try {
      raw = readFileSync(file, "utf8");
    } catch (e) {
      return `LAMINAR_APP_PRIVATE_KEY_FILE: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`;
    }
  }
  const installation = env.LAMINAR_APP_INSTALLATION_ID?.trim() ?? "";
  if (installation && !/^\d+$/.test(installation))
    return `LAMINAR_APP_INSTALLATION_ID must be a number, got ${JSON.stringify(installation)}`;
  try {
    assertAppId(appId);
    return {
      appId,
      privateKey: normalizePrivateKey(raw),
      ...(installation ? { installationId: Number(installation) } : {}),
    };
  } catch (e) {
    if (e instanceof GitHubAppError) return `${e.setting === "app-id" ? "LAMINAR_APP_ID" : keyVar}: ${e.message}`;
    throw e;
  }
}

/** `--push` / `--pull-request`, checked before anything runs; a string is a usage error. */
function deliveryOf(
  o: {
    push: boolean;
    "pull-request": boolean;
    "github-token"?: string | undefined;
    repository?: string | undefined;
    "github-api-url"?: string | undefined;
    "github-server-url"?: string | undefined;
    "pr-branch"?: string | undefined;
  },
  env: NodeJS.ProcessEnv,
): Delivery | string {
  if (o.push && o["pull-request"]) return "--push and --pull-request exclude each other";
  if (o.push) return { kind: "push" };
  if (!o["pull-request"]) return { kind: "work-tree" };
  const app = appFromEnvironment(env);
  if (typeof app === "string") return app;
  const token = app ? "" : o["github-token"] || env.GITHUB_TOKEN || "";
  if (!token && !app)
    return "--pull-request needs a token: --github-token or GITHUB_TOKEN (or a GitHub App: LAMINAR_APP_ID and LAMINAR_APP_PRIVATE_KEY)";
  const repository = o.repository || env.GITHUB_REPOSITORY || "";
  const [owner, repo, extra] = repository.split("/");
  if (!owner || !repo || extra !== undefined)
    return `--pull-request needs the repository as owner/name: --repository or GITHUB_REPOSITORY${repository ? ` (got ${JSON.stringify(repository)})` : ""}`;
  const serverUrl = o["github-server-url"] || env.GITHUB_SERVER_URL || "https://github.com";
  const apiUrl = o["github-api-url"] || env.GITHUB_API_URL || "https://api.github.com";
  for (const [flag, url] of [
    ["--github-server-url", serverUrl],
    ["--github-api-url", apiUrl],
  ] as const) {
    if (!URL.canParse(url)) return `${flag}: ${JSON.stringify(url)} is not a URL`;
  }
  return {
    kind: "pull-request",
    token,
    ...(app ? { app } : {}),
    apiUrl,
    serverUrl,
    repository: { owner, repo },
    ...(o["pr-branch"] ? { branch: o["pr-branch"] } : {}),
  };
}

function applyReport(
  r: ApplyOutcome,
  opts: { json: boolean; mode: string; requests: ReturnType<ReturnType<typeof createTagSource>["counts"]> },
  io: CliIo,
): number {
  const { plan } = r;
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          ...planToJson(plan, opts.requests),
          files: r.files,
          commandChanges: r.commandChanges,
          commands: r.commands.map((c) => ({
            command: c.command,
            exitCode: c.exitCode,
            durationMs: c.durationMs,
          })),
          ...(r.commitSha ? { commitSha: r.commitSha } : {}),
          ...(r.pullRequest ? { pullRequest: r.pullRequest } : {}),
        },
        null,
        2,
      ),
    );
  } else {
    io.out(formatPlan(plan, opts.requests));
    io.out(r.files.length ? `\nRewrote ${r.files.length} file(s): ${r.files.join(", ")}` : "\nNothing to rewrite.");
    if (r.commandChanges.length)
      io.out(
        `Commands changed ${r.commandChanges.length} file(s): ${r.commandChanges.map((c) => `${c.path} (${c.change})`).join(", ")}`,
      );
    if (r.sentence) io.out(r.sentence);
  }
  reportFailures(plan, opts.mode, "updated", io);
  return failureStatus(plan, opts.mode);
}

function failureStatus(plan: Plan, mode: string): number {
  return plan.failures.length && mode === "fail" ? 3 : 0;
}

/**
 * Registry failures also go to stderr, so a CI log shows why the run exits 3 (or what `warn`
 * let through) even when stdout is JSON for another tool.
 */
function reportFailures(plan: Plan, mode: string, done: "planned" | "updated", io: CliIo): void {
  if (!plan.failures.length) return;
  const lines = plan.failures.map((f) => `  ${f.message}`).join("\n");
  if (mode === "fail")
    io.err(
      `laminar: ${plan.failures.length} registry failure(s) (exit 3; healthy registries were ${done}; --registry-errors warn exits 0):\n${lines}`,
    );
  else
    io.err(`laminar: warning: ${plan.failures.length} registry failure(s) ignored (--registry-errors warn):\n${lines}`);
}
