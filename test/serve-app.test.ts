import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError } from "../src/config/errors.js";
import { parseServerConfig } from "../src/config/server.js";
import { SecretMasker } from "../src/secrets/masker.js";
import { ServeEngine } from "../src/serve/engine.js";
import { AppIdentities, defaultApiUrl, repositoryOf } from "../src/serve/github-app.js";
import { listenHttp } from "../src/serve/http.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { git, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import type { EmulatedApp } from "./helpers/github-api/github-app.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();

/** An App key pair the way GitHub hands the private key out: PKCS#1 PEM. */
function appKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** Lines of the key's base64 body: none may appear anywhere serve shows. */
const keyLines = (pem: string): string[] => pem.split("\n").filter((l) => l && !l.startsWith("-----"));

/** Polls `check` a bounded number of times (no timing assertion: only the outcome is checked). */
async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  tries = 400,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

const RULES = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;

function configError(text: string): ConfigError {
  try {
    parseServerConfig(text, "server.yaml", "/srv", "/home/u");
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail("expected a ConfigError");
}

describe("server.yaml: githubApp", () => {
  const app = `    githubApp:\n      appId: 12\n      privateKeyFile: ~/app.pem\n`;
  it("global applies to every https:// repository without tokenEnv or its own; a repository's own wins", () => {
    const c = parseServerConfig(
      `global:\n  githubApp:\n    appId: 7\n    privateKeyEnv: APP_KEY\n    apiUrl: https://ghe.example.com/api/v3/\ngit:\n` +
        `  - name: https\n    url: https://github.com/acme/a.git\n${RULES}` +
        `  - name: token\n    url: https://github.com/acme/b.git\n    tokenEnv: T\n${RULES}` +
        `  - name: ssh\n    url: git@github.com:acme/c.git\n${RULES}` +
        `  - name: local\n    url: ./d.git\n${RULES}` +
        `  - name: own\n    url: https://github.com/acme/e\n${app}      installationId: 3\n${RULES}`,
      "server.yaml",
      "/srv",
      "/home/u",
    );
    const by = new Map(c.repositories.map((r) => [r.name, r.githubApp]));
    assert.deepEqual(by.get("https"), {
      appId: "7",
      privateKey: { env: "APP_KEY" },
      apiUrl: "https://ghe.example.com/api/v3",
      setting: "global.githubApp",
    });
    assert.equal(by.get("token"), undefined);
    assert.equal(by.get("ssh"), undefined);
    assert.equal(by.get("local"), undefined);
    assert.deepEqual(by.get("own"), {
      appId: "12",
      privateKey: { file: "/home/u/app.pem" },
      installationId: 3,
      setting: "git[4].githubApp",
    });
  });

  it("bad settings are errors naming the line and key", () => {
    const both = configError(
      `git:\n  - name: a\n    url: https://github.com/acme/a\n    githubApp:\n      appId: 1\n      privateKeyFile: k\n      privateKeyEnv: K\n${RULES}`,
    );
    assert.equal(both.key, "git[0].githubApp");
    assert.equal(both.line, 5);
    assert.match(both.detail, /exactly one of `privateKeyFile` or `privateKeyEnv`/);
    const none = configError(
      `git:\n  - name: a\n    url: https://github.com/acme/a\n    githubApp:\n      appId: 1\n${RULES}`,
    );
    assert.match(none.detail, /exactly one of/);
    const withToken = configError(
      `git:\n  - name: a\n    url: https://github.com/acme/a\n    tokenEnv: T\n${app}${RULES}`,
    );
    assert.equal(withToken.key, "git[0].githubApp");
    assert.match(withToken.detail, /`tokenEnv` or `githubApp`, not both/);
    const ssh = configError(`git:\n  - name: a\n    url: ssh://git@github.com/acme/a.git\n${app}${RULES}`);
    assert.match(ssh.detail, /https:\/\/ remotes only/);
    const plain = configError(`git:\n  - name: a\n    url: http://git.example.com/acme/a\n${app}${RULES}`);
    assert.match(plain.detail, /https:\/\/ remotes only/);
    const id = configError(
      `git:\n  - name: a\n    url: https://github.com/acme/a\n    githubApp:\n      appId: my-app\n      privateKeyEnv: K\n${RULES}`,
    );
    assert.match(id.key, /^git\[0\]\.githubApp\.appId/);
  });

  it("the API root and the repository come from the remote", () => {
    assert.equal(defaultApiUrl("https://github.com"), "https://api.github.com");
    assert.equal(defaultApiUrl("https://ghe.example.com"), "https://ghe.example.com/api/v3");
    assert.deepEqual(repositoryOf("x", "https://github.com/acme/manifests.git"), { owner: "acme", repo: "manifests" });
    assert.deepEqual(repositoryOf("x", "https://ghe.example.com/scm/acme/site"), { owner: "acme", repo: "site" });
    assert.throws(
      () => repositoryOf("x", "https://u:pw-secret@github.com/"),
      (e: Error) => {
        assert.match(e.message, /^x: githubApp: cannot tell the repository/);
        assert.ok(!e.message.includes("pw-secret"));
        return true;
      },
    );
  });

  it("a key that cannot be read or is not a key fails before any request, naming the setting and the App", async () => {
    const seen: string[] = [];
    const ids = new AppIdentities({
      env: { BAD_KEY: "not a key, but secret-ish" },
      onSecret: (v) => seen.push(v),
      log: () => undefined,
    });
    const repo = { name: "r", url: "https://127.0.0.1:9/acme/r.git" };
    await assert.rejects(
      ids.forRepository({
        ...repo,
        githubApp: { appId: "5", privateKey: { file: "/nonexistent/app.pem" }, setting: "global.githubApp" },
      }),
      /^Error: r: global\.githubApp\.privateKeyFile: GitHub App 5: cannot read \/nonexistent\/app\.pem \(ENOENT\)$/,
    );
    await assert.rejects(
      ids.forRepository({
        ...repo,
        githubApp: { appId: "5", privateKey: { env: "UNSET_KEY" }, setting: "git[0].githubApp" },
      }),
      /^Error: r: git\[0\]\.githubApp\.privateKeyEnv: the variable UNSET_KEY is not set$/,
    );
    await assert.rejects(
      ids.forRepository({
        ...repo,
        githubApp: { appId: "5", privateKey: { env: "BAD_KEY" }, setting: "git[0].githubApp" },
      }),
      (e: Error) => {
        assert.match(e.message, /^r: git\[0\]\.githubApp\.privateKeyEnv: GitHub App 5: is not a PEM private key/);
        assert.ok(!e.message.includes("secret-ish"));
        return true;
      },
    );
    assert.ok(seen.includes("not a key, but secret-ish"), "the value was handed to the masker before it was checked");
  });
});

describe("laminar serve as a GitHub App (issue #11) against the OpenAPI-checked GitHub emulator", () => {
  let registry: RunningRegistry;
  let s: GitHubApiServer;
  const keys = appKeys();
  const other = appKeys();
  const dirs: string[] = [];
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
    const app: EmulatedApp = {
      id: 424242,
      slug: "laminar-updater",
      publicKey: keys.publicKey,
      installationId: 7007,
      botUserId: 99001,
    };
    s = await startGitHubApiServer({ app, files: { "k8s/app.yaml": `image: ${registry.host}/acme/app:develop-1\n` } });
  });
  after(async () => {
    await s?.close();
    await registry?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("clones and pushes with installation tokens, mints a new one once the last expired, keeps one that is still good; a bad key fails only its repository", async () => {
    const app = s.app!;
    const tmp = mkdtempSync(join(tmpdir(), "laminar-serve-app-"));
    dirs.push(tmp);
    const keyFile = join(tmp, "app.pem");
    writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    const rules = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
    const server = parseServerConfig(
      `global:\n  githubApp:\n    appId: 424242\n    privateKeyFile: ${keyFile}\ngit:\n` +
        `  - name: via-app\n    url: ${s.gitUrl}\n    pollFreq: 3600\n${rules}` +
        // Its own App setting, with the key of another App: GitHub answers 401.
        // The global App, on a repository it is not installed on: GitHub answers 404.
        `  - name: not-installed\n    url: ${s.url}/acme/elsewhere.git\n    pollFreq: 3600\n${rules}` +
        `  - name: bad-key\n    url: ${s.gitUrl}\n    pollFreq: 3600\n` +
        `    githubApp:\n      appId: "424242"\n      privateKeyEnv: LAMINAR_TEST_OTHER_APP_KEY\n      installationId: 7007\n${rules}`,
      "server.yaml",
      tmp,
    );
    assert.equal(server.repositories[0]?.githubApp?.setting, "global.githubApp");
    assert.equal(server.repositories[1]?.githubApp?.setting, "global.githubApp");
    assert.equal(server.repositories[2]?.githubApp?.setting, "git[2].githubApp");

    // The front end's wiring (src/cli/serve.ts): one masker behind `mask`, fed by `onSecret`.
    const masker = new SecretMasker();
    const logs: string[] = [];
    const engine = new ServeEngine({
      server,
      stateDir: join(tmp, "state"),
      env: { ...process.env, LAMINAR_TEST_OTHER_APP_KEY: other.privateKey },
      // Raw, unmasked: serve must not even try to print a key or a token.
      log: (m) => logs.push(m),
      mask: (t) => masker.mask(t),
      onSecret: (v, u) => masker.add(v, u),
    });
    const http = await listenHttp({ engine, apiToken: undefined, log: (m) => logs.push(m) }, "127.0.0.1", 0);
    const url = `http://${http.address}`;
    const status = async (): Promise<RepositoryStatus[]> =>
      ((await (await fetch(`${url}/api/v1/repos`)).json()) as { repositories: RepositoryStatus[] }).repositories;
    const runs = (name: string): number => engine.status().find((r) => r.name === name)?.recentRuns.length ?? 0;
    const passDone = (name: string, n: number) =>
      eventually(() => {
        const r = engine.status().find((x) => x.name === name);
        return r && !r.running && r.recentRuns.length >= n ? r : undefined;
      }, `${name}: run ${n}`);
    const pushesSince = (from: number) =>
      s.requests.slice(from).filter((q) => q.surface === "git" && q.path.endsWith("/git-receive-pack"));
    try {
      // Pass 1, with tokens that live 10 s (long enough for one git command on a busy machine, well
      // inside the refresh margin): each git command asks for one and gets a fresh one.
      app.tokenLifetimeSeconds = 10;
      await engine.start();
      const first = await passDone("via-app", 1);
      const bad = await passDone("bad-key", 1);
      assert.equal(first.lastRun?.result, "success", logs.join("\n"));
      assert.equal(git(s.bareRepoPath, ["show", "main:k8s/app.yaml"]), `image: ${registry.host}/acme/app:develop-2\n`);
      assert.equal(
        git(s.bareRepoPath, ["log", "-1", "--format=%an <%ae>", "main"]).trim(),
        "laminar-updater[bot] <99001+laminar-updater[bot]@users.noreply.127.0.0.1>",
        "the commit is the App's bot's",
      );
      const minted1 = app.minted.map((m) => m.token);
      assert.ok(minted1.length >= 1);
      assert.ok(app.minted.every((m) => JSON.stringify(m.request) === JSON.stringify({ repositories: ["manifests"] })));
      const gitRequests = s.requests.filter((q) => q.surface === "git");
      assert.ok(gitRequests.length > 0);
      assert.ok(
        gitRequests.every((q) => q.credential !== undefined && minted1.includes(q.credential)),
        "every clone, fetch and push presented an installation token",
      );
      assert.equal(pushesSince(0).length >= 1, true);
      assert.ok(
        s.requests.filter((q) => q.surface === "rest").every((q) => q.enterprise),
        "the API of a non-github.com host is https://HOST/api/v3",
      );

      // The bad key failed its repository alone, with the App id, the setting and GitHub's status.
      assert.equal(bad.lastRun?.result, "error");
      const error = bad.lastRun?.error ?? "";
      assert.match(error, /^bad-key: git\[2\]\.githubApp\.privateKeyEnv: GitHub App 424242: GET \/app failed \(/);
      assert.match(error, /HTTP 401\)/);
      assert.ok(!logs.some((l) => l.includes("bad-key: GitHub App")), "no App identity was logged for bad-key");
      const notInstalled = await passDone("not-installed", 1);
      assert.equal(notInstalled.lastRun?.result, "error");
      assert.match(
        notInstalled.lastRun?.error ?? "",
        /^not-installed: global\.githubApp\.installationId: GitHub App 424242 \(laminar-updater\) is not installed on acme\/elsewhere \(.*; HTTP 404\); install it there or set `installationId`$/,
      );

      // Pass 2, after every token of pass 1 expired at GitHub: serve mints a new one instead of using a dead one.
      await eventually(
        () => (minted1.every((t) => !app.accepts(t)) ? true : undefined),
        "the 10 s tokens expired",
        1200,
      );
      app.tokenLifetimeSeconds = 3600;
      await seedImages(registry, [{ repository: "acme/app", tag: "develop-3", created: day(3) }]);
      const before2 = s.requests.length;
      const mintedBefore2 = app.minted.length;
      assert.ok(engine.sync("via-app"));
      const second = await passDone("via-app", 2);
      assert.equal(second.lastRun?.result, "success", logs.join("\n"));
      assert.equal(git(s.bareRepoPath, ["show", "main:k8s/app.yaml"]), `image: ${registry.host}/acme/app:develop-3\n`);
      assert.equal(app.minted.length, mintedBefore2 + 1, "one new token, of an hour");
      const token2 = app.minted.at(-1)!.token;
      assert.ok(pushesSince(before2).length >= 1);
      assert.ok(pushesSince(before2).every((q) => q.credential === token2));
      assert.ok(
        !s.requests.slice(before2).some((q) => q.surface === "git" && q.status === 401),
        "no git request with an expired token",
      );

      // Pass 3: the hour-long token is kept (cached across passes), not minted again.
      await seedImages(registry, [{ repository: "acme/app", tag: "develop-4", created: day(4) }]);
      const before3 = s.requests.length;
      assert.ok(engine.sync("via-app"));
      const third = await passDone("via-app", 3);
      assert.equal(third.lastRun?.result, "success", logs.join("\n"));
      assert.equal(git(s.bareRepoPath, ["show", "main:k8s/app.yaml"]), `image: ${registry.host}/acme/app:develop-4\n`);
      assert.equal(app.minted.at(-1)!.token, token2, "no token minted for pass 3");
      assert.ok(pushesSince(before3).length >= 1);
      assert.ok(pushesSince(before3).every((q) => q.credential === token2));
      assert.ok(
        // (The failing repositories retry on their backoff and may ask meanwhile: not for manifests.)
        !s.requests.slice(before3).some((q) => q.credential === "jwt" && q.path.includes("/acme/manifests/")),
        "the installation on acme/manifests was not looked up again",
      );
      assert.ok(runs("bad-key") >= 1);

      // Neither key nor any token in the log, the status API, the page or the metrics.
      const page = await (await fetch(`${url}/`)).text();
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const shown = [logs.join("\n"), JSON.stringify(await status()), page, metrics];
      for (const secret of [
        ...app.minted.map((m) => m.token),
        ...keyLines(keys.privateKey),
        ...keyLines(other.privateKey),
      ])
        for (const text of shown) assert.ok(!text.includes(secret), `a secret was shown: ${secret.slice(0, 6)}…`);
      // Masking is armed too: the masker knows every token and the key.
      for (const m of app.minted) assert.equal(masker.mask(`x ${m.token} x`), "x *** x");
      assert.equal(masker.mask(keyLines(keys.privateKey)[1]!), "***");

      // The only complaints the emulator has are about the other App's JWT.
      assert.ok(s.violations.length >= 1);
      assert.deepEqual(
        [...new Set(s.violations.map((v) => v.problems.join()))],
        ["JWT: signature does not verify with the App's public key"],
      );
      assert.deepEqual(s.responseViolations, []);
    } finally {
      await engine.stop();
      await http.close();
    }
  });
});
