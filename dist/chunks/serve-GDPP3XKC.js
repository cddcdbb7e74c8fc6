import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  ServeEngine,
  allTargets,
  isSshRemote,
  listenHttp,
  resolveNotifyTargets,
  stopGraceMs
} from "./chunk-MS7ERQFL.js";
import "./chunk-36RSFMHN.js";
import {
  serverSchema
} from "./chunk-4MYOHYD2.js";
import {
  VERSION
} from "./chunk-2QTVSED2.js";
import {
  describeError,
  knownSecrets,
  require_ajv
} from "./chunk-VGOV7JXR.js";
import {
  ConfigError,
  MAX_CONFIG_BYTES,
  buildConfigSection,
  keyName,
  parseValidatedYaml
} from "./chunk-EQSYRQKA.js";
import "./chunk-5RE2FBRL.js";
import "./chunk-SRO4HYQ2.js";
import {
  __toESM
} from "./chunk-QIE7EB24.js";

// src/cli/serve.ts
import { homedir as homedir2 } from "node:os";
import { join, resolve as resolve2 } from "node:path";

// src/config/server.ts
var import_ajv = __toESM(require_ajv(), 1);
import { lstat, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
var DEFAULT_POLL_FREQ = 120;
var validator;
function validate(data) {
  validator ??= new import_ajv.Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(serverSchema);
  return validator(data) ? [] : [...validator.errors ?? []];
}
var REPOSITORY_KEYS = /* @__PURE__ */ new Set(["updates", "promotions", "commands", "preCommitCommands"]);
function parseServerConfig(text, file, baseDir, home = homedir()) {
  const { data, fail, locate } = parseValidatedYaml(text.replace(/^\uFEFF/, ""), file, {
    validate,
    schema: serverSchema,
    empty: "the file is empty; it needs at least a `git` list of repositories"
  });
  const raw = data;
  const g = raw.global ?? {};
  const notifyAt = (list, at) => (list ?? []).map((n, i) => {
    const here = [...at, i];
    const ref = (path2, variable) => {
      const p = locate(path2);
      return { variable, key: keyName(path2), line: p.line, column: p.col };
    };
    if ((n.slack ? 1 : 0) + (n.webhook ? 1 : 0) !== 1)
      fail(here, "give exactly one of `slack` or `webhook` per entry (use two entries for both)");
    if (n.slack) return { kind: "slack", url: ref([...here, "slack", "webhookUrlEnv"], n.slack.webhookUrlEnv) };
    const w = n.webhook;
    return {
      kind: "webhook",
      url: ref([...here, "webhook", "urlEnv"], w.urlEnv),
      secret: ref([...here, "webhook", "secretEnv"], w.secretEnv)
    };
  });
  const path = (v) => resolve(baseDir, v.replace(/^~(?=\/|$)/, home));
  const appAt = (a, at) => {
    if (!a) return void 0;
    if ((a.privateKeyFile !== void 0 ? 1 : 0) + (a.privateKeyEnv !== void 0 ? 1 : 0) !== 1)
      fail(at, "give exactly one of `privateKeyFile` or `privateKeyEnv` (the App's private key)");
    return {
      appId: String(a.appId),
      privateKey: a.privateKeyFile !== void 0 ? { file: path(a.privateKeyFile) } : { env: a.privateKeyEnv },
      ...a.installationId !== void 0 ? { installationId: a.installationId } : {},
      ...a.apiUrl !== void 0 ? { apiUrl: a.apiUrl.replace(/\/+$/, "") } : {},
      setting: keyName(at)
    };
  };
  const globalApp = appAt(g.githubApp, ["global", "githubApp"]);
  const names = /* @__PURE__ */ new Map();
  const repositories = raw.git.map((r, i) => {
    const at = ["git", i];
    const first = names.get(r.name);
    if (first !== void 0) fail([...at, "name"], `${JSON.stringify(r.name)} is already the name of git[${first}]`);
    names.set(r.name, i);
    const tokenSafe = /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/)/i.test(r.url);
    if (r.tokenEnv !== void 0 && !tokenSafe)
      fail(
        [...at, "tokenEnv"],
        "a token is sent to https:// remotes only (or http:// on 127.0.0.1); use `key` for SSH remotes"
      );
    if (r.githubApp !== void 0 && !tokenSafe)
      fail(
        [...at, "githubApp"],
        "an App's token is sent to https:// remotes only (or http:// on 127.0.0.1); use `key` for SSH remotes"
      );
    if (r.githubApp !== void 0 && r.tokenEnv !== void 0)
      fail([...at, "githubApp"], "give `tokenEnv` or `githubApp`, not both: each is the HTTPS credential");
    const githubApp = appAt(r.githubApp, [...at, "githubApp"]) ?? (r.tokenEnv === void 0 && tokenSafe ? globalApp : void 0);
    if (r.trustNewHostKeys && !isSshRemote(r.url))
      fail([...at, "trustNewHostKeys"], "applies to SSH remotes only (ssh://\u2026 or host:path)");
    if (!r.updates?.length && !r.promotions?.length && !r.remoteConfig)
      fail(
        at,
        "no `updates`, no `promotions` and no `remoteConfig: true`: this repository has no rules, nothing would ever change"
      );
    const inSection = (path2) => path2.length === 0 || REPOSITORY_KEYS.has(path2[0]) ? [...at, ...path2] : [...path2];
    const sectionFail = (path2, detail, keyOf) => fail(inSection(path2), detail, keyOf);
    const config = buildConfigSection(
      {
        ...raw.registries ? { registries: raw.registries } : {},
        ...raw.dockerRegistries ? { dockerRegistries: raw.dockerRegistries } : {},
        global: {
          ...g.gitUser !== void 0 ? { gitUser: g.gitUser } : {},
          ...g.gitEmail !== void 0 ? { gitEmail: g.gitEmail } : {},
          ...g.gitMessage !== void 0 ? { gitMessage: g.gitMessage } : {}
        },
        ...r.updates ? { updates: r.updates } : {},
        ...r.promotions ? { promotions: r.promotions } : {},
        ...r.commands ? { commands: r.commands } : {},
        ...r.preCommitCommands ? { preCommitCommands: r.preCommitCommands } : {}
      },
      file,
      sectionFail,
      (path2) => locate(inSection(path2)),
      { requireUpdates: false }
    );
    const p = locate(at);
    return {
      name: r.name,
      url: isLocalRemote(r.url) ? path(r.url) : r.url,
      branch: r.branch ?? "main",
      ...r.key !== void 0 ? { key: path(r.key) } : {},
      ...typeof r.knownHosts === "string" ? { knownHosts: path(r.knownHosts) } : {},
      ...Array.isArray(r.knownHosts) ? { knownHostsLines: r.knownHosts.map((l) => l.trim()) } : {},
      trustNewHostKeys: r.trustNewHostKeys ?? false,
      ...r.tokenEnv !== void 0 ? { tokenEnv: r.tokenEnv } : {},
      ...githubApp ? { githubApp } : {},
      pollFreq: r.pollFreq ?? DEFAULT_POLL_FREQ,
      remoteConfig: r.remoteConfig ?? false,
      config,
      notify: notifyAt(r.notify, [...at, "notify"]),
      position: { file, line: p.line, column: p.col }
    };
  });
  if (g.webAddress !== void 0 && !parseListenAddress(g.webAddress))
    fail(["global", "webAddress"], `${JSON.stringify(g.webAddress)} is not host:port or :port`);
  return {
    file,
    ...g.webAddress !== void 0 ? { webAddress: g.webAddress } : {},
    ...g.gitHubToken !== void 0 ? { gitHubToken: g.gitHubToken } : {},
    ...g.maxParallel !== void 0 ? { maxParallel: g.maxParallel } : {},
    ...g.hookHosts ? { hookHosts: { ...g.hookHosts } } : {},
    notify: notifyAt(raw.notify, ["notify"]),
    repositories
  };
}
async function loadServerConfig(path) {
  const st = await lstat(path).catch(() => void 0);
  if (!st) throw new ConfigError(path, 0, 0, "", "server file not found");
  if (!st.isFile() && !st.isSymbolicLink()) throw new ConfigError(path, 0, 0, "", "is not a file");
  if (st.size > MAX_CONFIG_BYTES)
    throw new ConfigError(path, 1, 1, "", `file is larger than ${MAX_CONFIG_BYTES} bytes; refusing to parse it`);
  return parseServerConfig(await readFile(path, "utf8"), path, dirname(resolve(path)));
}
function isLocalRemote(url) {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isSshRemote(url);
}
function parseListenAddress(text) {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return void 0;
  const port = Number(m[3]);
  if (port > 65535) return void 0;
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}

// src/cli/serve.ts
var HTTP_CLOSE_WAIT_MS = 500;
function defaultStateDir(env) {
  return join(env.XDG_STATE_HOME || join(homedir2(), ".local", "state"), "laminar", "serve");
}
async function serve(o, io) {
  const server = await loadServerConfig(resolve2(io.cwd, o.configPath));
  o.redactor.add(server.gitHubToken);
  o.redactor.add(io.env.LAMINAR_API_TOKEN);
  o.redactor.add(io.env.LAMINAR_WEBHOOK_SECRET);
  for (const r of server.repositories) {
    o.redactor.addAll(knownSecrets({ env: io.env, config: r.config }));
    if (r.tokenEnv) o.redactor.add(io.env[r.tokenEnv], "x-access-token");
  }
  const notifyTargets = resolveNotifyTargets(server, io.env);
  for (const t of allTargets(notifyTargets)) {
    o.redactor.add(t.url);
    o.redactor.add(t.secret);
  }
  const listenText = o.listen ?? server.webAddress ?? "127.0.0.1:8080";
  const listen = parseListenAddress(listenText);
  if (!listen) {
    io.err(`laminar: --listen ${JSON.stringify(listenText)} is not host:port or :port`);
    return 2;
  }
  const log = (m) => io.err(`${(/* @__PURE__ */ new Date()).toISOString()} ${m}`);
  const stopGraceMs2 = stopGraceMs(io.env);
  const engine = new ServeEngine({
    server,
    stateDir: resolve2(io.cwd, o.stateDir ?? defaultStateDir(io.env)),
    env: io.env,
    log,
    mask: (s) => o.redactor.mask(s),
    onSecret: (value, user) => o.redactor.add(value, user),
    userAgent: `laminar/${VERSION}`,
    describeError,
    ...io.env.LAMINAR_SERVE_DEBOUNCE_MS ? { debounceMs: Number(io.env.LAMINAR_SERVE_DEBOUNCE_MS) } : {},
    stopGraceMs: stopGraceMs2,
    notify: {
      targets: notifyTargets,
      userAgent: `laminar/${VERSION}`,
      ...io.env.LAMINAR_NOTIFY_TIMEOUT_MS ? { timeoutMs: Number(io.env.LAMINAR_NOTIFY_TIMEOUT_MS) } : {}
    }
  });
  const apiToken = io.env.LAMINAR_API_TOKEN || void 0;
  const http = await listenHttp(
    { engine, apiToken, log, ...server.hookHosts ? { hookHosts: server.hookHosts } : {} },
    listen.host,
    listen.port
  );
  log(`laminar serve: ${server.repositories.length} repositories; listening on http://${http.address}`);
  if (!apiToken) log("laminar serve: LAMINAR_API_TOKEN is not set: sync and webhook endpoints are disabled");
  await engine.start();
  await new Promise((resolveStop) => {
    const onSignal = (signal) => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      log(
        `laminar serve: ${signal}: finishing the runs in progress (abandoning them after ${stopGraceMs2 / 1e3} s), taking no new work`
      );
      resolveStop();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await engine.stop();
  const closed = http.close();
  let closeTimer;
  await Promise.race([closed, new Promise((r) => closeTimer = setTimeout(r, HTTP_CLOSE_WAIT_MS))]);
  clearTimeout(closeTimer);
  log("laminar serve: stopped");
  setTimeout(() => process.exit(0), 1e3).unref();
  return 0;
}
export {
  defaultStateDir,
  serve
};
