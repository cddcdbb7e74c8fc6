import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import { METRICS_CONTENT_TYPE, renderMetrics } from "../metrics/prometheus.js";
import type { RequestCounts } from "../registry/types.js";

/**
 * The Prometheus metrics the original laminar daemon exposed, for `laminar watch` (prom-client, on
 * a registry of its own): runs by result, changes made, references by state, registry requests by
 * kind, last run time and duration, and prom-client's process metrics.
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly runs = new Counter({
    name: "laminar_runs_total",
    help: "Plan/apply runs by result.",
    labelNames: ["result"],
    registers: [this.registry],
  });
  private readonly changes = new Counter({
    name: "laminar_changes_total",
    help: "Image tags moved.",
    registers: [this.registry],
  });
  private readonly references = new Gauge({
    name: "laminar_references",
    help: "Image references in the last run, by state (changed or the reason they stayed).",
    labelNames: ["state"],
    registers: [this.registry],
  });
  private readonly requests = new Counter({
    name: "laminar_registry_requests_total",
    help: "Registry requests by kind.",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  private readonly lastRun = this.gauge("laminar_last_run_timestamp_seconds", "When the last run ended.");
  private readonly lastSuccess = this.gauge(
    "laminar_last_success_timestamp_seconds",
    "When the last successful run ended.",
  );
  private readonly lastDuration = this.gauge("laminar_last_run_duration_seconds", "How long the last run took.");

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }

  /** Records one pass; `requests` are the totals so far (replaced clients included). */
  recordRun(
    result: "success" | "error" | "registry-error",
    durationMs: number,
    changes: number,
    references: Map<string, number>,
    requests: RequestCounts,
  ): void {
    this.runs.inc({ result });
    this.changes.inc(changes);
    // The last run's picture: states that no longer occur drop out.
    this.references.reset();
    for (const [state, value] of references) this.references.set({ state }, value);
    // prom-client counters only go up by `inc`; the totals come from the caller, so set them anew.
    this.requests.reset();
    for (const [kind, value] of Object.entries(requests)) this.requests.inc({ kind }, value as number);
    const now = Date.now() / 1000;
    this.lastRun.set(now);
    this.lastDuration.set(durationMs / 1000);
    if (result === "success") this.lastSuccess.set(now);
  }

  /** The exposition text for `/metrics`. */
  render(): Promise<string> {
    return renderMetrics(this.registry);
  }

  /** Serves `/metrics` (and `/healthz`) on `host:port`. */
  listen(port: number, host = "127.0.0.1"): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === "/metrics") {
        this.render().then(
          (text) => res.writeHead(200, { "content-type": METRICS_CONTENT_TYPE }).end(text),
          (e: unknown) => res.writeHead(500).end(`${String(e)}\n`),
        );
      } else if (req.url === "/healthz") {
        res.writeHead(200).end("ok\n");
      } else res.writeHead(404).end();
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve(server));
    });
  }
}
