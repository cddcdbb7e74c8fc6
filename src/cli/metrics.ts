import { createServer, type Server } from "node:http";
import { Exposition } from "../metrics/exposition.js";
import type { RequestCounts } from "../registry/types.js";

/**
 * The Prometheus metrics the original laminar daemon exposed, for `laminar watch`: runs by result,
 * changes made, references by state, registry requests by kind, last run time and duration.
 */
export class Metrics {
  private runs = new Map<string, number>();
  private changes = 0;
  private references = new Map<string, number>();
  private requests: RequestCounts | undefined;
  private lastRun = 0;
  private lastDuration = 0;
  private lastSuccess = 0;

  recordRun(
    result: "success" | "error" | "registry-error",
    durationMs: number,
    changes: number,
    references: Map<string, number>,
    requests: RequestCounts,
  ): void {
    this.runs.set(result, (this.runs.get(result) ?? 0) + 1);
    this.changes += changes;
    this.references = references;
    this.requests = requests;
    this.lastRun = Date.now() / 1000;
    this.lastDuration = durationMs / 1000;
    if (result === "success") this.lastSuccess = this.lastRun;
  }

  render(): string {
    return new Exposition()
      .family(
        "laminar_runs_total",
        "counter",
        "Plan/apply runs by result.",
        [...this.runs].map(([result, value]) => ({ labels: { result }, value })),
      )
      .family("laminar_changes_total", "counter", "Image tags moved.", [{ value: this.changes }])
      .family(
        "laminar_references",
        "gauge",
        "Image references in the last run, by state (changed or the reason they stayed).",
        [...this.references].map(([state, value]) => ({ labels: { state }, value })),
      )
      .family(
        "laminar_registry_requests_total",
        "counter",
        "Registry requests by kind.",
        Object.entries(this.requests ?? {}).map(([kind, value]) => ({ labels: { kind }, value: value as number })),
      )
      .family("laminar_last_run_timestamp_seconds", "gauge", "When the last run ended.", [{ value: this.lastRun }])
      .family("laminar_last_success_timestamp_seconds", "gauge", "When the last successful run ended.", [
        { value: this.lastSuccess },
      ])
      .family("laminar_last_run_duration_seconds", "gauge", "How long the last run took.", [
        { value: this.lastDuration },
      ])
      .text();
  }

  /** Serves `/metrics` (and `/healthz`) on `host:port`. */
  listen(port: number, host = "127.0.0.1"): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === "/metrics") {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(this.render());
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
