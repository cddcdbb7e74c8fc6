import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { ConfigError } from "../src/config/errors.js";
import { parseListenAddress, parseServerConfig } from "../src/config/server.js";
import { serverSchema } from "../src/config/server-schema.js";

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
});

describe("schema/server.schema.json", () => {
  it("is the schema the code validates server files with", async () => {
    const file = JSON.parse(await readFile(new URL("../schema/server.schema.json", import.meta.url), "utf8"));
    assert.deepEqual(file, JSON.parse(JSON.stringify(serverSchema)), "run `npm run schema` to regenerate");
  });
});
