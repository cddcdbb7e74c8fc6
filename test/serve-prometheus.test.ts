/**
 * `laminar serve`'s `/metrics` scraped by a real Prometheus (issue #16, Proof): the exposition text
 * must parse (`up == 1`), and the query API must return the laminar series of each repository with
 * the values of their runs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseServerConfig } from "../src/config/server.js";
import { ServeEngine } from "../src/serve/engine.js";
import { listenHttp, type RunningHttpServer } from "../src/serve/http.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { PROMETHEUS_SKIP, startPrometheus, type RunningPrometheus, type VectorSample } from "./helpers/prometheus.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();

describe("laminar serve scraped by a real Prometheus", { skip: PROMETHEUS_SKIP }, () => {
  let registry: RunningRegistry;
  let prometheus: RunningPrometheus | undefined;
  let engine: ServeEngine | undefined;
  let http: RunningHttpServer | undefined;
  let base: string;
  before(async () => {
    registry = await startRegistry();
    base = mkdtempSync(join(tmpdir(), "laminar-serve-prometheus-"));
    await seedImages(registry, [
      { repository: "acme/metrics", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/metrics", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => {
    await prometheus?.stop();
    await engine?.stop();
    await http?.close();
    await registry?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("its query API returns each repository's laminar series with the values of their runs", async () => {
    const updated = join(base, "updated.git");
    initBareRepo(updated, { "k8s/app.yaml": `image: ${registry.host}/acme/metrics:develop-1\n` });
    const rules = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
    // The second remote does not exist: its run fails, and the series must say so.
    const server = parseServerConfig(
      `git:\n  - name: updated\n    url: ${updated}\n    pollFreq: 3600\n${rules}` +
        `  - name: broken\n    url: ${join(base, "missing.git")}\n    pollFreq: 3600\n${rules}`,
      "server.yaml",
      base,
    );
    const stateDir = join(base, "state");
    const logs: string[] = [];
    engine = new ServeEngine({ server, stateDir, env: { ...process.env }, log: (m) => logs.push(m), mask: (s) => s });
    http = await listenHttp({ engine, apiToken: undefined, log: (m) => logs.push(m) }, "127.0.0.1", 0);
    await engine.start();
    for (let i = 0; i < 600 && !engine.status().every((r) => r.lastRun && !r.running); i++) await sleep(50);
    assert.ok(
      engine.status().every((r) => r.lastRun),
      `first runs never finished: ${logs.join("\n")}`,
    );
    // No further run (the failing one would retry after its backoff): every scrape sees the same values.
    await engine.stop();
    prometheus = await startPrometheus([http.address]);
    const p = prometheus;

    /** Polls (bounded) until `promql` returns one sample per repository; no timing is asserted. */
    async function perRepository(promql: string): Promise<Map<string, VectorSample>> {
      let last: VectorSample[] = [];
      for (let i = 0; i < 300; i++) {
        last = await p.query(promql);
        const names = new Set(last.map((s) => s.metric.repository));
        if (names.has("updated") && names.has("broken"))
          return new Map(last.map((s) => [s.metric.repository ?? "", s]));
        await sleep(100);
      }
      assert.fail(`${promql}: never returned both repositories: ${JSON.stringify(last)}\n${p.logs().slice(-1500)}`);
    }
    const value = (m: Map<string, VectorSample>, repository: string) => Number(m.get(repository)?.value[1]);

    const success = await perRepository("laminar_repository_last_run_success");
    assert.equal(value(success, "updated"), 1);
    assert.equal(value(success, "broken"), 0);
    // Prometheus added its own target labels: these are scraped series, not our text read back.
    assert.deepEqual(success.get("updated")?.metric, {
      __name__: "laminar_repository_last_run_success",
      instance: http.address,
      job: "laminar",
      repository: "updated",
    });
    const up = await p.query('up{job="laminar"}');
    assert.equal(up.length, 1);
    assert.equal(up[0]?.value[1], "1", "Prometheus parsed the exposition text");

    const changes = await perRepository("laminar_changes_total");
    assert.equal(value(changes, "updated"), 1);
    assert.equal(value(changes, "broken"), 0);
    const lastChanges = await perRepository("laminar_repository_last_run_changes");
    assert.equal(value(lastChanges, "updated"), 1);
    const failures = await perRepository("laminar_repository_consecutive_failures");
    assert.equal(value(failures, "updated"), 0);
    assert.equal(value(failures, "broken"), 1);
    const runs = await perRepository("laminar_runs_total");
    assert.deepEqual([...runs.values()].map((s) => [s.metric.repository, s.metric.result, s.value[1]]).sort(), [
      ["broken", "error", "1"],
      ["updated", "success", "1"],
    ]);
    const durations = await perRepository("laminar_run_duration_seconds_count");
    assert.equal(value(durations, "updated"), 1);
    assert.equal(value(durations, "broken"), 1);
    const lastRun = await perRepository("laminar_repository_last_run_timestamp_seconds");
    const finished = engine.status().find((r) => r.name === "updated")?.lastRun?.finishedAt;
    assert.equal(value(lastRun, "updated"), Date.parse(finished ?? "") / 1000);
    // The histogram is one too: Prometheus computes a quantile from its buckets.
    const quantile = await p.query(
      'histogram_quantile(0.5, laminar_run_duration_seconds_bucket{repository="updated"})',
    );
    assert.equal(quantile.length, 1);
    assert.ok(Number.isFinite(Number(quantile[0]?.value[1])));

    const requests = await p.query("laminar_registry_requests_total");
    assert.ok(
      requests.some((s) => s.metric.kind === "tagPages" && Number(s.value[1]) >= 1),
      JSON.stringify(requests.map((s) => s.metric)),
    );
    assert.equal(git(updated, ["show", "main:k8s/app.yaml"]), `image: ${registry.host}/acme/metrics:develop-2\n`);
  });
});
