/**
 * One masker fed by one collector (issue #9): the CLI, watch and the Action mask the same set of
 * secrets, with one minimum length, and a malformed docker config.json entry is named without
 * losing the well-formed ones. Real parts: the CLI as a child process, the fake registry (with
 * Basic auth), docker's config.json on disk; the Action test runs dist/index.js as the runner does.
 */
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { resolveCredential } from "../src/registry/credentials.js";
import { parseDockerConfig } from "../src/registry/docker-config.js";
import { knownSecrets } from "../src/secrets/known-secrets.js";
import { maskableForms, SecretMasker, MIN_SECRET_LENGTH } from "../src/secrets/masker.js";
import { laminar, makeRepo } from "./helpers/faults.js";
import { runAction } from "./helpers/action-runner.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startFakeRegistry, type FakeRegistry } from "./helpers/registry/fake-registry.js";

isolateGitConfig();

const DOCKER_USER = "dk-user";
const DOCKER_PASS = "dk-Secr3t-good-entry-4471";
/** Five characters: the CLI's old masker (minimum 6) printed it, the registry session (4) hid it. */
const SHORT = "s3cr5";
const BAD_AUTH = "this is not base64!";
const b64 = (s: string): string => Buffer.from(s).toString("base64");
const GOOD_AUTH = b64(`${DOCKER_USER}:${DOCKER_PASS}`);
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

/** The forms any output could carry the secrets in (what each front end must mask). */
const SECRETS: ReadonlyArray<readonly [string, string | undefined]> = [
  [DOCKER_PASS, DOCKER_USER],
  [GOOD_AUTH, undefined],
  [SHORT, "short-user"],
];
const FORMS = SECRETS.flatMap(([s, u]) => maskableForms(s, u));

function assertNoSecret(where: string, text: string): void {
  for (const form of FORMS) assert.ok(!text.includes(form), `${where} contains a form of a secret`);
}

describe("docker config.json: one reader, each entry on its own", () => {
  const text = JSON.stringify({
    auths: { "127.0.0.1:5000": { auth: GOOD_AUTH }, "ghcr.io": { auth: BAD_AUTH }, "quay.io": 42 },
    credHelpers: { "gcr.io": "gcloud", "ecr.example": 7 },
  });

  it("a malformed entry is named (file and key, no value); the well-formed one is decoded and kept", () => {
    const file = parseDockerConfig(text, "/home/ci/.docker/config.json");
    assert.deepEqual(file.config.auths["127.0.0.1:5000"], {
      auth: GOOD_AUTH,
      username: DOCKER_USER,
      password: DOCKER_PASS,
    });
    assert.deepEqual(file.config.credHelpers, { "gcr.io": "gcloud" });
    assert.deepEqual(
      file.problems.map((p) => p.message),
      [
        '/home/ci/.docker/config.json: auths["ghcr.io"].auth is not base64 "user:password"; ignored',
        '/home/ci/.docker/config.json: auths["quay.io"] is not an object; ignored',
        '/home/ci/.docker/config.json: credHelpers["ecr.example"] is not a helper name; ignored',
      ],
    );
    assert.ok(!JSON.stringify(file.problems).includes(BAD_AUTH), "no value in a problem");
  });

  it("the masker still masks the well-formed entry's password when another entry is malformed", () => {
    const masker = new SecretMasker();
    masker.addAll(knownSecrets({ env: {}, dockerConfig: parseDockerConfig(text, "config.json").config }));
    const line = `auth ${GOOD_AUTH} user ${DOCKER_USER} password ${DOCKER_PASS} basic ${b64(`${DOCKER_USER}:${DOCKER_PASS}`)}`;
    assert.equal(masker.mask(line), `auth *** user ${DOCKER_USER} password *** basic ***`);
    // The malformed value is still masked: it gives no credential but may be one.
    assert.equal(masker.mask(`raw ${BAD_AUTH}`), "raw ***");
  });

  it("credential lookup: the good entry is used; the bad one is named only for the host it belongs to", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-docker-config-"));
    await writeFile(join(dir, "config.json"), text);
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);
    assert.deepEqual(await resolveCredential("127.0.0.1:5000", { env: { DOCKER_CONFIG: dir }, warn }), {
      kind: "basic",
      username: DOCKER_USER,
      password: DOCKER_PASS,
    });
    assert.deepEqual(warnings, []);
    // ghcr.io's entry is unusable: named, and the GITHUB_TOKEN fallback still applies.
    assert.deepEqual(await resolveCredential("ghcr.io", { env: { DOCKER_CONFIG: dir, GITHUB_TOKEN: "ghs_x" }, warn }), {
      kind: "basic",
      username: "x-access-token",
      password: "ghs_x",
    });
    assert.deepEqual(warnings, [
      `credentials for ghcr.io: ${join(dir, "config.json")}: auths["ghcr.io"].auth is not base64 "user:password"; ignored`,
    ]);
  });

  it("not JSON: named, and the parser's message (which may quote the text) is not repeated", () => {
    const file = parseDockerConfig(`{"auths": {"x": {"password": "${DOCKER_PASS}"`, "/d/config.json");
    assert.deepEqual(
      file.problems.map((p) => p.message),
      ["/d/config.json: not valid JSON; its credentials are not used"],
    );
    assert.deepEqual(file.config.auths, {});
  });

  it(`one minimum length (${MIN_SECRET_LENGTH}) for every form`, () => {
    assert.deepEqual(maskableForms("abc"), []);
    assert.ok(maskableForms(SHORT).includes(SHORT));
  });
});

describe("every front end masks the same set (CLI apply, watch, Action)", { concurrency: 3 }, () => {
  let fake: FakeRegistry;
  let dockerDir: string;
  before(async () => {
    fake = await startFakeRegistry({
      repositories: { "acme/app": { tags: [1, 2, 3].map((d) => ({ tag: `develop-${d}`, created: day(d) })) } },
      auth: { scheme: "basic", users: { [DOCKER_USER]: DOCKER_PASS } },
    });
    dockerDir = await mkdtemp(join(tmpdir(), "laminar-docker-config-"));
    await writeFile(
      join(dockerDir, "config.json"),
      JSON.stringify({ auths: { [fake.host]: { auth: GOOD_AUTH }, "ghcr.io": { auth: BAD_AUTH } } }),
    );
  });
  after(() => fake?.stop());

  /** A config whose command prints the short secret and dumps docker's config.json, then fails. */
  const files = (): Record<string, string> => ({
    ".laminar.yaml": [
      "registries:",
      `  - host: ${fake.host}`,
      "  - host: other.invalid",
      "    usernameEnv: SHORT_USER",
      "    passwordEnv: SHORT_PASS",
      "updates:",
      "  - pattern: glob:develop-*",
      "    files: [k8s]",
      "commands:",
      '  - echo "short=$SHORT_PASS"; cat "$DOCKER_CONFIG/config.json"; exit 1',
      "",
    ].join("\n"),
    "k8s/app.yaml": `image: ${fake.host}/acme/app:develop-1\n`,
  });
  const env = (): Record<string, string> => ({ SHORT_USER: "short-user", SHORT_PASS: SHORT, DOCKER_CONFIG: dockerDir });
  const usedGoodCredentials = (): boolean => fake.requests.some((r) => r.authorization === `Basic ${GOOD_AUTH}`);

  it("CLI apply: the command's output is masked, the good entry is used, the bad entry is named", async () => {
    const dir = await makeRepo(files());
    const r = await laminar(["apply", "--dir", dir], {
      ...env(),
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 1, r.stderr);
    assert.ok(usedGoodCredentials(), "the well-formed entry's credentials were sent");
    assert.match(r.stderr, /^short=\*\*\*$/m);
    assert.ok(
      r.stderr.includes(
        `laminar: warning: ${join(dockerDir, "config.json")}: auths["ghcr.io"].auth is not base64 "user:password"; ignored`,
      ),
      r.stderr,
    );
    assertNoSecret("apply stdout", r.stdout);
    assertNoSecret("apply stderr", r.stderr);
    assert.ok(!r.stderr.includes(BAD_AUTH), "the malformed value is masked too");
  });

  it("watch --once: the same masking", async () => {
    const dir = await makeRepo(files());
    const r = await laminar(["watch", "--once", "--dir", dir], {
      ...env(),
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^short=\*\*\*$/m);
    assertNoSecret("watch stdout", r.stdout);
    assertNoSecret("watch stderr", r.stderr);
  });

  it("Action: every form the CLI masks is handed to the runner's add-mask", async () => {
    const base = mkdtempSync(join(tmpdir(), "laminar-action-secrets-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, files());
    const workspace = join(base, "workspace");
    git(base, ["clone", "--quiet", bare, workspace]);
    const r = await runAction({
      workspace,
      inputs: { token: "ghs_actionsecretstoken99", cache: join(base, "registry.json") },
      env: env(),
    });
    assert.equal(r.status, 1, r.stdout);
    const masked = new Set(
      r.stdout
        .split("\n")
        .filter((l) => l.startsWith("::add-mask::"))
        .map((l) => l.slice("::add-mask::".length)),
    );
    for (const form of FORMS) assert.ok(masked.has(form), `add-mask for a form of a known secret`);
    assert.ok(masked.has(SHORT), "the short secret the CLI used to skip");
  });
});
