import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  ServeEngine,
  listenHttp,
  stopGraceMs
} from "./chunk-MS7ERQFL.js";
import {
  createGitCommandManager
} from "./chunk-36RSFMHN.js";
import {
  defaultCachePath,
  describeError,
  knownSecrets
} from "./chunk-VGOV7JXR.js";
import {
  loadConfig
} from "./chunk-EQSYRQKA.js";
import "./chunk-5RE2FBRL.js";
import "./chunk-SRO4HYQ2.js";
import "./chunk-QIE7EB24.js";

// src/cli/watch.ts
import { basename, dirname, join } from "node:path";
async function watch(o, io) {
  if (!Number.isFinite(o.interval) || o.interval < 1) {
    io.err("laminar: --interval must be a number of seconds >= 1");
    return 2;
  }
  const stamp = (m) => `${(/* @__PURE__ */ new Date()).toISOString()} ${m}`;
  let config;
  try {
    config = await loadConfig(o.dir, o.configPath);
  } catch (e) {
    io.err(stamp(`laminar: ${describeError(e)}`));
    return 1;
  }
  const name = basename(o.dir) || "checkout";
  const branch = await createGitCommandManager(o.dir).then((g) => g.currentBranch()).catch(() => void 0) ?? "HEAD";
  const server = {
    file: join(o.dir, o.configPath ?? ".laminar.yaml"),
    repositories: [
      {
        name,
        url: o.dir,
        branch,
        pollFreq: o.interval,
        remoteConfig: false,
        trustNewHostKeys: false,
        notify: [],
        config,
        position: { file: join(o.dir, o.configPath ?? ".laminar.yaml"), line: 0, column: 0 }
      }
    ],
    notify: []
  };
  const cachePath = o.cachePath ?? defaultCachePath(io.env);
  const grace = stopGraceMs(io.env);
  let last;
  const engine = new ServeEngine({
    server,
    // Nothing of watch's lives there but the cache: the checkout is its own clone.
    stateDir: dirname(cachePath),
    cachePath,
    env: io.env,
    log: (m) => io.err(stamp(m)),
    mask: (s) => o.redactor?.mask(s) ?? s,
    describeError,
    // The same grace as serve (src/serve/stop-grace.ts).
    stopGraceMs: grace,
    checkout: {
      dir: o.dir,
      ...o.configPath ? { configPath: o.configPath } : {},
      push: o.push,
      ...o.remote ? { remote: o.remote } : {},
      onConfig: (c) => o.redactor?.addAll(knownSecrets({ env: io.env, config: c }))
    },
    onRun: (_, run) => {
      last = run;
      if (run.commit) io.out(stamp(`pushed ${run.commit.slice(0, 12)} to ${branch}: ${run.changes.length} change(s)`));
      else if (run.changes.length) io.out(stamp(`rewrote ${run.changes.length} reference(s)`));
    }
  });
  const host = io.env.LAMINAR_METRICS_HOST ?? "127.0.0.1";
  let http;
  if (o.metricsPort !== void 0) {
    http = await listenHttp({ engine, apiToken: void 0, log: (m) => io.err(stamp(m)) }, host, o.metricsPort);
    io.err(`metrics on http://${http.address}/metrics`);
  }
  let onSignal;
  const signalled = new Promise((resolve) => {
    onSignal = (signal) => {
      io.err(
        stamp(
          `laminar watch: ${signal}: finishing the run in progress (abandoning it after ${grace / 1e3} s), taking no new work`
        )
      );
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  const keepAlive = setInterval(() => void 0, 6e4);
  try {
    await engine.start();
    await (o.once ? Promise.race([engine.idle(), signalled]) : signalled);
    await engine.stop();
  } finally {
    clearInterval(keepAlive);
    if (onSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    await http?.close();
  }
  if (!o.once) return 0;
  return last?.result === "success" ? 0 : last?.result === "registry-error" ? 3 : 1;
}
export {
  watch
};
