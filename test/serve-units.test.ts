import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerMatches } from "../src/serve/bearer-token.js";
import { EnvelopeError, pushedRepositories } from "../src/serve/hooks/distribution.js";
import { isSshRemote, sshCommandEnvironment, sshFailureHint } from "../src/git/ssh-command.js";
import { ServeMetrics } from "../src/serve/metrics.js";
import { nextRunDelayMs } from "../src/serve/schedule.js";
import { STOP_GRACE_MS, stopGraceMs } from "../src/serve/stop-grace.js";
import type { RunRecord } from "../src/serve/types.js";

describe("serve: the small pure parts", () => {
  it("one stop grace for serve and watch: 6 s, inside Kubernetes' 10 s with the abandon and close waits; the environment may shorten it", () => {
    assert.equal(STOP_GRACE_MS, 6000);
    assert.equal(stopGraceMs({}), STOP_GRACE_MS);
    assert.equal(stopGraceMs({ LAMINAR_SERVE_STOP_GRACE_MS: "" }), STOP_GRACE_MS);
    assert.equal(stopGraceMs({ LAMINAR_SERVE_STOP_GRACE_MS: "abc" }), STOP_GRACE_MS);
    assert.equal(stopGraceMs({ LAMINAR_SERVE_STOP_GRACE_MS: "-5" }), STOP_GRACE_MS);
    assert.equal(stopGraceMs({ LAMINAR_SERVE_STOP_GRACE_MS: "1500" }), 1500);
  });

  it("nextRunDelayMs: pollFreq ±10 %, then 10 s doubling to 1 h after failures", () => {
    const low = () => 0;
    const mid = () => 0.5;
    const high = () => 1 - Number.EPSILON;
    assert.equal(nextRunDelayMs(120, 0, mid), 120_000);
    assert.equal(nextRunDelayMs(120, 0, low), 108_000);
    assert.ok(Math.abs(nextRunDelayMs(120, 0, high) - 132_000) < 1e-6);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((f) => nextRunDelayMs(120, f, mid) / 1000),
      [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600],
    );
    assert.equal(nextRunDelayMs(120, 1, low), 9_000);
    assert.equal(nextRunDelayMs(120, 10_000, mid), 3_600_000, "months of failures stay at 1 h");
    assert.ok(Math.abs(nextRunDelayMs(120, 10_000, high) - 3_960_000) < 1e-6);
    // The default random source stays inside the band.
    for (let i = 0; i < 100; i++) {
      const d = nextRunDelayMs(60, 0);
      assert.ok(d >= 54_000 && d < 66_000, String(d));
    }
  });

  it("bearerMatches accepts only the exact token", () => {
    assert.equal(bearerMatches("Bearer s3cret-token", "s3cret-token"), true);
    assert.equal(bearerMatches("bearer s3cret-token", "s3cret-token"), true);
    assert.equal(bearerMatches("Bearer s3cret-token2", "s3cret-token"), false);
    assert.equal(bearerMatches("Bearer s3cret", "s3cret-token"), false);
    assert.equal(bearerMatches("Basic s3cret-token", "s3cret-token"), false);
    assert.equal(bearerMatches(undefined, "s3cret-token"), false);
    assert.equal(bearerMatches("Bearer ", ""), false, "an empty token never matches");
  });

  it("pushedRepositories keeps push events and refuses what is not an envelope", () => {
    assert.deepEqual(
      pushedRepositories({
        events: [
          { action: "pull", target: { repository: "a/b" } },
          { action: "push", target: { repository: "acme/app", tag: "v2" }, request: { host: "Reg.Example:5000" } },
          { action: "push", target: { repository: "acme/app" } },
        ],
      }),
      [{ repository: "acme/app", host: "reg.example:5000", tag: "v2" }, { repository: "acme/app" }],
    );
    assert.throws(() => pushedRepositories({}), EnvelopeError);
    assert.throws(
      () => pushedRepositories({ events: [{ action: "push", target: {} }] }),
      /events\[0\]\.target\.repository/,
    );
  });

  it("sshCommandEnvironment pins the key and the known hosts, strictly unless new hosts are trusted", () => {
    assert.deepEqual(sshCommandEnvironment({}), {
      GIT_SSH_COMMAND: "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
    });
    const env = sshCommandEnvironment({ key: "/keys/it's", knownHosts: ["/etc/laminar/known_hosts"] });
    assert.equal(
      env.GIT_SSH_COMMAND,
      "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i '/keys/it'\\''s' -o 'UserKnownHostsFile=\"/etc/laminar/known_hosts\"'",
    );
    const trusting = sshCommandEnvironment({
      knownHosts: ["/state/ssh/a/known_hosts", "/etc/kh dir/known_hosts"],
      acceptNew: true,
    });
    assert.equal(
      trusting.GIT_SSH_COMMAND,
      'ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o HashKnownHosts=no -o \'UserKnownHostsFile="/state/ssh/a/known_hosts" "/etc/kh dir/known_hosts"\'',
    );
    assert.doesNotMatch(trusting.GIT_SSH_COMMAND ?? "", /StrictHostKeyChecking=no/);
  });

  it("isSshRemote: ssh:// and scp-like remotes, not paths, file:// or https://", () => {
    for (const url of ["git@github.com:org/repo.git", "ssh://git@host:2222/srv/r.git", "host:repo", "git+ssh://h/r"])
      assert.equal(isSshRemote(url), true, url);
    for (const url of ["/srv/r.git", "./a:b", "file:///srv/r.git", "https://h/r.git", "C:\\repos\\r", "r.git"])
      assert.equal(isSshRemote(url), false, url);
  });

  it("sshFailureHint names host-key verification and the option that settles it", () => {
    const unknown =
      "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\r\nHost key verification failed.";
    assert.match(
      sshFailureHint(unknown, { knownHosts: "/kh" }) ?? "",
      /^host key verification failed: .* not in knownHosts \(\/kh\).*trustNewHostKeys: true/,
    );
    assert.match(
      sshFailureHint("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.", {}) ??
        "",
      /differs .* never replaces a known host key/,
    );
    assert.match(sshFailureHint("root@127.0.0.1: Permission denied (publickey).", {}) ?? "", /refused the key/);
    assert.equal(sshFailureHint("fatal: repository not found", {}), undefined);
  });

  it("ServeMetrics: two in one process each expose their own series, escaped, with the process series", async () => {
    // Tests (and any process that starts several engines) create one ServeMetrics per engine: on
    // prom-client's global registry the second would throw "already been registered".
    const counts = { ping: 1, token: 0, tagPages: 3, manifestHead: 0, manifestGet: 0, blobGet: 0, api: 0, retries: 0 };
    const a = new ServeMetrics(() => counts);
    const b = new ServeMetrics(() => ({ ...counts, tagPages: 7 }));
    const run = (result: RunRecord["result"], durationMs: number): RunRecord => ({
      startedAt: "2026-11-01T00:00:00.000Z",
      finishedAt: "2026-11-01T00:00:02.000Z",
      durationMs,
      result,
      trigger: "schedule",
      // A failed run moved nothing; one that went through moved and pushed one tag.
      changes: result === "error" ? [] : [{ file: "k8s/app.yaml", line: 1, image: "r/app", from: "1", to: "2" }],
      ...(result === "error" ? {} : { commit: "abc" }),
    });
    const odd = 'a"b\\c\nd';
    a.recordRun(odd, run("success", 500), 0);
    a.recordRun(odd, run("success", 3000), 0);
    b.recordRun("other", run("error", 100), 2);
    b.recordNotification("slack", "failed");
    b.paused = 1;
    const [textA, textB] = await Promise.all([a.render(), b.render()]);
    // prom-client escapes backslash, double quote and line feed in label values.
    assert.match(textA, /^laminar_runs_total\{repository="a\\"b\\\\c\\nd",result="success"\} 2$/m);
    assert.match(textA, /^laminar_run_duration_seconds_bucket\{le="1",repository="a\\"b\\\\c\\nd"\} 1$/m);
    assert.match(textA, /^laminar_run_duration_seconds_bucket\{le="\+Inf",repository="a\\"b\\\\c\\nd"\} 2$/m);
    assert.match(textA, /^laminar_run_duration_seconds_sum\{repository="a\\"b\\\\c\\nd"\} 3.5$/m);
    assert.match(textA, /^laminar_changes_total\{repository="a\\"b\\\\c\\nd"\} 2$/m);
    assert.match(textA, /^laminar_registry_requests_total\{kind="tagPages"\} 3$/m);
    assert.match(textA, /^laminar_paused 0$/m);
    assert.doesNotMatch(textA, /other|laminar_notifications_total\{/);
    assert.match(textB, /^laminar_repository_last_run_success\{repository="other"\} 0$/m);
    assert.match(textB, /^laminar_repository_consecutive_failures\{repository="other"\} 2$/m);
    assert.match(textB, /^laminar_repository_last_run_timestamp_seconds\{repository="other"\} 1793491202$/m);
    assert.match(textB, /^laminar_changes_total\{repository="other"\} 0$/m, "an error run pushed nothing");
    assert.match(textB, /^laminar_notifications_total\{kind="slack",result="failed"\} 1$/m);
    assert.match(textB, /^laminar_registry_requests_total\{kind="tagPages"\} 7$/m);
    assert.match(textB, /^laminar_paused 1$/m);
    assert.doesNotMatch(textB, /a\\"b/);
    // The counts are read at scrape time, and the process series come with both.
    counts.tagPages = 4;
    assert.match(await a.render(), /^laminar_registry_requests_total\{kind="tagPages"\} 4$/m);
    for (const text of [textA, textB]) {
      assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
      assert.match(text, /^process_resident_memory_bytes \d+$/m);
      assert.match(text, /^process_start_time_seconds \d+$/m);
      assert.match(text, /^nodejs_heap_size_used_bytes \d+$/m);
    }
  });
});
