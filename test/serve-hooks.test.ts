/**
 * `laminar serve`'s hosted-registry webhooks (GitHub Packages, Docker Hub, Harbor), the original's
 * `/webhooks/...` endpoints and pause/resume: the engine and HTTP server in-process, against the
 * real registry and bare git remotes. Docker Hub's and GitHub's pushes are pointed at the local
 * registry with `hookHosts` (what a mirror setup does), since tests only talk to 127.0.0.1.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseServerConfig } from "../src/config/server.js";
import { ServeEngine } from "../src/serve/engine.js";
import { buildDockerPushed } from "../src/serve/hooks/build-docker.js";
import { dockerHubPushed } from "../src/serve/hooks/dockerhub.js";
import { githubCommentCommand, githubPackagePushed, githubSignatureMatches } from "../src/serve/hooks/github.js";
import { harborPushed } from "../src/serve/hooks/harbor.js";
import { listenHttp, type RunningHttpServer } from "../src/serve/http.js";
import type { RepositoryStatus } from "../src/serve/types.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const TOKEN = "hooks-test-token-0123456789";
const SECRET = "hooks-test-webhook-secret";
const GH_PATH_TOKEN = "hooks-test-github-path-token";

function remote(base: string, name: string, image: string): string {
  const bare = join(base, `${name}.git`);
  initBareRepo(bare, { "k8s/app.yaml": `image: ${image}:develop-1\n` });
  return bare;
}

const fileAt = (bare: string): string => git(bare, ["show", "main:k8s/app.yaml"]);

interface Running {
  engine: ServeEngine;
  http: RunningHttpServer;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

async function startServe(
  serverYaml: string,
  o: { env?: NodeJS.ProcessEnv; hookHosts?: { dockerhub?: string; ghcr?: string }; stateDir?: string } = {},
): Promise<Running> {
  const stateDir = o.stateDir ?? mkdtempSync(join(tmpdir(), "laminar-hooks-state-"));
  const server = parseServerConfig(serverYaml, "server.yaml", tmpdir());
  const logs: string[] = [];
  const engine = new ServeEngine({
    server,
    stateDir,
    env: { ...process.env, LAMINAR_WEBHOOK_SECRET: "", ...o.env },
    log: (m) => logs.push(m),
    mask: (s) => s,
    debounceMs: 50,
  });
  const http = await listenHttp(
    { engine, apiToken: TOKEN, log: (m) => logs.push(m), ...(o.hookHosts ? { hookHosts: o.hookHosts } : {}) },
    "127.0.0.1",
    0,
  );
  await engine.start();
  return {
    engine,
    http,
    url: `http://${http.address}`,
    logs,
    stop: async () => {
      await engine.stop();
      await http.close();
      if (!o.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` a bounded number of times (no timing assertion: only the outcome is checked). */
async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

async function repos(url: string): Promise<RepositoryStatus[]> {
  const r = await fetch(`${url}/api/v1/repos`);
  assert.equal(r.status, 200);
  return ((await r.json()) as { repositories: RepositoryStatus[] }).repositories;
}

function runsDone(url: string, names: string[], done: (r: RepositoryStatus) => boolean, what: string) {
  return eventually(async () => {
    const mine = (await repos(url)).filter((r) => names.includes(r.name));
    return mine.length === names.length && mine.every((r) => !r.running && done(r)) ? mine : undefined;
  }, what);
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

const sign = (body: string, secret = SECRET) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const rules = `    updates:\n      - pattern: "glob:develop-*"\n        files: [k8s]\n`;
const day = (d: number) => new Date(`2026-11-0${d}T00:00:00Z`);

describe("serve webhook payload readers", () => {
  it("GitHub: signature, package events, comment commands", () => {
    const body = Buffer.from('{"a":1}');
    assert.equal(githubSignatureMatches(sign('{"a":1}'), body, SECRET), true);
    assert.equal(githubSignatureMatches(sign('{"a":1}', "other"), body, SECRET), false);
    assert.equal(githubSignatureMatches("sha256=zz", body, SECRET), false);
    assert.equal(githubSignatureMatches(undefined, body, SECRET), false);
    const pkg = {
      namespace: "Acme",
      name: "App",
      package_type: "CONTAINER",
      package_version: { container_metadata: { tag: { name: "v2" } } },
    };
    assert.deepEqual(githubPackagePushed("registry_package", { action: "published", registry_package: pkg }), {
      repository: "acme/app",
      host: "ghcr.io",
      tag: "v2",
    });
    assert.equal(
      githubPackagePushed("package", { action: "published", package: { ...pkg, package_type: "npm" } }),
      undefined,
    );
    const { package_type: _, ...byEcosystem } = pkg;
    assert.deepEqual(
      githubPackagePushed("registry_package", {
        action: "updated",
        registry_package: { ...byEcosystem, ecosystem: "CONTAINER" },
      }),
      { repository: "acme/app", host: "ghcr.io", tag: "v2" },
    );
    assert.equal(githubCommentCommand({ action: "created", comment: { body: "ok [laminar pause] now" } }), "pause");
    assert.equal(githubCommentCommand({ action: "created", comment: { body: "[Laminar Resume]" } }), "resume");
    assert.equal(githubCommentCommand({ action: "deleted", comment: { body: "[laminar pause]" } }), undefined);
    assert.equal(githubCommentCommand({ action: "created", comment: { body: "lgtm" } }), undefined);
  });

  it("Docker Hub, Harbor and the original build hook", () => {
    assert.deepEqual(dockerHubPushed({ repository: { repo_name: "nginx" }, push_data: { tag: "1.27" } }), {
      repository: "library/nginx",
      host: "docker.io",
      tag: "1.27",
    });
    assert.deepEqual(
      harborPushed({
        type: "PUSH_ARTIFACT",
        event_data: {
          repository: { repo_full_name: "proj/app" },
          resources: [{ tag: "v1", resource_url: "harbor.example.test:8443/proj/app:v1" }],
        },
      }),
      [{ repository: "proj/app", host: "harbor.example.test:8443", tag: "v1" }],
    );
    assert.deepEqual(harborPushed({ type: "PULL_ARTIFACT" }), []);
    assert.deepEqual(buildDockerPushed({ url: "registry.example.test/acme/app:v3" }), {
      repository: "acme/app",
      host: "registry.example.test",
      tag: "v3",
    });
    assert.deepEqual(buildDockerPushed({ url: "acme/app", docker_registry_url: "https://127.0.0.1:5000/" }), {
      repository: "acme/app",
      host: "127.0.0.1:5000",
    });
    assert.deepEqual(buildDockerPushed({ url: "acme/app" }), { repository: "acme/app" });
  });
});

describe("laminar serve: hosted-registry webhooks and pause", () => {
  let registry: RunningRegistry;
  let base: string;
  before(async () => {
    registry = await startRegistry();
    base = mkdtempSync(join(tmpdir(), "laminar-hooks-remotes-"));
    await seedImages(
      registry,
      ["gh", "bystander", "dh", "hb", "bd", "paused"].map((n) => ({
        repository: `acme/${n}`,
        tag: "develop-1",
        created: day(1),
      })),
    );
  });
  after(async () => {
    await registry?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it("GitHub: a signed registry_package event runs only the repository using the image", async () => {
    const a = remote(base, "uses-gh", `${registry.host}/acme/gh`);
    const b = remote(base, "uses-bystander", `${registry.host}/acme/bystander`);
    const s = await startServe(
      `git:\n  - name: uses-gh\n    url: ${a}\n    pollFreq: 3600\n${rules}` +
        `  - name: uses-bystander\n    url: ${b}\n    pollFreq: 3600\n${rules}`,
      { env: { LAMINAR_WEBHOOK_SECRET: SECRET }, hookHosts: { ghcr: registry.host } },
    );
    try {
      await runsDone(s.url, ["uses-gh", "uses-bystander"], (r) => r.lastRun?.result === "success", "first runs");
      const bystanderHead = git(b, ["rev-parse", "main"]);
      await seedImages(registry, [{ repository: "acme/gh", tag: "develop-2", created: day(2) }]);
      const body = JSON.stringify({
        action: "published",
        registry_package: {
          namespace: "acme",
          name: "gh",
          package_type: "CONTAINER",
          package_version: { container_metadata: { tag: { name: "develop-2" } } },
        },
      });
      const hook = `${s.url}/api/v1/hooks/github`;

      const bad = await post(hook, body, { "x-github-event": "registry_package", "x-hub-signature-256": sign("{}") });
      assert.equal(bad.status, 401);
      const unsigned = await post(hook, body, { "x-github-event": "registry_package" });
      assert.equal(unsigned.status, 401);
      const ping = await post(hook, '{"zen":"hi"}', {
        "x-github-event": "ping",
        "x-hub-signature-256": sign('{"zen":"hi"}'),
      });
      assert.equal(ping.status, 200);
      // A full run of the other repository outlasts the debounce: had a rejected delivery queued
      // anything, uses-gh would have run (and pushed develop-2) by the time it ends.
      assert.equal(
        (await post(`${s.url}/api/v1/repos/uses-bystander/sync`, "", { authorization: `Bearer ${TOKEN}` })).status,
        202,
      );
      await runsDone(s.url, ["uses-bystander"], (x) => x.lastRun?.trigger === "api", "bystander api run");
      const [untouched] = (await repos(s.url)).filter((x) => x.name === "uses-gh");
      assert.equal(untouched?.lastRun?.trigger, "schedule");
      assert.equal(fileAt(a), `image: ${registry.host}/acme/gh:develop-1\n`);

      const r = await post(hook, body, { "x-github-event": "registry_package", "x-hub-signature-256": sign(body) });
      assert.equal(r.status, 202);
      assert.deepEqual(await r.json(), { triggered: ["uses-gh"] });
      const [done] = await runsDone(s.url, ["uses-gh"], (x) => x.lastRun?.trigger === "webhook", "webhook run");
      assert.equal(done?.lastRun?.changes[0]?.to, "develop-2");
      assert.equal(fileAt(a), `image: ${registry.host}/acme/gh:develop-2\n`);
      assert.equal(git(b, ["rev-parse", "main"]), bystanderHead);
      assert.equal(s.logs.filter((l) => l.startsWith("uses-gh: pushed")).length, 1, s.logs.join("\n"));
      const [other] = (await repos(s.url)).filter((x) => x.name === "uses-bystander");
      assert.equal(other?.lastRun?.trigger, "api");
    } finally {
      await s.stop();
    }
  });

  it("GitHub: the signature is checked on the raw body before anything reads or parses it", async () => {
    const a = remote(base, "sig-order", `${registry.host}/acme/gh`);
    const s = await startServe(`git:\n  - name: sig-order\n    url: ${a}\n    pollFreq: 3600\n${rules}`, {
      env: { LAMINAR_WEBHOOK_SECRET: SECRET },
    });
    try {
      const hook = `${s.url}/api/v1/hooks/github`;
      const ev = { "x-github-event": "registry_package" };
      const error = async (r: Response) => ((await r.json()) as { error: string }).error;
      // Unsigned and 2 MiB: refused as unsigned (401), not as too large (413): the body was never read.
      const big = await post(hook, `{"pad":"${"x".repeat(2 * 1024 * 1024)}"}`, ev);
      assert.equal(big.status, 401);
      assert.match(await error(big), /X-Hub-Signature-256/);
      // Not JSON with a wrong or malformed signature: 401, not the parser's 400.
      const notJson = "{not json";
      for (const signature of [sign("{}"), "sha256=zz", `sha1=${"0".repeat(40)}`]) {
        const r = await post(hook, notJson, { ...ev, "x-hub-signature-256": signature });
        assert.equal(r.status, 401, signature);
      }
      // Signed by the secret: now it is parsed, and its faults are the sender's (400).
      const signed = await post(hook, notJson, { ...ev, "x-hub-signature-256": sign(notJson) });
      assert.equal(signed.status, 400);
      assert.match(await error(signed), /not JSON/);
      // A body changed after signing (one byte) is refused.
      const body = '{"action":"published"}';
      const tampered = await post(hook, body.replace("published", "Published"), {
        ...ev,
        "x-hub-signature-256": sign(body),
      });
      assert.equal(tampered.status, 401);
    } finally {
      await s.stop();
    }
  });

  it("GitHub: without LAMINAR_WEBHOOK_SECRET the endpoint answers 403", async () => {
    const a = remote(base, "no-secret", `${registry.host}/acme/gh`);
    const s = await startServe(`git:\n  - name: no-secret\n    url: ${a}\n    pollFreq: 3600\n${rules}`);
    try {
      const r = await post(`${s.url}/api/v1/hooks/github`, "{}", {
        "x-github-event": "ping",
        "x-hub-signature-256": sign("{}"),
      });
      assert.equal(r.status, 403);
      assert.match(((await r.json()) as { error: string }).error, /LAMINAR_WEBHOOK_SECRET/);
    } finally {
      await s.stop();
    }
  });

  it("Docker Hub (token in the path), Harbor (Bearer) and the original /webhooks/build/docker trigger runs", async () => {
    const dh = remote(base, "uses-dh", `${registry.host}/acme/dh`);
    const hb = remote(base, "uses-hb", `${registry.host}/acme/hb`);
    const bd = remote(base, "uses-bd", `${registry.host}/acme/bd`);
    const s = await startServe(
      `git:\n  - name: uses-dh\n    url: ${dh}\n    pollFreq: 3600\n${rules}` +
        `  - name: uses-hb\n    url: ${hb}\n    pollFreq: 3600\n${rules}` +
        `  - name: uses-bd\n    url: ${bd}\n    pollFreq: 3600\n${rules}`,
      { hookHosts: { dockerhub: registry.host } },
    );
    try {
      const names = ["uses-dh", "uses-hb", "uses-bd"];
      await runsDone(s.url, names, (r) => r.lastRun?.result === "success", "first runs");
      await seedImages(
        registry,
        ["dh", "hb", "bd"].map((n) => ({ repository: `acme/${n}`, tag: "develop-2", created: day(2) })),
      );
      const dockerHub = JSON.stringify({ push_data: { tag: "develop-2" }, repository: { repo_name: "acme/dh" } });
      const harbor = JSON.stringify({
        type: "PUSH_ARTIFACT",
        event_data: {
          repository: { repo_full_name: "acme/hb" },
          resources: [{ tag: "develop-2", resource_url: `${registry.host}/acme/hb:develop-2` }],
        },
      });
      const build = JSON.stringify({ url: "acme/bd:develop-2", docker_registry_url: `http://${registry.host}` });

      // Wrong tokens first: nothing may run from them.
      assert.equal((await post(`${s.url}/api/v1/hooks/dockerhub/wrong`, dockerHub)).status, 401);
      assert.equal((await post(`${s.url}/api/v1/hooks/dockerhub`, dockerHub)).status, 401);
      assert.equal((await post(`${s.url}/api/v1/hooks/dockerhub?token=${TOKEN}`, dockerHub)).status, 401);
      assert.equal((await post(`${s.url}/api/v1/hooks/harbor`, harbor, { authorization: "Bearer wrong" })).status, 401);
      assert.equal((await post(`${s.url}/webhooks/build/docker`, build)).status, 401);
      assert.ok(!s.logs.some((l) => l.includes(TOKEN)), "the token is never logged");

      const auth = { authorization: `Bearer ${TOKEN}` };
      const r1 = await post(`${s.url}/api/v1/hooks/dockerhub/${TOKEN}`, dockerHub);
      assert.equal(r1.status, 202);
      assert.deepEqual(await r1.json(), { triggered: ["uses-dh"] });
      const r2 = await post(`${s.url}/api/v1/hooks/harbor`, harbor, auth);
      assert.equal(r2.status, 202);
      assert.deepEqual(await r2.json(), { triggered: ["uses-hb"] });
      const r3 = await post(`${s.url}/webhooks/build/docker`, build, auth);
      assert.equal(r3.status, 202);
      assert.deepEqual(await r3.json(), { triggered: ["uses-bd"] });

      const done = await runsDone(s.url, names, (x) => x.lastRun?.trigger === "webhook", "webhook runs");
      assert.ok(done.every((x) => x.lastRun?.changes[0]?.to === "develop-2"));
      for (const [bare, n] of [
        [dh, "dh"],
        [hb, "hb"],
        [bd, "bd"],
      ] as const)
        assert.equal(fileAt(bare), `image: ${registry.host}/acme/${n}:develop-2\n`);
    } finally {
      await s.stop();
    }
  });

  it("a [laminar pause] comment stops webhook runs until resumed; the resume runs what was missed", async () => {
    const a = remote(base, "uses-paused", `${registry.host}/acme/paused`);
    const s = await startServe(
      `global:\n  gitHubToken: ${GH_PATH_TOKEN}\ngit:\n  - name: uses-paused\n    url: ${a}\n    pollFreq: 3600\n${rules}`,
    );
    try {
      await runsDone(s.url, ["uses-paused"], (r) => r.lastRun?.result === "success", "first run");
      const head = git(a, ["rev-parse", "main"]);
      const comment = (text: string, association = "MEMBER") =>
        JSON.stringify({
          action: "created",
          comment: { body: text, author_association: association, user: { login: `someone-${association}` } },
        });
      const ev = { "x-github-event": "issue_comment" };
      assert.equal((await post(`${s.url}/webhooks/github/wrong`, comment("[laminar pause]"), ev)).status, 401);
      assert.equal((await repos(s.url))[0]?.paused, false);
      // Anyone can comment on a public repository: only its owner, members and collaborators pause it.
      for (const association of ["NONE", "CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR"]) {
        const ignored = await post(
          `${s.url}/webhooks/github/${GH_PATH_TOKEN}`,
          comment("[laminar pause]", association),
          ev,
        );
        assert.equal(ignored.status, 202);
        assert.match(
          ((await ignored.json()) as { ignored: string }).ignored,
          new RegExp(`author_association ${association} is not OWNER, MEMBER, COLLABORATOR`),
        );
        assert.ok(s.logs.some((l) => l.includes(`[laminar pause] comment by "someone-${association}" ignored`)));
      }
      const noAssociation = JSON.stringify({ action: "created", comment: { body: "[laminar pause]" } });
      assert.equal((await post(`${s.url}/webhooks/github/${GH_PATH_TOKEN}`, noAssociation, ev)).status, 202);
      assert.equal((await repos(s.url))[0]?.paused, false, "no untrusted comment paused anything");

      const p = await post(`${s.url}/webhooks/github/${GH_PATH_TOKEN}`, comment("deploy freeze [laminar pause]"), ev);
      assert.equal(p.status, 200);
      const paused = (await p.json()) as { paused: boolean; until: string };
      assert.equal(paused.paused, true);
      assert.match(paused.until, /laminar resume/);
      assert.ok(
        s.logs.some((l) =>
          /updates paused by .* until resumed \(a \[laminar resume\] comment, or POST \/api\/v1\/resume/.test(l),
        ),
        s.logs.join("\n"),
      );
      assert.match(await (await fetch(`${s.url}/metrics`)).text(), /^laminar_paused 1$/m);

      await seedImages(registry, [{ repository: "acme/paused", tag: "develop-2", created: day(2) }]);
      const envelope = JSON.stringify({
        events: [{ action: "push", target: { repository: "acme/paused" }, request: { host: registry.host } }],
      });
      const h = await post(`${s.url}/api/v1/hooks/distribution`, envelope, { authorization: `Bearer ${TOKEN}` });
      assert.equal(h.status, 202);
      assert.equal(((await h.json()) as { paused?: boolean }).paused, true);
      const [skipped] = await runsDone(s.url, ["uses-paused"], (r) => r.skippedWhilePaused === 1, "skipped run");
      assert.equal(skipped?.paused, true);
      assert.ok(skipped?.pausedSince);
      assert.equal(skipped?.lastRun?.trigger, "schedule");
      assert.equal(git(a, ["rev-parse", "main"]), head);

      const r = await post(`${s.url}/api/v1/resume`, "", { authorization: `Bearer ${TOKEN}` });
      assert.equal(r.status, 200);
      assert.deepEqual(await r.json(), { paused: false, queued: ["uses-paused"] });
      const [resumed] = await runsDone(s.url, ["uses-paused"], (x) => x.lastRun?.trigger === "resume", "resumed run");
      assert.equal(resumed?.paused, false);
      assert.equal(fileAt(a), `image: ${registry.host}/acme/paused:develop-2\n`);
      assert.match(await (await fetch(`${s.url}/metrics`)).text(), /^laminar_paused 0$/m);
    } finally {
      await s.stop();
    }
  });

  it("a pause survives a restart: it lasts until resumed", async () => {
    const a = remote(base, "restart-paused", `${registry.host}/acme/paused`);
    const stateDir = mkdtempSync(join(tmpdir(), "laminar-hooks-state-"));
    const yaml = `git:\n  - name: restart-paused\n    url: ${a}\n    pollFreq: 3600\n${rules}`;
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      const first = await startServe(yaml, { stateDir });
      try {
        await runsDone(first.url, ["restart-paused"], (r) => r.lastRun?.result === "success", "first run");
        const p = await post(`${first.url}/api/v1/pause`, "", auth);
        assert.equal(p.status, 200);
        assert.equal(((await p.json()) as { paused: boolean }).paused, true);
      } finally {
        await first.stop();
      }
      const head = git(a, ["rev-parse", "main"]);
      const second = await startServe(yaml, { stateDir });
      try {
        // The restart's first scheduled run is skipped: the pause came back from the state dir.
        const [r] = await runsDone(second.url, ["restart-paused"], (x) => x.skippedWhilePaused === 1, "skipped");
        assert.equal(r?.paused, true);
        assert.equal(r?.lastRun, undefined);
        assert.equal(git(a, ["rev-parse", "main"]), head);
        const resumed = await post(`${second.url}/api/v1/resume`, "", auth);
        assert.deepEqual(await resumed.json(), { paused: false, queued: ["restart-paused"] });
        await runsDone(second.url, ["restart-paused"], (x) => x.lastRun?.trigger === "resume", "resumed run");
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
