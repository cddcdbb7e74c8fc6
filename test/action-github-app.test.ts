import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runAction, type ActionRun } from "./helpers/action-runner.js";
import { git, gitAsync, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import type { EmulatedApp } from "./helpers/github-api/github-app.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { laminarAsync as laminar } from "./helpers/cli.js";

isolateGitConfig();

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

/** An App key pair the way GitHub hands the private key out: PKCS#1 PEM. */
function appKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** Lines of the key's base64 body: none may appear in any output. */
const keyLines = (pem: string): string[] => pem.split("\n").filter((l) => l && !l.startsWith("-----"));

/** Printed only inside `::add-mask::` commands (what the runner reads to mask it). */
function printedOnlyToMask(r: ActionRun, secret: string): boolean {
  const lines = `${r.stdout}\n${r.stderr}`.split("\n");
  return !lines.some((l) => !l.startsWith("::add-mask::") && l.includes(secret));
}

describe("the action as a GitHub App (issue #11) against the OpenAPI-checked GitHub emulator", () => {
  let registry: RunningRegistry;
  const servers: GitHubApiServer[] = [];
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await registry?.stop();
  });

  const keys = appKeys();
  const appOf = (extra: Partial<EmulatedApp> = {}): EmulatedApp => ({
    id: 424242,
    slug: "laminar-updater",
    publicKey: keys.publicKey,
    installationId: 7007,
    botUserId: 99001,
    ...extra,
  });
  const cache = mkdtempSync(join(tmpdir(), "laminar-app-cache-"));

  async function setup(app: EmulatedApp): Promise<{ s: GitHubApiServer; ws: string }> {
    const s = await startGitHubApiServer({
      app,
      files: {
        ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n",
        "k8s/app.yaml": `image: ${registry.host}/acme/app:develop-1\n`,
      },
    });
    servers.push(s);
    const base = mkdtempSync(join(tmpdir(), "laminar-app-"));
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    return { s, ws: join(base, "ws") };
  }
  const run = (s: GitHubApiServer, ws: string, inputs: Record<string, string>, apiUrl = s.apiUrl) =>
    runAction({
      workspace: ws,
      // `token` is what the runner passes by default (github.token): the App must win over it.
      inputs: { token: s.token, mode: "pull-request", cache: join(cache, "r.json"), ...inputs },
      env: { GITHUB_API_URL: apiUrl, GITHUB_SERVER_URL: s.url },
    });

  it("mints an installation token with a JWT signed by the App's key, opens the PR and pushes with it, commits as the App's bot", async () => {
    const { s, ws } = await setup(appOf());
    const cloned = s.requests.length;
    const r = await run(s, ws, { "app-id": "424242", "app-private-key": keys.privateKey }, s.enterpriseApiUrl);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.outputs["pull-request-operation"], "created");
    const app = s.app!;

    // The JWT: RS256 over the test's key (checked by the emulator), issued by the App id.
    assert.ok(app.jwts.length >= 1);
    assert.ok(app.jwts.every((j) => String(j.iss) === "424242"));
    const jwtOps = s.requests.filter((q) => q.credential === "jwt").map((q) => q.operationId);
    assert.deepEqual(
      [...new Set(jwtOps)].sort(),
      ["apps/create-installation-access-token", "apps/get-authenticated", "apps/get-repo-installation"],
      "the installation is looked up for the repository (no app-installation-id given)",
    );
    assert.ok(
      s.requests.every((q) => q.enterprise || q.surface === "git"),
      "GITHUB_API_URL (GHES form) is honoured",
    );

    // One token for a short run, restricted to this repository.
    assert.equal(app.minted.length, 1);
    const minted = app.minted[0]!;
    assert.deepEqual(minted.request, { repositories: ["manifests"] });

    // The pull request was opened with the installation token, and the branch pushed with it.
    const create = s.requests.find((q) => q.operationId === "pulls/create");
    assert.equal(create?.credential, minted.token);
    const pushes = s.requests.filter((q) => q.surface === "git" && q.path.endsWith("/git-receive-pack"));
    assert.ok(pushes.length >= 1, "the branch was pushed over smart HTTP");
    assert.ok(pushes.every((q) => q.credential === minted.token));
    // The workflow token (`token` input) was never used against GitHub (the test's clone did).
    assert.ok(!s.requests.slice(cloned).some((q) => q.credential === s.token));
    assert.equal(
      git(s.bareRepoPath, ["show", "laminar/updates:k8s/app.yaml"]),
      `image: ${registry.host}/acme/app:develop-2\n`,
    );

    // The commit is the App's bot's (id from GET /users/{slug}[bot]; noreply domain of this server).
    assert.equal(
      git(s.bareRepoPath, ["log", "-1", "--format=%an <%ae>", "laminar/updates"]).trim(),
      "laminar-updater[bot] <99001+laminar-updater[bot]@users.noreply.127.0.0.1>",
    );

    // Token and key are masked and printed nowhere else.
    assert.ok(r.stdout.includes(`::add-mask::${minted.token}`));
    assert.ok(printedOnlyToMask(r, minted.token));
    for (const line of keyLines(keys.privateKey))
      assert.ok(printedOnlyToMask(r, line), "a line of the key was printed");
    assert.ok(!JSON.stringify(r.outputs).includes(minted.token) && !r.summary.includes(minted.token));
    assert.deepEqual(s.violations, []);
    assert.deepEqual(s.responseViolations, []);
  });

  it("mints a new token when the current one nears expiry (a token shorter-lived than the refresh margin is renewed before each use)", async () => {
    // 4 minutes < the 5-minute refresh margin: every use asks for a fresh token.
    const { s, ws } = await setup(appOf({ tokenLifetimeSeconds: 240 }));
    const r = await run(s, ws, {
      "app-id": "424242",
      "app-private-key": keys.privateKey,
      "app-installation-id": "7007",
      author: "Release Bot <release@example.com>",
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const app = s.app!;
    assert.ok(app.minted.length > 1, `expected renewed tokens, got ${app.minted.length}`);
    const used = new Set(s.requests.map((q) => q.credential));
    assert.ok(
      app.minted.every((m) => used.has(m.token)),
      "every token minted was used",
    );
    assert.ok(app.minted.every((m) => printedOnlyToMask(r, m.token) && r.stdout.includes(`::add-mask::${m.token}`)));
    assert.ok(!s.requests.some((q) => q.operationId === "apps/get-repo-installation"), "app-installation-id given");
    // The `author` input beats the App's bot.
    assert.equal(
      git(s.bareRepoPath, ["log", "-1", "--format=%an <%ae>", "laminar/updates"]).trim(),
      "Release Bot <release@example.com>",
    );
    assert.deepEqual(s.violations, []);
  });

  it("a malformed key is an input error naming `app-private-key`; a key of another App fails at GitHub, named too; the key is never printed", async () => {
    const { s, ws } = await setup(appOf());
    const cloned = s.requests.length;
    const garbage =
      "-----BEGIN RSA PRIVATE KEY-----\nTm90QUtleUF0QWxsQnV0TG9va3NMaWtlT25l\n-----END RSA PRIVATE KEY-----\n";
    const bad = await run(s, ws, { "app-id": "424242", "app-private-key": garbage });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /::error::input `app-private-key`: is not a PEM private key/);
    assert.ok(
      !bad.stdout.includes("Tm90QUtleUF0QWxsQnV0TG9va3NMaWtlT25l") ||
        printedOnlyToMask(bad, "Tm90QUtleUF0QWxsQnV0TG9va3NMaWtlT25l"),
    );
    assert.equal(s.requests.length, cloned, "nothing was sent to GitHub");

    const other = appKeys();
    const wrong = await run(s, ws, { "app-id": "424242", "app-private-key": other.privateKey });
    assert.equal(wrong.status, 1);
    assert.match(
      wrong.stdout,
      /::error::input `app-private-key`: GitHub App 424242: GET \/app failed \(A JSON web token could not be decoded/,
    );
    for (const line of keyLines(other.privateKey)) assert.ok(printedOnlyToMask(wrong, line));
    assert.equal(s.app!.minted.length, 0);
    assert.deepEqual(
      s.violations.map((v) => v.problems.join()),
      ["JWT: signature does not verify with the App's public key"],
    );

    const half = await run(s, ws, { "app-id": "424242" });
    assert.match(half.stdout, /::error::input `app-private-key`: is empty, but `app-id` is set/);
  });

  it("the CLI: `laminar apply --pull-request` with LAMINAR_APP_ID and LAMINAR_APP_PRIVATE_KEY_FILE uses the App's token and bot", async () => {
    const { s, ws } = await setup(appOf());
    const cloned = s.requests.length;
    const keyFile = join(mkdtempSync(join(tmpdir(), "laminar-app-key-")), "app.pem");
    writeFileSync(keyFile, keys.privateKey, { mode: 0o600 });
    const env = {
      LAMINAR_APP_ID: "424242",
      LAMINAR_APP_PRIVATE_KEY_FILE: keyFile,
      GITHUB_REPOSITORY: "acme/manifests",
      GITHUB_SERVER_URL: s.url,
      GITHUB_API_URL: s.apiUrl,
    };
    const r = await laminar(["apply", "--dir", ws, "--pull-request", "--cache", join(cache, "cli.json")], env);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Pull request #\d+ created/);
    const app = s.app!;
    assert.equal(app.minted.length, 1);
    const token = app.minted[0]!.token;
    const mine = s.requests.slice(cloned);
    assert.equal(mine.find((q) => q.operationId === "pulls/create")?.credential, token);
    assert.ok(mine.some((q) => q.surface === "git" && q.path.endsWith("/git-receive-pack") && q.credential === token));
    assert.ok(!`${r.stdout}${r.stderr}`.includes(token));
    assert.equal(
      git(s.bareRepoPath, ["log", "-1", "--format=%an <%ae>", "laminar/updates"]).trim(),
      "laminar-updater[bot] <99001+laminar-updater[bot]@users.noreply.127.0.0.1>",
    );

    const bad = await laminar(["apply", "--dir", ws, "--pull-request", "--cache", join(cache, "cli.json")], {
      ...env,
      LAMINAR_APP_PRIVATE_KEY_FILE: "",
      LAMINAR_APP_PRIVATE_KEY: "not a key at all, but secret-ish",
    });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /laminar: LAMINAR_APP_PRIVATE_KEY: is not a PEM private key/);
    assert.ok(!bad.stderr.includes("secret-ish"));
    assert.deepEqual(s.violations, []);
  });
});
