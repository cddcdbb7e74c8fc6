import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { loadServerConfig, parseListenAddress } from "../config/server.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import type { SecretMasker } from "../secrets/masker.js";
import { ServeEngine } from "../serve/engine.js";
import { listenHttp } from "../serve/http.js";
import { allTargets, resolveNotifyTargets } from "../serve/notify.js";
import { stopGraceMs as graceOf } from "../serve/stop-grace.js";
import { describeError, type CliIo } from "./io.js";
import { VERSION } from "../version.js";

/**
 * After the engine stopped (at most 8 s: the grace of src/serve/stop-grace.ts + the abandon wait): open
 * HTTP requests get this long, then serve returns.
 */
const HTTP_CLOSE_WAIT_MS = 500;

/** `laminar serve`'s flags. */
export interface ServeOptions {
  readonly configPath: string;
  readonly listen: string | undefined;
  readonly stateDir: string | undefined;
  /** Masks everything serve prints and keeps; fed the server file's secrets here. */
  readonly redactor: SecretMasker;
}

/** Where clones and the registry cache live when --state-dir is not given. */
export function defaultStateDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "laminar", "serve");
}

/**
 * Front end of `laminar serve`: reads the server file, starts the engine and the HTTP server, and
 * on SIGTERM/SIGINT stops taking work, lets the current runs (and their pushes) finish, exits 0.
 */
export async function serve(o: ServeOptions, io: CliIo): Promise<number> {
  const server = await loadServerConfig(resolve(io.cwd, o.configPath));
  o.redactor.add(server.gitHubToken);
  o.redactor.add(io.env.LAMINAR_API_TOKEN);
  o.redactor.add(io.env.LAMINAR_WEBHOOK_SECRET);
  for (const r of server.repositories) {
    o.redactor.addAll(knownSecrets({ env: io.env, config: r.config }));
    if (r.tokenEnv) o.redactor.add(io.env[r.tokenEnv], "x-access-token");
  }
  // Read at start: a missing variable is a config error now, not a silent loss at the first push.
  const notifyTargets = resolveNotifyTargets(server, io.env);
  for (const t of allTargets(notifyTargets)) {
    // A webhook URL is a credential (anyone holding a Slack one can post to the channel).
    o.redactor.add(t.url);
    o.redactor.add(t.secret);
  }
  const listenText = o.listen ?? server.webAddress ?? "127.0.0.1:8080";
  const listen = parseListenAddress(listenText);
  if (!listen) {
    io.err(`laminar: --listen ${JSON.stringify(listenText)} is not host:port or :port`);
    return 2;
  }
  const log = (m: string): void => io.err(`${new Date().toISOString()} ${m}`);
  const stopGraceMs = graceOf(io.env);
  const engine = new ServeEngine({
    server,
    stateDir: resolve(io.cwd, o.stateDir ?? defaultStateDir(io.env)),
    env: io.env,
    log,
    mask: (s) => o.redactor.mask(s),
    onSecret: (value, user) => o.redactor.add(value, user),
    userAgent: `laminar/${VERSION}`,
    describeError,
    ...(io.env.LAMINAR_SERVE_DEBOUNCE_MS ? { debounceMs: Number(io.env.LAMINAR_SERVE_DEBOUNCE_MS) } : {}),
    stopGraceMs,
    notify: {
      targets: notifyTargets,
      userAgent: `laminar/${VERSION}`,
      ...(io.env.LAMINAR_NOTIFY_TIMEOUT_MS ? { timeoutMs: Number(io.env.LAMINAR_NOTIFY_TIMEOUT_MS) } : {}),
    },
  });
  const apiToken = io.env.LAMINAR_API_TOKEN || undefined;
  const http = await listenHttp(
    { engine, apiToken, log, ...(server.hookHosts ? { hookHosts: server.hookHosts } : {}) },
    listen.host,
    listen.port,
  );
  log(`laminar serve: ${server.repositories.length} repositories; listening on http://${http.address}`);
  if (!apiToken) log("laminar serve: LAMINAR_API_TOKEN is not set: sync and webhook endpoints are disabled");
  await engine.start();
  await new Promise<void>((resolveStop) => {
    const onSignal = (signal: string): void => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      log(
        `laminar serve: ${signal}: finishing the runs in progress (abandoning them after ${stopGraceMs / 1000} s), taking no new work`,
      );
      resolveStop();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
  await engine.stop();
  // A client holding a request open must not hold the exit past the bound.
  const closed = http.close();
  let closeTimer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((r) => (closeTimer = setTimeout(r, HTTP_CLOSE_WAIT_MS)))]);
  clearTimeout(closeTimer);
  log("laminar serve: stopped");
  // Exit even if something still holds the event loop (an open connection, a git process left
  // behind by an abandoned run); unref'd, so a clean stop exits at once without it.
  setTimeout(() => process.exit(0), 1000).unref();
  return 0;
}
