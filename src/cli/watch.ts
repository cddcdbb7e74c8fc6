import { basename, dirname, join } from "node:path";
import { loadConfig } from "../config/load.js";
import type { ServerConfig } from "../config/server.js";
import { createGitCommandManager } from "../git/git-command-manager.js";
import { defaultCachePath } from "../registry/cache.js";
import type { SecretMasker } from "../secrets/masker.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { ServeEngine } from "../serve/engine.js";
import { listenHttp, type RunningHttpServer } from "../serve/http.js";
import { stopGraceMs } from "../serve/stop-grace.js";
import type { RunRecord } from "../serve/types.js";
import { describeError, type CliIo } from "./io.js";

/** `laminar watch`'s flags. */
export interface WatchOptions {
  readonly dir: string;
  readonly configPath: string | undefined;
  readonly interval: number;
  readonly push: boolean;
  readonly metricsPort: number | undefined;
  readonly once: boolean;
  readonly cachePath: string | undefined;
  /** `--remote`: the git remote to push to (default: the branch's upstream, `origin`, the only one). */
  readonly remote?: string;
  /** Masks what watch prints; fed the secrets of each config it reads. */
  readonly redactor?: SecretMasker;
}

/**
 * `laminar watch`: the one-checkout shortcut of `laminar serve`'s engine (src/serve/engine.ts) — one
 * repository, the checkout at `dir` used in place (never cloned, reset or cleaned), run every
 * `interval` seconds with the checkout's own `.laminar.yaml`. With `push`, each run refuses a dirty
 * tree, fast-forwards the branch and pushes through the same race-safe delivery as serve (#13, #16).
 * `metricsPort` serves serve's read-only HTTP endpoints (`/metrics`, `/healthz`, `/api/v1/repos`…).
 */
export async function watch(o: WatchOptions, io: CliIo): Promise<number> {
  if (!Number.isFinite(o.interval) || o.interval < 1) {
    io.err("laminar: --interval must be a number of seconds >= 1");
    return 2;
  }
  const stamp = (m: string): string => `${new Date().toISOString()} ${m}`;
  let config;
  try {
    config = await loadConfig(o.dir, o.configPath);
  } catch (e) {
    io.err(stamp(`laminar: ${describeError(e)}`));
    return 1;
  }
  const name = basename(o.dir) || "checkout";
  const branch =
    (await createGitCommandManager(o.dir)
      .then((g) => g.currentBranch())
      .catch(() => undefined)) ?? "HEAD";
  const server: ServerConfig = {
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
        position: { file: join(o.dir, o.configPath ?? ".laminar.yaml"), line: 0, column: 0 },
      },
    ],
    notify: [],
  };
  const cachePath = o.cachePath ?? defaultCachePath(io.env);
  const grace = stopGraceMs(io.env);
  let last: RunRecord | undefined;
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
      ...(o.configPath ? { configPath: o.configPath } : {}),
      push: o.push,
      ...(o.remote ? { remote: o.remote } : {}),
      onConfig: (c) => o.redactor?.addAll(knownSecrets({ env: io.env, config: c })),
    },
    onRun: (_, run) => {
      last = run;
      if (run.commit) io.out(stamp(`pushed ${run.commit.slice(0, 12)} to ${branch}: ${run.changes.length} change(s)`));
      else if (run.changes.length) io.out(stamp(`rewrote ${run.changes.length} reference(s)`));
    },
  });
  const host = io.env.LAMINAR_METRICS_HOST ?? "127.0.0.1";
  let http: RunningHttpServer | undefined;
  if (o.metricsPort !== undefined) {
    // Read-only: without an API token every POST (sync, webhooks, pause) is disabled.
    http = await listenHttp({ engine, apiToken: undefined, log: (m) => io.err(stamp(m)) }, host, o.metricsPort);
    io.err(`metrics on http://${http.address}/metrics`);
  }
  let onSignal: ((signal: string) => void) | undefined;
  const signalled = new Promise<void>((resolve) => {
    onSignal = (signal: string): void => {
      io.err(
        stamp(
          `laminar watch: ${signal}: finishing the run in progress (abandoning it after ${grace / 1000} s), taking no new work`,
        ),
      );
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  // The engine's timers are unref'd (serve's HTTP server is what keeps it alive): keep watch alive.
  const keepAlive = setInterval(() => undefined, 60_000);
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
  // --once reports its pass like `apply`; a watch stopped by a signal exits 0, as serve does.
  if (!o.once) return 0;
  return last?.result === "success" ? 0 : last?.result === "registry-error" ? 3 : 1;
}
