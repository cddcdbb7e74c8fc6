#!/usr/bin/env node
import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  formatPlan,
  planToJson,
  scanToJson,
  table
} from "./chunks/chunk-VLETM5AE.js";
import {
  serverSchema
} from "./chunks/chunk-4MYOHYD2.js";
import {
  VERSION
} from "./chunks/chunk-2QTVSED2.js";
import {
  createTagSource,
  defaultCachePath,
  describeError,
  dockerConfigDir,
  knownSecrets,
  processIo,
  readDockerConfig,
  signalStatus,
  totalRequests
} from "./chunks/chunk-VGOV7JXR.js";
import {
  ApplyAbortedError,
  CommandFailedError,
  ConfigError,
  DEFAULT_MAX_FILE_SIZE,
  GitHubAppError,
  SecretMasker,
  TargetError,
  assertAppId,
  laminarSchema,
  loadConfig,
  normalizePrivateKey,
  parseImageTargets,
  planRepository,
  privateKeySecrets,
  scanRepository,
  tryParseImageReference
} from "./chunks/chunk-EQSYRQKA.js";
import "./chunks/chunk-5RE2FBRL.js";
import "./chunks/chunk-SRO4HYQ2.js";
import "./chunks/chunk-QIE7EB24.js";

// src/cli/main.ts
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

// src/secrets/collect.ts
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
async function collectSecrets(env, options = {}) {
  const docker = await readDockerConfig(dockerConfigDir(env));
  const home = env.HOME || env.USERPROFILE;
  const googleText = await readText(googleCredentialsPath(env, home));
  const appPrivateKeyFile = await readText(env.LAMINAR_APP_PRIVATE_KEY_FILE?.trim());
  const tokenFiles = [];
  for (const name of ["AWS_WEB_IDENTITY_TOKEN_FILE", "AZURE_FEDERATED_TOKEN_FILE"]) {
    const text = await readText(env[name]);
    if (text !== void 0) tokenFiles.push(text);
  }
  let googleCredentials;
  try {
    googleCredentials = googleText === void 0 ? void 0 : JSON.parse(googleText);
  } catch {
  }
  tokenFiles.push(...await googleSubjectTokens(googleCredentials));
  const awsSharedFiles = [];
  for (const path of [
    env.AWS_SHARED_CREDENTIALS_FILE || home && join(home, ".aws", "credentials"),
    env.AWS_CONFIG_FILE || home && join(home, ".aws", "config")
  ]) {
    const text = await readText(path || void 0);
    if (text !== void 0) awsSharedFiles.push(text);
  }
  const awsSsoCache = home ? await readJsonFiles(join(home, ".aws", "sso", "cache")) : [];
  return {
    secrets: knownSecrets({
      env,
      awsSharedFiles,
      awsSsoCache,
      ...options.config ? { config: options.config } : {},
      ...docker ? { dockerConfig: docker.config } : {},
      ...googleCredentials !== void 0 ? { googleCredentials } : {},
      ...appPrivateKeyFile !== void 0 ? { appPrivateKeyFile } : {},
      tokenFiles,
      ...options.extra ? { extra: options.extra } : {}
    }),
    problems: docker?.problems.map((p) => p.message) ?? []
  };
}
async function googleSubjectTokens(credentials) {
  if (credentials === null || typeof credentials !== "object") return [];
  const c = credentials;
  if (c.type !== "external_account" || c.credential_source === null || typeof c.credential_source !== "object")
    return [];
  const source = c.credential_source;
  const text = typeof source.file === "string" ? await readText(source.file) : void 0;
  if (text === void 0) return [];
  const field = source.format?.type === "json" ? source.format.subject_token_field_name : void 0;
  if (typeof field !== "string") return [text];
  try {
    const value = JSON.parse(text)[field];
    return typeof value === "string" ? [text, value] : [text];
  } catch {
    return [text];
  }
}
function googleCredentialsPath(env, home) {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return env.GOOGLE_APPLICATION_CREDENTIALS;
  const gcloud = env.CLOUDSDK_CONFIG || (home ? join(home, ".config", "gcloud") : void 0);
  return gcloud ? join(gcloud, "application_default_credentials.json") : void 0;
}
async function readJsonFiles(dir) {
  let names;
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out = [];
  for (const name of names.filter((n) => n.endsWith(".json"))) {
    const text = await readText(join(dir, name));
    try {
      if (text !== void 0) out.push(JSON.parse(text));
    } catch {
    }
  }
  return out;
}
async function readText(path) {
  if (!path) return void 0;
  try {
    return await readFile(path, "utf8");
  } catch {
    return void 0;
  }
}

// src/apply/lock.ts
import { execFile } from "node:child_process";
import { open, readFile as readFile2, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { isAbsolute, join as join2 } from "node:path";
import { promisify } from "node:util";
var LockHeldError = class extends Error {
  constructor(path, owner) {
    super(
      `another laminar run is updating this work tree (${owner ? `pid ${owner.pid} on ${owner.host}, started ${owner.started}` : "owner unreadable"}); wait for it to finish, or delete ${path} if that run is gone`
    );
    this.path = path;
    this.owner = owner;
  }
  path;
  owner;
  name = "LockHeldError";
};
async function acquireRunLock(dir, warn) {
  const gitDir = await gitDirOf(dir);
  const path = gitDir ? join2(gitDir, "laminar.lock") : join2(dir, ".laminar.lock");
  const me = { pid: process.pid, host: hostname(), started: (/* @__PURE__ */ new Date()).toISOString() };
  const body = `${JSON.stringify(me)}
`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, "wx");
      try {
        await fh.writeFile(body);
      } finally {
        await fh.close();
      }
      return {
        path,
        release: async () => {
          if (await readFile2(path, "utf8").catch(() => "") === body) await rm(path, { force: true });
        }
      };
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    const owner = await readOwner(path);
    if (attempt === 0 && owner && owner.host === me.host && !alive(owner.pid)) {
      warn(`taking over ${path}: its run (pid ${owner.pid}, started ${owner.started}) is no longer running`);
      await rm(path, { force: true });
      continue;
    }
    throw new LockHeldError(path, owner);
  }
}
async function gitDirOf(dir) {
  try {
    const { stdout } = await promisify(execFile)("git", ["rev-parse", "--git-dir"], { cwd: dir });
    const gitDir = stdout.trim();
    return isAbsolute(gitDir) ? gitDir : join2(dir, gitDir);
  } catch {
    return void 0;
  }
}
async function readOwner(path) {
  try {
    const v = JSON.parse(await readFile2(path, "utf8"));
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.started === "string")
      return { pid: v.pid, host: v.host, started: v.started };
  } catch {
  }
  return void 0;
}
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

// src/cli/progress.ts
var CLEAR_LINE = "\r\x1B[2K";
function startProgress(stream, read, options = {}) {
  if (!stream.isTTY) return { stop: () => void 0 };
  let drawn = false;
  let last = "";
  let interval;
  const draw = () => {
    const c = read();
    let line = `laminar: scanned ${c.files} file(s) \xB7 ${c.tagPages} tag page(s) \xB7 ${c.requests} registry request(s)`;
    const width = stream.columns || 80;
    if (line.length > width - 1) line = line.slice(0, Math.max(0, width - 2)) + "\u2026";
    if (drawn && line === last) return;
    stream.write(CLEAR_LINE + line);
    last = line;
    drawn = true;
  };
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 250);
    interval.unref();
  }, options.delayMs ?? 2e3);
  delay.unref();
  return {
    stop: () => {
      clearTimeout(delay);
      if (interval) clearInterval(interval);
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    }
  };
}

// src/cli/main.ts
var usage = (env) => `laminar ${VERSION}: keeps container image tags in a repository of deployment files up to date

Usage:
  laminar scan  [--dir DIR] [--json]                 list every image reference in the repository
  laminar plan  [--dir DIR] [--config FILE] [--json]  show which tags would move, and why others stay
  laminar apply [--dir DIR] [--config FILE] [--json]  rewrite the tags, then run the configured commands
        [--push | --pull-request]                     \u2026 then commit and push, or open a pull request
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
async function main(argv, io2) {
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
        version: { type: "boolean", default: false }
      }
    });
  } catch (e) {
    io2.err(`laminar: ${e.message}

${usage(io2.env)}`);
    return 2;
  }
  const { values: o, positionals } = args;
  if (o.version) {
    io2.out(VERSION);
    return 0;
  }
  const command = positionals[0];
  if (o.help || !command) {
    (o.help ? io2.out : io2.err)(usage(io2.env));
    return o.help ? 0 : 2;
  }
  if (o["registry-errors"] !== "fail" && o["registry-errors"] !== "warn") {
    io2.err("laminar: --registry-errors must be fail or warn");
    return 2;
  }
  const delivery = command === "apply" || command === "set" ? deliveryOf(o, io2.env) : o["pull-request"] ? "--pull-request works with `apply` only" : { kind: "work-tree" };
  if (typeof delivery === "string") {
    io2.err(`laminar: ${delivery}`);
    return 2;
  }
  let targets;
  try {
    targets = parseImageTargets(o.image ?? [], "--image");
  } catch (e) {
    if (!(e instanceof TargetError)) throw e;
    io2.err(`laminar: ${e.message}`);
    return 2;
  }
  if (targets.length && command !== "plan" && command !== "apply") {
    io2.err("laminar: --image works with `plan` and `apply` only");
    return 2;
  }
  const dir = resolve(io2.cwd, o.dir ?? ".");
  const redactor = new SecretMasker();
  redactor.addAll(knownSecrets({ env: io2.env }));
  if (delivery.kind === "pull-request") redactor.add(delivery.token);
  if (delivery.kind === "pull-request" && delivery.app)
    for (const line of privateKeySecrets(delivery.app.privateKey)) redactor.add(line);
  const safe = { ...io2, out: (s) => io2.out(redactor.mask(s)), err: (s) => io2.err(redactor.mask(s)) };
  try {
    if (command === "plan" || command === "apply" || command === "set" || command === "watch" || command === "serve") {
      const docker = await collectSecrets(io2.env);
      redactor.addAll(docker.secrets);
      for (const p of docker.problems) safe.err(`laminar: warning: ${p}`);
    }
    switch (command) {
      case "schema":
        io2.out(JSON.stringify(positionals[1] === "server" ? serverSchema : laminarSchema, null, 2));
        return 0;
      case "scan":
        return await scanCommand(dir, o.config, o.json, io2);
      case "plan":
      case "set":
      case "apply": {
        let setTag;
        if (command === "set") {
          const wanted = positionals[1] ? tryParseImageReference(positionals[1]) : void 0;
          if (!wanted?.tag || wanted.digest) {
            safe.err("laminar: set needs IMAGE:TAG, e.g. `laminar set ghcr.io/acme/app:1.4.2`");
            return 2;
          }
          const files2 = (o.files ?? "").split(",").map((f) => f.trim()).filter(Boolean);
          setTag = { image: wanted, tag: wanted.tag, ...files2.length ? { files: files2 } : {} };
        }
        const config = await loadConfig(dir, o.config);
        redactor.addAll(knownSecrets({ env: io2.env, config }));
        const tags = createTagSource(config, {
          dir,
          env: io2.env,
          ...o.cache ? { cachePath: resolve(io2.cwd, o.cache) } : {},
          // Registry warnings (a build time in the future, a timestamp API that failed) go to stderr.
          log: { warn: (m) => safe.err(`laminar: warning: ${m}`) },
          ...targets.length ? { reuseChallenges: true } : {}
        });
        let files = 0;
        const onFile = () => void files++;
        const progress = startProgress(io2.progress ?? { write: () => void 0 }, () => {
          const c = tags.counts();
          return { files, tagPages: c.tagPages, requests: totalRequests(c) };
        });
        if (command === "plan") {
          let planned;
          try {
            planned = await planRepository(dir, config, tags.source, {
              onFile,
              ...targets.length ? { targets } : {}
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
        let outcome;
        const lock = await acquireRunLock(dir, (m) => safe.err(`laminar: warning: ${m}`));
        const trap = io2.trapInterrupts?.();
        try {
          const { runApply } = await import("./chunks/apply-UQDDGKL3.js");
          outcome = await runApply({
            ...trap ? { signal: trap.signal } : {},
            dir,
            configPath: o.config,
            config,
            tags: tags.source,
            runCommands: !o["no-commands"],
            env: io2.env,
            delivery,
            onCommand: (c) => {
              progress.stop();
              if (!o.json) safe.err(`running: ${c}`);
            },
            onFile,
            log: safe.err,
            ...setTag ? { setTag } : {},
            ...targets.length ? { targets } : {},
            ...o.remote ? { remote: o.remote } : {},
            onSecret: (value, user) => redactor.add(value, user)
          });
        } catch (e) {
          const sig2 = trap?.received();
          if (!sig2) throw e;
          const restored = e instanceof ApplyAbortedError || e instanceof CommandFailedError ? e.restored : void 0;
          safe.err(
            restored ? `laminar: ${sig2}: interrupted: the work tree was restored (${restored.length} file(s)); nothing was committed` : `laminar: ${sig2}: stopped (${describeError(e)})`
          );
          return signalStatus(sig2);
        } finally {
          trap?.release();
          await lock.release();
          progress.stop();
          await tags.save();
        }
        const status = applyReport(
          outcome,
          { json: o.json, mode: o["registry-errors"], requests: tags.counts() },
          safe
        );
        const sig = trap?.received();
        if (!sig) return status;
        safe.err(`laminar: ${sig} received after the run finished its work`);
        return signalStatus(sig);
      }
      case "watch": {
        const config = await loadConfig(dir, o.config).catch(() => void 0);
        if (config) redactor.addAll(knownSecrets({ env: io2.env, config }));
        const { watch } = await import("./chunks/watch-LCIIY664.js");
        return await watch(
          {
            dir,
            configPath: o.config,
            interval: Number(o.interval),
            push: o.push,
            metricsPort: o["metrics-port"] ? Number(o["metrics-port"]) : void 0,
            once: o.once,
            cachePath: o.cache ? resolve(io2.cwd, o.cache) : void 0,
            ...o.remote ? { remote: o.remote } : {},
            redactor
          },
          safe
        );
      }
      case "serve": {
        if (!o.config) {
          io2.err(`laminar: serve needs --config server.yaml

${usage(io2.env)}`);
          return 2;
        }
        const { serve } = await import("./chunks/serve-GDPP3XKC.js");
        return await serve({ configPath: o.config, listen: o.listen, stateDir: o["state-dir"], redactor }, safe);
      }
      default:
        io2.err(`laminar: unknown command ${JSON.stringify(command)}

${usage(io2.env)}`);
        return 2;
    }
  } catch (e) {
    safe.err(`laminar: ${describeError(e)}`);
    return 1;
  }
}
async function scanCommand(dir, configPath, json, io2) {
  let config;
  try {
    config = await loadConfig(dir, configPath);
  } catch (e) {
    if (!(e instanceof ConfigError && /not found/.test(e.detail)) || configPath) throw e;
  }
  const scan = await scanRepository(dir, config?.scan ?? { exclude: [], maxFileSize: DEFAULT_MAX_FILE_SIZE });
  if (json) {
    io2.out(JSON.stringify({ ...scanToJson(scan.files), warnings: scan.warnings }, null, 2));
    return 0;
  }
  const rows = scan.files.flatMap(
    (f) => f.references.map((r) => [
      `${f.path}:${r.line}:${r.column}`,
      r.text,
      `${r.reference.registry}/${r.reference.repository}`,
      r.reference.tag ?? "-",
      r.reference.digest ? `${r.reference.digest.slice(0, 19)}\u2026` : "-"
    ])
  );
  io2.out(
    `${rows.length} image reference(s) in ${scan.files.length} file(s) (${scan.stats.files} scanned${scan.stats.threads > 1 ? ` on ${scan.stats.threads} threads` : ""})`
  );
  if (rows.length) io2.out(table([["FILE:LINE:COL", "TEXT", "REPOSITORY", "TAG", "DIGEST"], ...rows]));
  for (const w of scan.warnings) io2.err(`warning: ${w.file}: ${w.message}`);
  return 0;
}
function appFromEnvironment(env) {
  const appId = env.LAMINAR_APP_ID?.trim() ?? "";
  const file = env.LAMINAR_APP_PRIVATE_KEY_FILE?.trim() ?? "";
  let raw = env.LAMINAR_APP_PRIVATE_KEY ?? "";
  const keyVar = file ? "LAMINAR_APP_PRIVATE_KEY_FILE" : "LAMINAR_APP_PRIVATE_KEY";
  if (!appId && !raw && !file) return void 0;
  if (!appId) return `${keyVar} is set but LAMINAR_APP_ID is not; give both`;
  if (!raw && !file)
    return "LAMINAR_APP_ID is set but neither LAMINAR_APP_PRIVATE_KEY nor LAMINAR_APP_PRIVATE_KEY_FILE is";
  if (file) {
    try {
      raw = readFileSync(file, "utf8");
    } catch (e) {
      return `LAMINAR_APP_PRIVATE_KEY_FILE: cannot read ${file} (${e.code ?? "error"})`;
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
      ...installation ? { installationId: Number(installation) } : {}
    };
  } catch (e) {
    if (e instanceof GitHubAppError) return `${e.setting === "app-id" ? "LAMINAR_APP_ID" : keyVar}: ${e.message}`;
    throw e;
  }
}
function deliveryOf(o, env) {
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
  if (!owner || !repo || extra !== void 0)
    return `--pull-request needs the repository as owner/name: --repository or GITHUB_REPOSITORY${repository ? ` (got ${JSON.stringify(repository)})` : ""}`;
  const serverUrl = o["github-server-url"] || env.GITHUB_SERVER_URL || "https://github.com";
  const apiUrl = o["github-api-url"] || env.GITHUB_API_URL || "https://api.github.com";
  for (const [flag, url] of [
    ["--github-server-url", serverUrl],
    ["--github-api-url", apiUrl]
  ]) {
    if (!URL.canParse(url)) return `${flag}: ${JSON.stringify(url)} is not a URL`;
  }
  return {
    kind: "pull-request",
    token,
    ...app ? { app } : {},
    apiUrl,
    serverUrl,
    repository: { owner, repo },
    ...o["pr-branch"] ? { branch: o["pr-branch"] } : {}
  };
}
function applyReport(r, opts, io2) {
  const { plan } = r;
  if (opts.json) {
    io2.out(
      JSON.stringify(
        {
          ...planToJson(plan, opts.requests),
          files: r.files,
          commandChanges: r.commandChanges,
          commands: r.commands.map((c) => ({
            command: c.command,
            exitCode: c.exitCode,
            durationMs: c.durationMs
          })),
          ...r.commitSha ? { commitSha: r.commitSha } : {},
          ...r.pullRequest ? { pullRequest: r.pullRequest } : {}
        },
        null,
        2
      )
    );
  } else {
    io2.out(formatPlan(plan, opts.requests));
    io2.out(r.files.length ? `
Rewrote ${r.files.length} file(s): ${r.files.join(", ")}` : "\nNothing to rewrite.");
    if (r.commandChanges.length)
      io2.out(
        `Commands changed ${r.commandChanges.length} file(s): ${r.commandChanges.map((c) => `${c.path} (${c.change})`).join(", ")}`
      );
    if (r.sentence) io2.out(r.sentence);
  }
  reportFailures(plan, opts.mode, "updated", io2);
  return failureStatus(plan, opts.mode);
}
function failureStatus(plan, mode) {
  return plan.failures.length && mode === "fail" ? 3 : 0;
}
function reportFailures(plan, mode, done, io2) {
  if (!plan.failures.length) return;
  const lines = plan.failures.map((f) => `  ${f.message}`).join("\n");
  if (mode === "fail")
    io2.err(
      `laminar: ${plan.failures.length} registry failure(s) (exit 3; healthy registries were ${done}; --registry-errors warn exits 0):
${lines}`
    );
  else
    io2.err(`laminar: warning: ${plan.failures.length} registry failure(s) ignored (--registry-errors warn):
${lines}`);
}

// src/v8-flags.ts
import { setFlagsFromString } from "node:v8";
function tuneV8() {
  setFlagsFromString("--liftoff-only");
  setFlagsFromString("--heap-growing-percent=100");
}

// src/cli/bin.ts
tuneV8();
var io = processIo();
main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    io.err(`laminar: ${describeError(e)}`);
    process.exitCode = 1;
  }
);
