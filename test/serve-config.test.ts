import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { ConfigError } from "../src/config/errors.js";
import { parseListenAddress, parseServerConfig } from "../src/config/server.js";
import { serverSchema } from "../src/config/server-schema.js";
import { resolveNotifyTargets } from "../src/serve/notify.js";

const ORIGINAL = `global:
  gitUser: Laminar Bot
  gitEmail: bot@example.test
  gitMessage: "chore: {{ .Summary }}"
  webAddress: ":8080"
dockerRegistries:
  - reg: 127.0.0.1:5000/acme
    name: local
    timeOut: 10
git:
  - name: manifests
    url: remotes/manifests.git
    branch: master
    key: ~/example_ssh_id_rsa
    pollFreq: 60
    updates:
      - pattern: "glob:develop-*"
        files: [dev/]
    preCommitCommands: ["true"]
  - name: other
    url: git@github.com:acme/other.git
    remoteConfig: true
`;

function errorOf(text: string): ConfigError {
  try {
    parseServerConfig(text, "server.yaml", "/srv", "/home/u");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("server.yaml: the original daemon's format", () => {
  it("reads global, dockerRegistries and git entries with their meaning", () => {
    const c = parseServerConfig(ORIGINAL, "server.yaml", "/srv", "/home/u");
    assert.equal(c.webAddress, ":8080");
    assert.deepEqual(parseListenAddress(c.webAddress ?? ""), { host: "127.0.0.1", port: 8080 });
    const [a, b] = c.repositories;
    assert.ok(a && b);
    assert.equal(a.url, "/srv/remotes/manifests.git");
    assert.equal(a.branch, "master");
    assert.equal(a.key, "/home/u/example_ssh_id_rsa");
    assert.equal(a.pollFreq, 60);
    assert.equal(a.remoteConfig, false);
    assert.deepEqual(
      a.config.updates.map((u) => u.files),
      [["dev"]],
    );
    assert.deepEqual(a.config.updates[0]?.position, { file: "server.yaml", line: 17, column: 9 });
    assert.deepEqual(
      a.config.commands.map((x) => x.run),
      ["true"],
    );
    assert.deepEqual(a.config.registries, [{ host: "127.0.0.1:5000", prefix: "acme", name: "local", timeout: 10 }]);
    assert.deepEqual(a.config.commit, {
      authorName: "Laminar Bot",
      authorEmail: "bot@example.test",
      message: "chore: {{ .Summary }}",
    });
    assert.equal(b.url, "git@github.com:acme/other.git");
    assert.equal(b.branch, "main");
    assert.equal(b.remoteConfig, true);
    assert.deepEqual(b.config.updates, []);
  });

  it("names file, line and key of a bad rule inside a repository", () => {
    const e = errorOf(ORIGINAL.replace('pattern: "glob:develop-*"', 'pattern: "regex:(a"'));
    assert.equal(e.line, 17);
    assert.equal(e.key, "git[0].updates[0].pattern");
    assert.match(e.message, /^server\.yaml:17:\d+: git\[0\]\.updates\[0\]\.pattern: /);
  });

  it("names an unknown key with a hint", () => {
    const e = errorOf(ORIGINAL.replace("    pollFreq: 60", "    pollFrq: 60"));
    assert.equal(e.line, 15);
    assert.equal(e.key, "git[0].pollFrq");
    assert.match(e.detail, /did you mean "pollFreq"/);
  });

  it("names a bad registry at the top of the file", () => {
    const e = errorOf(ORIGINAL.replace("reg: 127.0.0.1:5000/acme", "reg: 'not a host'"));
    assert.equal(e.line, 7);
    assert.equal(e.key, "dockerRegistries[0].reg");
  });

  it("reports a repository with no rules at all", () => {
    const e = errorOf("git:\n  - name: empty\n    url: /x.git\n");
    assert.equal(e.line, 2);
    assert.equal(e.key, "git[0]");
    assert.match(e.detail, /no rules/);
  });

  it("sends a token to https:// (or loopback http://) remotes only", () => {
    const yaml = (url: string) =>
      `git:\n  - name: r\n    url: ${url}\n    tokenEnv: GIT_TOKEN\n    remoteConfig: true\n`;
    assert.equal(
      parseServerConfig(yaml("https://git.example/r.git"), "s.yaml", "/").repositories[0]?.tokenEnv,
      "GIT_TOKEN",
    );
    assert.ok(parseServerConfig(yaml("http://127.0.0.1:9/r.git"), "s.yaml", "/"));
    for (const url of ["http://git.example/r.git", "git@git.example:r.git"]) {
      const e = errorOf(yaml(url));
      assert.equal(e.key, "git[0].tokenEnv");
      assert.equal(e.line, 4);
    }
  });

  it("trustNewHostKeys: off by default, an explicit opt-in for SSH remotes only", () => {
    const yaml = (url: string, trust = "") =>
      `git:\n  - name: r\n    url: ${url}\n    remoteConfig: true\n${trust ? `    trustNewHostKeys: ${trust}\n` : ""}`;
    assert.equal(
      parseServerConfig(yaml("git@git.example:r.git"), "s.yaml", "/").repositories[0]?.trustNewHostKeys,
      false,
    );
    for (const url of ["git@git.example:r.git", "ssh://git@git.example:2222/r.git"])
      assert.equal(parseServerConfig(yaml(url, "true"), "s.yaml", "/").repositories[0]?.trustNewHostKeys, true, url);
    for (const url of ["/srv/r.git", "https://git.example/r.git"]) {
      const e = errorOf(yaml(url, "true"));
      assert.equal(e.key, "git[0].trustNewHostKeys");
      assert.match(e.message, /applies to SSH remotes only/);
    }
    const e = errorOf(yaml("git@git.example:r.git", '"yes"'));
    assert.equal(e.key, "git[0].trustNewHostKeys");
    assert.equal(e.line, 5);
  });

  it("refuses two repositories with one name, and a bad webAddress", () => {
    const dup = errorOf(`${ORIGINAL}  - name: other\n    url: /y.git\n    remoteConfig: true\n`);
    assert.equal(dup.key, "git[2].name");
    assert.equal(dup.line, 23);
    const web = errorOf(ORIGINAL.replace('webAddress: ":8080"', "webAddress: nowhere"));
    assert.equal(web.key, "global.webAddress");
    assert.equal(web.line, 5);
  });

  it("knownHosts: a file path (resolved) or a list of known_hosts lines (kept as lines)", () => {
    const file = parseServerConfig(
      ORIGINAL.replace("    pollFreq: 60", "    pollFreq: 60\n    knownHosts: ~/kh"),
      "server.yaml",
      "/srv",
      "/home/u",
    );
    assert.equal(file.repositories[0]?.knownHosts, "/home/u/kh");
    assert.equal(file.repositories[0]?.knownHostsLines, undefined);
    const line = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const lines = parseServerConfig(
      ORIGINAL.replace("    pollFreq: 60", `    pollFreq: 60\n    knownHosts:\n      - "${line}"`),
      "server.yaml",
      "/srv",
      "/home/u",
    );
    assert.equal(lines.repositories[0]?.knownHosts, undefined);
    assert.deepEqual(lines.repositories[0]?.knownHostsLines, [line]);
    const empty = errorOf(ORIGINAL.replace("    pollFreq: 60", "    pollFreq: 60\n    knownHosts: []"));
    assert.equal(empty.key, "git[0].knownHosts");
    const twoLines = errorOf(ORIGINAL.replace("    pollFreq: 60", '    pollFreq: 60\n    knownHosts: ["a b\\nc d"]'));
    assert.equal(twoLines.key, "git[0].knownHosts[0]");
  });

  it("global.maxParallel: read when given, absent by default, refused below 1", () => {
    assert.equal(parseServerConfig(ORIGINAL, "server.yaml", "/srv", "/home/u").maxParallel, undefined);
    const two = ORIGINAL.replace('webAddress: ":8080"', 'webAddress: ":8080"\n  maxParallel: 2');
    assert.equal(parseServerConfig(two, "server.yaml", "/srv", "/home/u").maxParallel, 2);
    const zero = errorOf(ORIGINAL.replace('webAddress: ":8080"', 'webAddress: ":8080"\n  maxParallel: 0'));
    assert.equal(zero.key, "global.maxParallel");
    assert.equal(zero.line, 6);
  });
});

describe("server.yaml: notify and hookHosts", () => {
  const NOTIFY = `global:
  hookHosts:
    dockerhub: mirror.example.test:5000
    ghcr: ghcr-mirror.example.test
notify:
  - slack: { webhookUrlEnv: SLACK_URL }
  - webhook:
      urlEnv: HOOK_URL
      secretEnv: HOOK_SECRET
git:
  - name: apps
    url: /apps.git
    remoteConfig: true
    notify:
      - webhook: { urlEnv: TEAM_URL, secretEnv: HOOK_SECRET }
`;

  it("reads the targets by variable name, and the mirror hosts", () => {
    const c = parseServerConfig(NOTIFY, "server.yaml", "/srv");
    assert.deepEqual(c.hookHosts, { dockerhub: "mirror.example.test:5000", ghcr: "ghcr-mirror.example.test" });
    assert.deepEqual(
      c.notify.map((n) => [n.kind, n.url.variable, n.url.key, n.url.line, n.secret?.variable]),
      [
        ["slack", "SLACK_URL", "notify[0].slack.webhookUrlEnv", 6, undefined],
        ["webhook", "HOOK_URL", "notify[1].webhook.urlEnv", 8, "HOOK_SECRET"],
      ],
    );
    assert.equal(c.repositories[0]?.notify[0]?.url.key, "git[0].notify[0].webhook.urlEnv");
  });

  it("refuses an entry with both kinds, a webhook without a secret, and a bad mirror host", () => {
    const both = errorOf(
      NOTIFY.replace(
        "  - slack: { webhookUrlEnv: SLACK_URL }",
        "  - slack: { webhookUrlEnv: A }\n    webhook: { urlEnv: B, secretEnv: C }",
      ),
    );
    assert.equal(both.key, "notify[0]");
    assert.match(both.detail, /exactly one of `slack` or `webhook`/);
    const unsigned = errorOf(NOTIFY.replace("      secretEnv: HOOK_SECRET\n", ""));
    assert.equal(unsigned.key, "notify[1].webhook");
    assert.match(unsigned.detail, /missing required key "secretEnv"/);
    const host = errorOf(NOTIFY.replace("ghcr: ghcr-mirror.example.test", "ghcr: https://ghcr.example.test/"));
    assert.equal(host.key, "global.hookHosts.ghcr");
    assert.equal(host.line, 4);
  });

  it("a variable that is not set, or not an https URL, is an error naming key and variable, never the value", () => {
    const c = parseServerConfig(NOTIFY, "server.yaml", "/srv");
    const env = {
      SLACK_URL: "https://hooks.slack.example/services/T0/B0/s3cr3tpath",
      HOOK_URL: "http://127.0.0.1:9/hook",
      HOOK_SECRET: "hook-secret-value",
      TEAM_URL: "https://team.example/hook",
    };
    const t = resolveNotifyTargets(c, env);
    assert.deepEqual(
      t.global.map((x) => x.label),
      ["slack (SLACK_URL)", "webhook (HOOK_URL)"],
    );
    assert.equal(t.byRepository.get("apps")?.[0]?.secret, "hook-secret-value");
    const fails = (e: Record<string, string>, message: RegExp) =>
      assert.throws(
        () => resolveNotifyTargets(c, e),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          for (const v of Object.values(e)) if (v) assert.ok(!err.message.includes(v), "the value is not printed");
          return true;
        },
      );
    const { HOOK_SECRET: _, ...noSecret } = env;
    fails(noSecret, /^server\.yaml:9:\d+: notify\[1\]\.webhook\.secretEnv: the variable HOOK_SECRET is not set/);
    fails(
      { ...env, SLACK_URL: "" },
      /^server\.yaml:6:\d+: notify\[0\]\.slack\.webhookUrlEnv: the variable SLACK_URL is not set/,
    );
    fails(
      { ...env, TEAM_URL: "http://team.example/hook" },
      /git\[0\]\.notify\[0\]\.webhook\.urlEnv: the variable TEAM_URL does not hold an https:\/\/ URL/,
    );
    fails({ ...env, HOOK_URL: "not a url at all" }, /notify\[1\]\.webhook\.urlEnv: .*HOOK_URL does not hold/);
  });
});

describe("schema/server.schema.json", () => {
  it("is the schema the code validates server files with", async () => {
    const file = JSON.parse(await readFile(new URL("../schema/server.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(file, JSON.parse(JSON.stringify(serverSchema)), "run `npm run schema` to regenerate");
  });
});
