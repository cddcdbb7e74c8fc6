import { createServer, type Server } from "node:http";
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
    const out: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
    };
    metric(
      "laminar_runs_total",
      "counter",
      "Plan/apply runs by result.",
      [...this.runs].map(([r, n]) => [`{result="${r}"}`, n]),
    );
    metric("laminar_changes_total", "counter", "Image tags moved.", [["", this.changes]]);
    metric(
      "laminar_references",
      "gauge",
      "Image references in the last run, by state (changed or the reason they stayed).",
      [...this.references].map(([s, n]) => [`{state="${s}"}`, n]),
    );
    metric(
      "laminar_registry_requests_total",
      "counter",
      "Registry requests by kind.",
      Object.entries(this.requests ?? {}).map(([k, n]) => [`{kind="${k}"}`, n as number]),
    );
    metric("laminar_last_run_timestamp_seconds", "gauge", "When the last run ended.", [["", this.lastRun]]);
    metric("laminar_last_success_timestamp_seconds", "gauge", "When the last successful run ended.", [
      ["", this.lastSuccess],
    ]);
    metric("laminar_last_run_duration_seconds", "gauge", "How long the last run took.", [["", this.lastDuration]]);
    return `${out.join("\n")}\n`;
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
