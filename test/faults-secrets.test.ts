/**
 * Fault matrix, secrets: every registry fault of test/faults-registry.test.ts again, with known
 * credentials in play — a password via `passwordEnv`, a bearer token via `tokenEnv`, a docker
 * `config.json` `auth` entry, and `GITHUB_TOKEN` in the environment — and a registry that echoes
 * the credentials it received into its error messages. ALL output is searched: stdout and stderr
 * of `plan --json` and `apply`, every file in the repository afterwards and the registry cache.
 * None of the secrets may appear, raw or base64-encoded. See docs/reliability.md.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RegistryClient } from "../src/registry/index.js";
import {
  startFakeRegistry,
  type FakeRegistry,
  type FakeRegistryOptions,
  type FakeRule,
  type FakeTagSpec,
} from "./helpers/registry/fake-registry.js";
import { freePort } from "./helpers/registry/server.js";
import { laminar, makeRepo, snapshotTree } from "./helpers/faults.js";

const USER = "ci-user";
const PASS = "pw-Secr3t-0f-registry-9f2c";
const TOKEN = "tok-Secr3t-bearer-77aa";
const DOCKER_USER = "docker-user";
const DOCKER_PASS = "dk-Secr3t-config-5511";
const GITHUB_TOKEN = "ghs_Secr3tGithubToken1234567890";
const b64 = (s: string): string => Buffer.from(s).toString("base64");
const b64url = (s: string): string => Buffer.from(s).toString("base64url");

/** Every form a secret could leak in: raw, base64 / base64url of it and of the Basic `user:secret` pair. */
const FORMS: ReadonlyArray<readonly [string, string]> = [
  ...[PASS, TOKEN, DOCKER_PASS, GITHUB_TOKEN].flatMap(
    (s) =>
      [
        [s, s],
        [`base64(${s})`, b64(s)],
        [`base64url(${s})`, b64url(s)],
      ] as const,
  ),
  [`base64(${USER}:${PASS})`, b64(`${USER}:${PASS}`)],
  [`base64(${DOCKER_USER}:${DOCKER_PASS})`, b64(`${DOCKER_USER}:${DOCKER_PASS}`)],
  [`base64(x-access-token:${GITHUB_TOKEN})`, b64(`x-access-token:${GITHUB_TOKEN}`)],
];

function assertNoSecret(where: string, text: string): void {
  for (const [name, form] of FORMS) assert.ok(!text.includes(form), `${where} contains ${name}`);
}

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));
const DEVELOP: FakeTagSpec[] = [1, 2, 3].map((d) => ({ tag: `develop-${d}`, created: day(d) }));
const MANY: FakeTagSpec[] = [...Array.from({ length: 5_000 }, (_, i) => ({ tag: `build-${i}` })), ...DEVELOP];

/** How each of the three sick registries gets its credentials. */
type Kind = "password-env" | "token-env" | "docker-config";
const KINDS: readonly Kind[] = ["password-env", "token-env", "docker-config"];

/** The Authorization header the client sends for each kind (what an echoing registry reflects). */
const AUTHORIZATION: Record<Kind, string> = {
  "password-env": `Basic ${b64(`${USER}:${PASS}`)}`,
  "token-env": `Bearer ${TOKEN}`,
  "docker-config": `Basic ${b64(`${DOCKER_USER}:${DOCKER_PASS}`)}`,
};
const SECRET_OF: Record<Kind, string> = { "password-env": PASS, "token-env": TOKEN, "docker-config": DOCKER_PASS };

const authFor = (kind: Kind, wrong = false): FakeRegistryOptions["auth"] =>
  kind === "token-env"
    ? { scheme: "bearer" }
    : {
        scheme: "basic",
        users:
          kind === "password-env"
            ? { [USER]: wrong ? "other" : PASS }
            : { [DOCKER_USER]: wrong ? "other" : DOCKER_PASS },
      };

const echo = (kind: Kind, status: number): FakeRule => ({
  kind: "tagPages",
  status,
  times: Infinity,
  body: JSON.stringify({
    errors: [{ code: "DENIED", message: `credentials ${AUTHORIZATION[kind]} (secret ${SECRET_OF[kind]}) refused` }],
  }),
});

interface Fault {
  readonly name: string;
  /** A fake registry per kind (with `auth` for that kind), or a host that is not a registry. */
  readonly fake?: (kind: Kind) => { opts: FakeRegistryOptions; rules: FakeRule[] };
  readonly host?: (kind: Kind) => Promise<string>;
  readonly settings?: readonly string[];
  readonly repository?: string;
  readonly suffix?: string;
}

const fake =
  (
    rules: (kind: Kind) => FakeRule[],
    repositories: FakeRegistryOptions["repositories"] = { "acme/app": { tags: DEVELOP } },
    wrong = false,
  ) =>
  (kind: Kind) => ({
    opts: { repositories, auth: authFor(kind, wrong) },
    rules: rules(kind),
  });
const manifestBody = JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { digest: `sha256:${"2".repeat(64)}` },
  layers: [],
});

const FAULTS: readonly Fault[] = [
  { name: "registry down (connection refused)", host: async () => `127.0.0.1:${await freePort()}` },
  { name: "DNS failure (.invalid)", host: async (kind) => `${kind}.invalid` },
  {
    name: "timeout (timeout: 1)",
    fake: fake(() => [{ kind: "tagPages", delayMs: 4_000, times: Infinity }]),
    settings: ["timeout: 1"],
  },
  { name: "401 with wrong credentials", fake: fake(() => [], undefined, true) },
  { name: "403", fake: fake(() => [{ kind: "tagPages", status: 403, times: Infinity }]) },
  { name: "404 repository", fake: fake(() => []), repository: "acme/missing" },
  {
    name: "429 with Retry-After then success",
    fake: fake(() => [{ kind: "tagPages", status: 429, headers: { "retry-after": "1" } }]),
  },
  {
    name: "500/502/503 then success",
    fake: fake(() => [500, 502, 503].map((status) => ({ kind: "tagPages", status }))),
  },
  { name: "503 for ever", fake: fake(() => [{ kind: "tagPages", status: 503, times: Infinity }]) },
  { name: "malformed JSON", fake: fake(() => [{ kind: "tagPages", status: 200, body: '{"tags":[', times: Infinity }]) },
  {
    name: "manifest digest mismatch",
    fake: fake(() => [
      {
        kind: "manifestGet",
        status: 200,
        headers: {
          "content-type": "application/vnd.oci.image.manifest.v1+json",
          "docker-content-digest": `sha256:${"1".repeat(64)}`,
        },
        body: manifestBody,
        times: Infinity,
      },
    ]),
  },
  {
    name: "long paginated tag list with a page cap",
    fake: fake(() => [], { "acme/app": { tags: MANY, pageSize: 100 } }),
    settings: ["pageCap: 20"],
  },
  {
    name: "redirect loop",
    fake: fake(() => [
      { kind: "tagPages", status: 302, headers: { location: "/v2/acme/app/tags/list?n=1000" }, times: Infinity },
    ]),
  },
  { name: "a registry that echoes the credentials in a 401", fake: fake((kind) => [echo(kind, 401)]) },
  { name: "a registry that echoes the credentials in a 403", fake: fake((kind) => [echo(kind, 403)]) },
];

/**
 * Three sick registries (one per credential kind), `plan --json` then `apply`, then every byte
 * of output, of the repository and of the cache is searched for the secrets.
 */
async function runWithSecrets(f: Fault): Promise<void> {
  const fakes: FakeRegistry[] = [];
  try {
    const hosts: Record<Kind, string> = {} as Record<Kind, string>;
    for (const kind of KINDS) {
      if (f.host) hosts[kind] = await f.host(kind);
      else {
        const spec = f.fake!(kind);
        const fk = await startFakeRegistry(spec.opts);
        for (const r of spec.rules) fk.rule({ ...r });
        fakes.push(fk);
        hosts[kind] = fk.host;
      }
    }
    const docker = await mkdtemp(join(tmpdir(), "laminar-docker-config-"));
    await writeFile(
      join(docker, "config.json"),
      JSON.stringify({ auths: { [hosts["docker-config"]]: { auth: b64(`${DOCKER_USER}:${DOCKER_PASS}`) } } }),
    );
    const settings = (f.settings ?? []).map((l) => `    ${l}`);
    const config = [
      "registries:",
      `  - host: ${hosts["password-env"]}`,
      "    usernameEnv: REG_USER",
      "    passwordEnv: REG_PASS",
      ...settings,
      `  - host: ${hosts["token-env"]}`,
      "    tokenEnv: REG_TOKEN",
      ...settings,
      `  - host: ${hosts["docker-config"]}`,
      ...settings,
      "updates:",
      '  - pattern: "glob:develop-*"',
      "    files: [deploy/]",
      "",
    ].join("\n");
    const files: Record<string, string> = { ".laminar.yaml": config };
    for (const kind of KINDS)
      files[`deploy/${kind}.yaml`] = `image: ${hosts[kind]}/${f.repository ?? "acme/app"}${f.suffix ?? ":develop-1"}\n`;
    // plan and apply at the same time on two copies: a slow registry costs its timeouts once.
    const [dir, applyDir] = await Promise.all([makeRepo(files), makeRepo(files)]);
    const cache = await mkdtemp(join(tmpdir(), "laminar-fault-cache-"));
    const env = {
      REG_USER: USER,
      REG_PASS: PASS,
      REG_TOKEN: TOKEN,
      GITHUB_TOKEN,
      DOCKER_CONFIG: docker,
      XDG_CACHE_HOME: cache,
    };

    const [plan, apply] = await Promise.all([
      laminar(["plan", "--dir", dir, "--json"], env),
      laminar(["apply", "--dir", applyDir], env),
    ]);
    assert.ok([0, 3].includes(plan.status) && [0, 3].includes(apply.status), `${plan.stderr}\n${apply.stderr}`);
    JSON.parse(plan.stdout); // the plan JSON is whole
    // The credentials really were in play: each sick fake registry received its Authorization.
    for (const [i, kind] of (f.fake ? KINDS : []).entries()) {
      if (f.name.startsWith("timeout")) continue; // answers only after the client gave up
      assert.ok(
        fakes[i]!.requests.some((r) => r.authorization === AUTHORIZATION[kind]),
        `${kind}: credentials sent`,
      );
    }
    assertNoSecret("plan stdout", plan.stdout);
    assertNoSecret("plan stderr", plan.stderr);
    assertNoSecret("apply stdout", apply.stdout);
    assertNoSecret("apply stderr", apply.stderr);
    for (const [root, what] of [
      [dir, "repository (plan)"],
      [applyDir, "repository (apply)"],
      [cache, "cache"],
    ] as const) {
      for (const [path, entry] of await snapshotTree(root))
        assertNoSecret(`${what} file ${path}`, entry.bytes.toString("latin1"));
    }
  } finally {
    await Promise.all(fakes.map((fk) => fk.stop()));
  }
}

describe("no secret in any output, whatever the registry does (CLI)", { concurrency: 8 }, () => {
  for (const f of FAULTS) it(f.name, () => runWithSecrets(f));
});

describe("GITHUB_TOKEN sent to ghcr.io (library; the fake stands in for ghcr.io)", { concurrency: 4 }, () => {
  /** A RegistryClient whose `ghcr.io` is the fake: GITHUB_TOKEN is the Basic password of the token request. */
  async function ghcr(rules: FakeRule[]): Promise<{ messages: string[]; fake: FakeRegistry }> {
    const fk = await startFakeRegistry({
      repositories: { "acme/app": { tags: DEVELOP } },
      auth: { scheme: "bearer", users: { "x-access-token": GITHUB_TOKEN } },
    });
    for (const r of rules) fk.rule({ ...r });
    const warnings: string[] = [];
    const client = new RegistryClient({
      registries: [{ host: "ghcr.io", endpoint: fk.url }],
      env: { GITHUB_TOKEN },
      retry: { baseDelayMs: 5, maxDelayMs: 20, maxTotalWaitMs: 500, maxRetryAfterMs: 2_000 },
      timeoutMs: 500,
      log: { debug: (m) => warnings.push(m), warn: (m) => warnings.push(m) },
    });
    const messages: string[] = [];
    try {
      const repo = { registry: "ghcr.io", repository: "acme/app" };
      await client.listTags(repo);
      await client.describeTags(repo, { times: ["develop-3"], digests: [] });
    } catch (e) {
      const err = e as Error & { cause?: unknown };
      messages.push(err.message, String(err), JSON.stringify(err), String(err.cause ?? ""), err.stack ?? "");
    } finally {
      await fk.stop();
    }
    return { messages: [...messages, ...warnings], fake: fk };
  }
  const cases: ReadonlyArray<readonly [string, FakeRule[]]> = [
    ["403", [{ kind: "tagPages", status: 403, times: Infinity }]],
    ["503 for ever", [{ kind: "tagPages", status: 503, times: Infinity }]],
    ["slow (timeout)", [{ kind: "tagPages", delayMs: 2_000, times: Infinity }]],
    ["malformed JSON", [{ kind: "tagPages", status: 200, body: "{", times: Infinity }]],
    [
      "redirect loop",
      [{ kind: "tagPages", status: 302, headers: { location: "/v2/acme/app/tags/list" }, times: Infinity }],
    ],
    ["token endpoint 500", [{ kind: "token", status: 500, times: Infinity }]],
    [
      "digest mismatch",
      [
        {
          kind: "manifestGet",
          status: 200,
          headers: { "docker-content-digest": `sha256:${"1".repeat(64)}` },
          body: manifestBody,
          times: Infinity,
        },
      ],
    ],
  ];
  const check = async (rules: FakeRule[]): Promise<void> => {
    const { messages, fake: fk } = await ghcr(rules);
    assert.ok(
      fk.requests.some(
        (r) => r.kind === "token" && r.authorization === `Basic ${b64(`x-access-token:${GITHUB_TOKEN}`)}`,
      ),
      "GITHUB_TOKEN was used",
    );
    for (const m of messages) assertNoSecret(`error/log "${m.slice(0, 80)}"`, m);
  };
  for (const [name, rules] of cases) it(name, () => check(rules));
  // The session masks every credential and token it sent or received in registry error text.
  it("a registry that echoes the token in a 403 (library path)", () =>
    check([
      {
        kind: "tagPages",
        status: 403,
        times: Infinity,
        body: JSON.stringify({ errors: [{ code: "DENIED", message: `token ${GITHUB_TOKEN} refused` }] }),
      },
    ]));
});
