/**
 * `laminar serve` over real SSH (issue #16, Proof): a real OpenSSH server on 127.0.0.1 with generated
 * host and user keys serves bare repositories; serve clones and pushes with `key`, checks host keys
 * against `knownHosts` strictly, and records a new host key only with `trustNewHostKeys: true`.
 */
import assert from "node:assert/strict";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseServerConfig } from "../src/config/server.js";
import { ServeEngine } from "../src/serve/engine.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { generateKey, portFree, SSHD_SKIP, startSshd, type RunningSshd } from "./helpers/sshd.js";

isolateGitConfig();

interface Serve {
  engine: ServeEngine;
  stateDir: string;
  logs: string[];
}

async function startServe(serverYaml: string): Promise<Serve> {
  const stateDir = mkdtempSync(join(tmpdir(), "laminar-serve-ssh-state-"));
  const logs: string[] = [];
  const engine = new ServeEngine({
    server: parseServerConfig(serverYaml, "server.yaml", tmpdir()),
    stateDir,
    env: { ...process.env },
    log: (m) => logs.push(m),
    mask: (s) => s,
  });
  await engine.start();
  return { engine, stateDir, logs };
}

/** Waits (bounded) until every repository finished its first run; returns their status by name. */
async function firstRuns(engine: ServeEngine): Promise<Map<string, RepositoryStatus>> {
  for (let i = 0; i < 600; i++) {
    const all = engine.status();
    if (all.every((r) => r.lastRun && !r.running)) return new Map(all.map((r) => [r.name, r]));
    await sleep(50);
  }
  assert.fail(`runs never finished: ${JSON.stringify(engine.status().map((r) => [r.name, r.running, r.lastRun]))}`);
}

describe("laminar serve over a real SSH server", { skip: SSHD_SKIP }, () => {
  let registry: RunningRegistry;
  let sshd: RunningSshd;
  let base: string;
  let knownHosts: string;
  const serves: Serve[] = [];
  before(async () => {
    [registry, sshd] = await Promise.all([startRegistry(), startSshd()]);
    base = mkdtempSync(join(tmpdir(), "laminar-serve-ssh-"));
    knownHosts = join(base, "known_hosts");
    writeFileSync(knownHosts, `${sshd.knownHostsLine}\n`);
    await seedImages(registry, [
      { repository: "acme/ssh", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
      { repository: "acme/ssh", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
    ]);
  });
  after(async () => {
    for (const s of serves) {
      await s.engine.stop();
      rmSync(s.stateDir, { recursive: true, force: true });
    }
    await Promise.all([registry?.stop(), sshd?.stop()]);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  /** A bare repository (served by sshd, it is on this machine) whose k8s/app.yaml is at develop-1. */
  function bareRepo(name: string): string {
    const path = join(base, `${name}.git`);
    initBareRepo(path, { "k8s/app.yaml": `image: ${registry.host}/acme/ssh:develop-1\n` });
    return path;
  }
  const fileAt = (bare: string) => git(bare, ["show", "main:k8s/app.yaml"]);
  const head = (bare: string) => git(bare, ["rev-parse", "main"]).trim();

  /** A `git:` entry; `extra` lines are added as written (key, knownHosts, trustNewHostKeys). */
  const entry = (name: string, url: string, extra: Record<string, string | boolean>) =>
    `  - name: ${name}\n    url: ${url}\n    pollFreq: 3600\n` +
    Object.entries(extra)
      .map(([k, v]) => `    ${k}: ${typeof v === "string" ? JSON.stringify(v) : String(v)}\n`)
      .join("") +
    `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;

  async function serve(...entries: string[]): Promise<{ s: Serve; status: Map<string, RepositoryStatus> }> {
    const s = await startServe(
      `global:\n  gitUser: Serve Bot\n  gitEmail: serve@example.test\ngit:\n${entries.join("")}`,
    );
    serves.push(s);
    return { s, status: await firstRuns(s.engine) };
  }

  /** The private key's body: it must appear in no log line and no status. */
  const keyBody = () =>
    readFileSync(sshd.userKey, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("-----"));
  function assertNoKeyContent(s: Serve): void {
    const seen = `${s.logs.join("\n")}\n${JSON.stringify(s.engine.status())}`;
    for (const line of keyBody()) assert.ok(!seen.includes(line), "a line of the private key was printed");
  }

  it("clones over ssh:// with the key, checks the host key against knownHosts, commits the new tag and pushes it", async () => {
    const bare = bareRepo("strict");
    const before = head(bare);
    const { s, status } = await serve(entry("strict", sshd.url(bare), { key: sshd.userKey, knownHosts }));
    const run = status.get("strict")?.lastRun;
    assert.equal(run?.result, "success", `${run?.error ?? ""}\n${sshd.logs().slice(-1500)}`);
    assert.equal(fileAt(bare), `image: ${registry.host}/acme/ssh:develop-2\n`);
    assert.equal(run?.commit, head(bare));
    assert.equal(git(bare, ["rev-parse", "main~1"]).trim(), before);
    assert.equal(git(bare, ["log", "-1", "--format=%an <%ae>", "main"]).trim(), "Serve Bot <serve@example.test>");
    // sshd saw our key log in (not some other identity of the machine).
    assert.match(sshd.logs(), /Accepted publickey for \S+ from 127\.0\.0\.1/);
    assertNoKeyContent(s);
  });

  it("clones and pushes over the scp-like form user@127.0.0.1:/path (an sshd on port 22, when it is free)", async (t) => {
    if (!(await portFree(22))) return t.skip("127.0.0.1:22 is in use or cannot be bound here");
    let on22: RunningSshd;
    try {
      on22 = await startSshd({ port: 22 });
    } catch (e) {
      // Another process took the port between the check and sshd's bind.
      if (/Address already in use|Cannot bind any address/.test(String(e))) return t.skip("127.0.0.1:22 was taken");
      throw e;
    }
    try {
      const hosts22 = join(base, "known_hosts.22");
      writeFileSync(hosts22, `${on22.knownHostsLine}\n`);
      const bare = bareRepo("scp-form");
      const { s, status } = await serve(
        entry("scp-form", on22.scpUrl(bare), { key: on22.userKey, knownHosts: hosts22 }),
      );
      const run = status.get("scp-form")?.lastRun;
      assert.equal(run?.result, "success", `${run?.error ?? ""}\n${on22.logs().slice(-1500)}`);
      assert.equal(fileAt(bare), `image: ${registry.host}/acme/ssh:develop-2\n`);
      assert.equal(run?.commit, head(bare));
      assert.match(on22.logs(), /Accepted publickey for \S+ from 127\.0\.0\.1/);
      await s.engine.stop();
    } finally {
      await on22.stop();
    }
  });

  it("an unknown host key is refused, naming host-key verification; nothing is pushed; the other repositories update", async () => {
    const other = join(base, "other_host_key");
    const otherLine = generateKey(other).split(" ");
    const wrongHosts = join(base, "known_hosts.other");
    // Another host's key only: the test server's own key is unknown.
    writeFileSync(wrongHosts, `[127.0.0.1]:1 ${otherLine[0]} ${otherLine[1]}\n`);
    const refused = bareRepo("unknown-host");
    const healthy = bareRepo("healthy");
    const before = head(refused);
    const { s, status } = await serve(
      entry("unknown-host", sshd.url(refused), { key: sshd.userKey, knownHosts: wrongHosts }),
      entry("healthy", sshd.url(healthy), { key: sshd.userKey, knownHosts }),
    );
    const run = status.get("unknown-host")?.lastRun;
    assert.equal(run?.result, "error");
    assert.match(
      run?.error ?? "",
      new RegExp(
        `^host key verification failed: the server's host key is not in knownHosts \\(${wrongHosts}\\); add it .* or set \`trustNewHostKeys: true\``,
      ),
    );
    assert.match(
      run?.error ?? "",
      /No ED25519 host key is known for \[127\.0\.0\.1\]:\d+ and you have requested strict checking/,
    );
    assert.equal(status.get("unknown-host")?.cloned, false);
    assert.equal(head(refused), before, "nothing pushed");
    assert.equal(status.get("healthy")?.lastRun?.result, "success");
    assert.equal(fileAt(healthy), `image: ${registry.host}/acme/ssh:develop-2\n`);
    assertNoKeyContent(s);
  });

  it("knownHosts as inline lines: written to the state dir (mode 600) and checked strictly", async () => {
    const bare = bareRepo("inline-hosts");
    const other = "example.invalid ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    const inline = (name: string, url: string, lines: string[]) =>
      `  - name: ${name}\n    url: ${url}\n    pollFreq: 3600\n    key: ${JSON.stringify(sshd.userKey)}\n` +
      `    knownHosts:\n${lines.map((l) => `      - ${JSON.stringify(l)}\n`).join("")}` +
      `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
    const { s, status } = await serve(
      inline("inline-hosts", sshd.url(bare), [other, sshd.knownHostsLine]),
      inline("inline-wrong", sshd.url(bareRepo("inline-wrong")), [other]),
    );
    assert.equal(status.get("inline-hosts")?.lastRun?.result, "success", status.get("inline-hosts")?.lastRun?.error);
    assert.equal(fileAt(bare), `image: ${registry.host}/acme/ssh:develop-2\n`);
    const written = join(s.stateDir, "ssh", "inline-hosts", "known_hosts.configured");
    assert.equal(readFileSync(written, "utf8"), `${other}\n${sshd.knownHostsLine}\n`);
    assert.equal(statSync(written).mode & 0o777, 0o600);
    const wrong = status.get("inline-wrong")?.lastRun;
    assert.equal(wrong?.result, "error");
    assert.match(
      wrong?.error ?? "",
      /host key verification failed: the server's host key is not in knownHosts \(its inline entries\)/,
    );
  });

  it("trustNewHostKeys: true records a new host's key in the state dir and uses it; a changed key is still refused", async () => {
    const trusted = bareRepo("trusted");
    const emptyHosts = join(base, "known_hosts.empty");
    writeFileSync(emptyHosts, "");
    const changed = bareRepo("changed");
    const other = join(base, "impostor_host_key");
    const impostor = generateKey(other).split(" ");
    const changedHosts = join(base, "known_hosts.changed");
    // The server's name with another key: what a man in the middle looks like.
    writeFileSync(changedHosts, `[127.0.0.1]:${sshd.port} ${impostor[0]} ${impostor[1]}\n`);
    const changedBefore = head(changed);
    const { s, status } = await serve(
      entry("trusted", sshd.url(trusted), { key: sshd.userKey, knownHosts: emptyHosts, trustNewHostKeys: true }),
      entry("changed", sshd.url(changed), { key: sshd.userKey, knownHosts: changedHosts, trustNewHostKeys: true }),
    );
    assert.equal(status.get("trusted")?.lastRun?.result, "success", status.get("trusted")?.lastRun?.error);
    assert.equal(fileAt(trusted), `image: ${registry.host}/acme/ssh:develop-2\n`);
    // Recorded, in clear (not hashed), in the repository's own file of the state dir.
    const learnt = readFileSync(join(s.stateDir, "ssh", "trusted", "known_hosts"), "utf8");
    assert.equal(learnt.trim(), sshd.knownHostsLine);
    assert.equal(readFileSync(emptyHosts, "utf8"), "", "the configured knownHosts file is never written");

    const run = status.get("changed")?.lastRun;
    assert.equal(run?.result, "error");
    assert.match(
      run?.error ?? "",
      /^host key verification failed: the server's host key differs from the one in knownHosts/,
    );
    assert.match(run?.error ?? "", /REMOTE HOST IDENTIFICATION HAS CHANGED/);
    assert.equal(head(changed), changedBefore, "nothing pushed");
    assert.equal(readFileSync(changedHosts, "utf8").includes(impostor[1] ?? "?"), true, "the known key stays");
    assertNoKeyContent(s);
  });

  it("a wrong key, a missing key file: failed with a clear message; a key others can read is used through a private copy; the others update", async () => {
    const wrongKey = join(base, "not_authorised_key");
    generateKey(wrongKey);
    const looseKey = join(base, "loose_key");
    copyFileSync(sshd.userKey, looseKey);
    chmodSync(looseKey, 0o644);
    const wrong = bareRepo("wrong-key");
    const missing = bareRepo("missing-key");
    const loose = bareRepo("loose-key");
    const wrongBefore = head(wrong);
    const { s, status } = await serve(
      entry("wrong-key", sshd.url(wrong), { key: wrongKey, knownHosts }),
      entry("missing-key", sshd.url(missing), { key: join(base, "no-such-key"), knownHosts }),
      entry("loose-key", sshd.url(loose), { key: looseKey, knownHosts }),
    );
    const w = status.get("wrong-key")?.lastRun;
    assert.equal(w?.result, "error");
    assert.match(
      w?.error ?? "",
      /^the SSH server refused the key \(Permission denied \(publickey\)\): check that `key`/,
    );
    assert.equal(head(wrong), wrongBefore, "nothing pushed");
    const m = status.get("missing-key")?.lastRun;
    assert.equal(m?.result, "error");
    assert.equal(m?.error, `missing-key: the key file ${join(base, "no-such-key")} does not exist`);

    assert.equal(status.get("loose-key")?.lastRun?.result, "success", status.get("loose-key")?.lastRun?.error);
    assert.equal(fileAt(loose), `image: ${registry.host}/acme/ssh:develop-2\n`);
    const copy = join(s.stateDir, "ssh", "loose-key", "key");
    assert.equal(statSync(copy).mode & 0o777, 0o600);
    assert.equal(statSync(looseKey).mode & 0o777, 0o644, "the user's file is left as it is");
    assert.ok(
      s.logs.some((l) =>
        l.includes(`loose-key: the key ${looseKey} is readable by others (mode 644), which ssh refuses`),
      ),
    );
    // Once the key is fixed, the next run uses it as it is and removes the copy.
    chmodSync(looseKey, 0o600);
    const done = s.engine.status().find((r) => r.name === "loose-key")?.lastRun?.finishedAt;
    assert.ok(s.engine.sync("loose-key"));
    for (let i = 0; i < 600; i++) {
      const r = s.engine.status().find((x) => x.name === "loose-key");
      if (r?.lastRun && r.lastRun.finishedAt !== done && !r.running) break;
      await sleep(50);
    }
    assert.equal(s.engine.status().find((r) => r.name === "loose-key")?.lastRun?.result, "success");
    assert.equal(existsSync(copy), false, "no copy of the private key stays in the state dir");
    assertNoKeyContent(s);
  });
});
