import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerMatches } from "../src/serve/bearer-token.js";
import { EnvelopeError, pushedRepositories } from "../src/serve/hooks/distribution.js";
import { sshEnvironment } from "../src/serve/working-clone.js";
import { Exposition, Histogram } from "../src/metrics/exposition.js";

describe("serve: the small pure parts", () => {
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

  it("sshEnvironment pins the key and the known hosts, strictly", () => {
    assert.deepEqual(sshEnvironment({}), {});
    const env = sshEnvironment({ key: "/keys/it's", knownHosts: "/etc/laminar/known_hosts" });
    assert.equal(
      env.GIT_SSH_COMMAND,
      "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -i '/keys/it'\\''s' -o UserKnownHostsFile='/etc/laminar/known_hosts'",
    );
  });

  it("Exposition escapes label values and renders histograms cumulatively", () => {
    const h = new Histogram([1, 5]);
    h.observe({ repository: "a" }, 0.5);
    h.observe({ repository: "a" }, 3);
    const text = new Exposition()
      .family("x_total", "counter", "X.", [{ labels: { name: 'a"b\\c\nd' }, value: 2 }])
      .family("d_seconds", "histogram", "D.", h.samples())
      .text();
    assert.equal(
      text,
      [
        "# HELP x_total X.",
        "# TYPE x_total counter",
        'x_total{name="a\\"b\\\\c\\nd"} 2',
        "# HELP d_seconds D.",
        "# TYPE d_seconds histogram",
        'd_seconds_bucket{repository="a",le="1"} 1',
        'd_seconds_bucket{repository="a",le="5"} 2',
        'd_seconds_bucket{repository="a",le="+Inf"} 2',
        'd_seconds_sum{repository="a"} 3.5',
        'd_seconds_count{repository="a"} 2',
        "",
      ].join("\n"),
    );
  });
});
