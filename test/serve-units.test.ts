import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bearerMatches } from "../src/serve/bearer-token.js";
import { EnvelopeError, pushedRepositories } from "../src/serve/hooks/distribution.js";
import { isSshRemote, sshCommandEnvironment, sshFailureHint } from "../src/git/ssh-command.js";
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
