/**
 * A real Prometheus server (Debian `prometheus`) for tests: scrapes the given 127.0.0.1 targets every
 * second, keeps its data in a temp dir, listens on a free 127.0.0.1 port (never :9090, where a system
 * Prometheus may run), and answers instant queries through its HTTP API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./registry/server.js";

export const PROMETHEUS_BINARY = process.env.LAMINAR_PROMETHEUS_BIN ?? "/usr/bin/prometheus";

/** Why the Prometheus tests cannot run here, or false when they can. */
export const PROMETHEUS_SKIP: false | string = existsSync(PROMETHEUS_BINARY)
  ? false
  : `${PROMETHEUS_BINARY} is not installed (Debian prometheus)`;

/** One series of an instant query's answer (`resultType: vector`). */
export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface RunningPrometheus {
  readonly url: string;
  /** `GET /api/v1/query?query=…`: the vector, or a thrown error naming Prometheus' own error. */
  query(promql: string): Promise<VectorSample[]>;
  logs(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts Prometheus scraping `targets` (`host:port`, path /metrics) as job `job`; resolves when ready. */
export async function startPrometheus(targets: readonly string[], job = "laminar"): Promise<RunningPrometheus> {
  if (PROMETHEUS_SKIP) throw new Error(PROMETHEUS_SKIP);
  const dir = mkdtempSync(join(tmpdir(), "laminar-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      // Must not exceed the interval (Prometheus refuses the file otherwise).
      "  scrape_timeout: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      `  - job_name: ${job}`,
      "    static_configs:",
      `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const child of live) child.kill("SIGKILL");
    });
  }
  const child = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  live.add(child);
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString("utf8");
    if (log.length > 64_000) log = log.slice(-32_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    }),
  );
  child.once("error", (e) => (log += `\nspawn error: ${String(e)}`));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (promql: string): Promise<VectorSample[]> => {
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await r.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: VectorSample[] };
    };
    if (body.status !== "success" || body.data?.resultType !== "vector")
      throw new Error(`prometheus query ${promql}: ${r.status} ${body.error ?? JSON.stringify(body)}`);
    return body.data.result;
  };
  for (let i = 0; i < 400 && !exited; i++) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) return { url, query, logs: () => log, stop };
    await sleep(50);
  }
  await stop();
  throw new Error(`prometheus did not become ready on 127.0.0.1:${port}: ${log.slice(-2000)}`);
}
