import type { RequestCounts } from "../registry/types.js";
import { Exposition, Histogram, type Sample } from "../metrics/exposition.js";
import type { RunRecord } from "./types.js";

/** Seconds; a run is a fetch, a plan and maybe a push: from well under a second to minutes. */
const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The `laminar serve` series: per repository its last run (time, result, changes, failures in a
 * row), runs by result, run durations as a histogram, the shared client's registry requests by
 * kind, and the process metrics Prometheus' own clients expose.
 */
export class ServeMetrics {
  private readonly runs = new Map<string, number>();
  private readonly changes = new Map<string, number>();
  private readonly last = new Map<string, { at: number; ok: boolean; changes: number; failures: number }>();
  private readonly durations = new Histogram(DURATION_BUCKETS);
  private requests: RequestCounts | undefined;
  private readonly startedAt = Date.now() / 1000;
  /** 1 while updates are paused. */
  paused = 0;

  /** Records one finished run of `repository`. */
  recordRun(repository: string, run: RunRecord, failures: number, requests: RequestCounts): void {
    const key = JSON.stringify([repository, run.result]);
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    // A run's changes are in its commit (serve, watch --push) or rewritten in the checkout (watch).
    this.changes.set(repository, (this.changes.get(repository) ?? 0) + run.changes.length);
    this.last.set(repository, {
      at: Date.parse(run.finishedAt) / 1000,
      ok: run.result !== "error",
      changes: run.changes.length,
      failures,
    });
    this.durations.observe({ repository }, run.durationMs / 1000);
    this.requests = requests;
  }

  /** The exposition text for `/metrics`. */
  render(): string {
    const perRepo = (f: (v: { at: number; ok: boolean; changes: number; failures: number }) => number): Sample[] =>
      [...this.last].map(([repository, v]) => ({ labels: { repository }, value: f(v) }));
    const mem = process.memoryUsage();
    const cpu = process.cpuUsage();
    return new Exposition()
      .family(
        "laminar_runs_total",
        "counter",
        "Repository runs by result.",
        [...this.runs].map(([k, value]) => {
          const [repository, result] = JSON.parse(k) as [string, string];
          return { labels: { repository, result }, value };
        }),
      )
      .family(
        "laminar_changes_total",
        "counter",
        "Image tags moved (pushed, or rewritten in place by watch without --push), per repository.",
        [...this.changes].map(([repository, value]) => ({ labels: { repository }, value })),
      )
      .family(
        "laminar_repository_last_run_timestamp_seconds",
        "gauge",
        "When the repository's last run ended.",
        perRepo((v) => v.at),
      )
      .family(
        "laminar_repository_last_run_success",
        "gauge",
        "1 when the repository's last run went through (registry failures included), 0 when it failed.",
        perRepo((v) => (v.ok ? 1 : 0)),
      )
      .family(
        "laminar_repository_last_run_changes",
        "gauge",
        "Image tags the repository's last run moved.",
        perRepo((v) => v.changes),
      )
      .family(
        "laminar_repository_consecutive_failures",
        "gauge",
        "Failed runs in a row (0 after a run that went through).",
        perRepo((v) => v.failures),
      )
      .family("laminar_paused", "gauge", "1 while updates are paused (until resumed), else 0.", [
        { value: this.paused },
      ])
      .family("laminar_run_duration_seconds", "histogram", "How long repository runs take.", this.durations.samples())
      .family(
        "laminar_registry_requests_total",
        "counter",
        "Registry requests of the shared client, by kind.",
        Object.entries(this.requests ?? {}).map(([kind, value]) => ({ labels: { kind }, value: value as number })),
      )
      .family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", [{ value: mem.rss }])
      .family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.", [
        { value: (cpu.user + cpu.system) / 1e6 },
      ])
      .family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch in seconds.", [
        { value: this.startedAt },
      ])
      .text();
  }
}
