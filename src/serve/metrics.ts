import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { METRICS_CONTENT_TYPE, renderMetrics } from "../metrics/prometheus.js";
import type { RequestCounts } from "../registry/types.js";
import type { RunRecord } from "./types.js";

/** Seconds; a run is a fetch, a plan and maybe a push: from well under a second to minutes. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The `laminar serve` series (prom-client, on this engine's own registry): per repository its last
 * run (time, result, changes, failures in a row), runs by result, run durations as a histogram, the
 * shared client's registry requests by kind, notification deliveries, and prom-client's process
 * metrics. Names, types, labels and help texts are the ones docs/serve.md lists.
 */
export class ServeMetrics {
  private readonly registry = new Registry();
  private readonly runs = new Counter({
    name: "laminar_runs_total",
    help: "Repository runs by result.",
    labelNames: ["repository", "result"],
    registers: [this.registry],
  });
  private readonly changes = new Counter({
    name: "laminar_changes_total",
    help: "Image tags moved (pushed, or rewritten in place by watch without --push), per repository.",
    labelNames: ["repository"],
    registers: [this.registry],
  });
  private readonly lastRunAt = this.perRepository(
    "laminar_repository_last_run_timestamp_seconds",
    "When the repository's last run ended.",
  );
  private readonly lastRunSuccess = this.perRepository(
    "laminar_repository_last_run_success",
    "1 when the repository's last run went through (registry failures included), 0 when it failed.",
  );
  private readonly lastRunChanges = this.perRepository(
    "laminar_repository_last_run_changes",
    "Image tags the repository's last run moved.",
  );
  private readonly consecutiveFailures = this.perRepository(
    "laminar_repository_consecutive_failures",
    "Failed runs in a row (0 after a run that went through).",
  );
  private readonly durations = new Histogram({
    name: "laminar_run_duration_seconds",
    help: "How long repository runs take.",
    labelNames: ["repository"],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly notifications = new Counter({
    name: "laminar_notifications_total",
    help: "Notification deliveries (Slack, webhooks) by kind and result, retries not counted apart.",
    labelNames: ["kind", "result"],
    registers: [this.registry],
  });
  /** 1 while updates are paused; the engine sets it, `laminar_paused` reads it at scrape time. */
  paused = 0;
  /** The `Content-Type` of {@link render}'s text. */
  readonly contentType = METRICS_CONTENT_TYPE;

  /**
   * @param requests the shared registry client's request counts so far, read at every scrape (a
   * counter kept by the client itself, so the series also moves between runs, e.g. on webhooks).
   */
  constructor(requests: () => RequestCounts) {
    const paused = (): number => this.paused;
    new Gauge({
      name: "laminar_paused",
      help: "1 while updates are paused (until resumed), else 0.",
      registers: [this.registry],
      collect() {
        this.set(paused());
      },
    });
    new Counter({
      name: "laminar_registry_requests_total",
      help: "Registry requests of the shared client, by kind.",
      labelNames: ["kind"],
      registers: [this.registry],
      // prom-client counters only go up by `inc`; the client's own totals are the truth, so the
      // series is rebuilt from them at each scrape.
      collect() {
        this.reset();
        for (const [kind, value] of Object.entries(requests())) this.inc({ kind }, value as number);
      },
    });
  }

  private perRepository(name: string, help: string): Gauge<"repository"> {
    return new Gauge({ name, help, labelNames: ["repository"], registers: [this.registry] });
  }

  /** Records one finished run of `repository`. */
  recordRun(repository: string, run: RunRecord, failures: number): void {
    this.runs.inc({ repository, result: run.result });
    // A run's changes are in its commit (serve, watch --push) or rewritten in the checkout (watch);
    // inc by 0 too, so a repository that never changed anything still has its series (at 0).
    this.changes.inc({ repository }, run.changes.length);
    this.lastRunAt.set({ repository }, Date.parse(run.finishedAt) / 1000);
    this.lastRunSuccess.set({ repository }, run.result !== "error" ? 1 : 0);
    this.lastRunChanges.set({ repository }, run.changes.length);
    this.consecutiveFailures.set({ repository }, failures);
    this.durations.observe({ repository }, run.durationMs / 1000);
  }

  /** Records one notification delivery (src/serve/notify.ts), once its retries are over. */
  recordNotification(kind: string, result: "sent" | "failed"): void {
    this.notifications.inc({ kind, result });
  }

  /** The exposition text for `/metrics`: this engine's series, then the process series. */
  render(): Promise<string> {
    return renderMetrics(this.registry);
  }
}
