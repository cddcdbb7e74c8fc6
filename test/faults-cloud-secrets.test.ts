/**
 * Cloud credentials (issue #11) never leak: AWS keys and session tokens, a Google service
 * account's private key (the file `GOOGLE_APPLICATION_CREDENTIALS` names), an Azure client secret
 * a GitHub App's private key (variable and file) and the federated OIDC tokens of
 * `AWS_WEB_IDENTITY_TOKEN_FILE` / `AZURE_FEDERATED_TOKEN_FILE` are in the environment of `plan --json` and `apply`, and the
 * registry answers 403 with all of them quoted in its error message — the tempting case. stdout,
 * stderr, every file of the repository afterwards and the registry cache are searched for each
 * secret, raw and base64, and for every line of the PEM keys.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startFakeRegistry } from "./helpers/registry/fake-registry.js";
import { laminar, makeRepo, snapshotTree } from "./helpers/faults.js";

const pem = (): string =>
  generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/cloudSecr3tKEY";
const AWS_SESSION = "IQoJb3JpZ2luX2VjSecr3t-session-token";
const AZURE_SECRET = "azure-Secr3t-client-secret-8e1f";
const GOOGLE_KEY = pem();
const APP_KEY = pem();
const APP_KEY_IN_FILE = pem();
const AWS_OIDC = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJzdHMuYW1hem9uYXdzLmNvbSJ9.awsSecr3tSig";
const AZURE_OIDC = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJhcGk6Ly9BenVyZUFEVG9rZW5FeGNoYW5nZSJ9.azSecr3tSig";

/** The secrets and the forms they could leak in: whole, base64, and each body line of a PEM key. */
const FORMS: ReadonlyArray<readonly [string, string]> = [
  ["AWS_SECRET_ACCESS_KEY", AWS_SECRET],
  ["AWS_SESSION_TOKEN", AWS_SESSION],
  ["AZURE_CLIENT_SECRET", AZURE_SECRET],
  ["Google private_key", GOOGLE_KEY],
  ["LAMINAR_APP_PRIVATE_KEY", APP_KEY],
  ["LAMINAR_APP_PRIVATE_KEY_FILE's key", APP_KEY_IN_FILE],
  ["AWS_WEB_IDENTITY_TOKEN_FILE's token", AWS_OIDC],
  ["AZURE_FEDERATED_TOKEN_FILE's token", AZURE_OIDC],
].flatMap(([name, s]) => [
  [name!, s!] as const,
  [`base64(${name})`, Buffer.from(s!).toString("base64")] as const,
  ...s!
    .split("\n")
    .filter((l) => l.length > 20 && !l.startsWith("-----"))
    .map((l, i) => [`${name} line ${i + 1}`, l] as const),
]);

function assertNoSecret(where: string, text: string): void {
  for (const [name, form] of FORMS) assert.ok(!text.includes(form), `${where} contains ${name}`);
}

test("cloud secrets in the environment never reach output, cache or repository, even when a registry echoes them", async () => {
  const echoed = [
    AWS_SECRET,
    AWS_SESSION,
    AZURE_SECRET,
    GOOGLE_KEY,
    APP_KEY,
    APP_KEY_IN_FILE,
    AWS_OIDC,
    AZURE_OIDC,
  ].join(" | ");
  const fk = await startFakeRegistry({
    repositories: { "acme/app": { tags: [{ tag: "develop-1" }, { tag: "develop-2" }] } },
  });
  try {
    fk.rule({
      kind: "tagPages",
      status: 403,
      times: Infinity,
      body: JSON.stringify({ errors: [{ code: "DENIED", message: `refused credentials ${echoed}` }] }),
    });
    const creds = await mkdtemp(join(tmpdir(), "laminar-gcreds-"));
    const googleFile = join(creds, "sa.json");
    await writeFile(
      googleFile,
      JSON.stringify({
        type: "service_account",
        project_id: "laminar-test",
        private_key_id: "0123456789abcdef",
        private_key: GOOGLE_KEY,
        client_email: "laminar@laminar-test.iam.gserviceaccount.com",
        token_uri: "http://127.0.0.1:1/token",
      }),
    );
    await writeFile(join(creds, "app.pem"), APP_KEY_IN_FILE);
    await writeFile(join(creds, "aws-oidc"), AWS_OIDC);
    await writeFile(join(creds, "azure-oidc"), `${AZURE_OIDC}\n`);
    const files = {
      ".laminar.yaml": `updates:\n  - pattern: "glob:develop-*"\n    files: [deploy/]\n`,
      "deploy/app.yaml": `image: ${fk.host}/acme/app:develop-1\n`,
    };
    const [dir, applyDir] = await Promise.all([makeRepo(files), makeRepo(files)]);
    const cache = await mkdtemp(join(tmpdir(), "laminar-fault-cache-"));
    const env = {
      AWS_ACCESS_KEY_ID: "AKIDCLOUDSECRETS",
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
      AWS_SESSION_TOKEN: AWS_SESSION,
      AWS_EC2_METADATA_DISABLED: "true",
      GOOGLE_APPLICATION_CREDENTIALS: googleFile,
      AZURE_TENANT_ID: "laminar-tenant",
      AZURE_CLIENT_ID: "laminar-client",
      AZURE_CLIENT_SECRET: AZURE_SECRET,
      AWS_WEB_IDENTITY_TOKEN_FILE: join(creds, "aws-oidc"),
      AZURE_FEDERATED_TOKEN_FILE: join(creds, "azure-oidc"),
      LAMINAR_APP_PRIVATE_KEY: APP_KEY,
      LAMINAR_APP_PRIVATE_KEY_FILE: join(creds, "app.pem"),
      DOCKER_CONFIG: join(creds, "no-docker"),
      XDG_CACHE_HOME: cache,
    };
    const [plan, apply] = await Promise.all([
      laminar(["plan", "--dir", dir, "--json"], env),
      laminar(["apply", "--dir", applyDir], env),
    ]);
    assert.equal(plan.status, 3, plan.stderr);
    assert.equal(apply.status, 3, apply.stderr);
    // The registry's refusal did reach the user (masked), so the echo was in play.
    const failure = JSON.parse(plan.stdout).failures[0].message as string;
    assert.match(failure, /403/);
    assert.match(failure, /\*\*\*/, "the echoed secrets are shown masked");
    assert.ok(fk.requests.some((r) => r.kind === "tagPages"));
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
    await fk.stop();
  }
});

test("the OIDC token of a Google external_account file (credential_source.file, text or JSON) is masked", async () => {
  // What google-github-actions/auth leaves for workload identity federation: the file names a
  // token file; the token is as secret as a key. The registry echoes it back in its refusal.
  const oidc = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJnb29nbGUifQ.googleSecr3tSig";
  const inJson = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqc29uIn0.googleJsonSecr3tSig";
  const fk = await startFakeRegistry({
    repositories: { "acme/app": { tags: [{ tag: "develop-1" }, { tag: "develop-2" }] } },
  });
  try {
    fk.rule({
      kind: "tagPages",
      status: 403,
      times: Infinity,
      body: JSON.stringify({ errors: [{ code: "DENIED", message: `refused subject tokens ${oidc} | ${inJson}` }] }),
    });
    const creds = await mkdtemp(join(tmpdir(), "laminar-gwif-"));
    await writeFile(join(creds, "oidc"), `${oidc}\n`);
    await writeFile(join(creds, "oidc.json"), JSON.stringify({ id_token: inJson, note: "ci" }));
    const external = async (name: string, source: object) => {
      await writeFile(
        join(creds, name),
        JSON.stringify({
          type: "external_account",
          audience: "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh",
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          token_url: "http://127.0.0.1:1/v1/token",
          credential_source: source,
        }),
      );
      return join(creds, name);
    };
    const textFile = await external("text.json", { file: join(creds, "oidc") });
    const jsonFile = await external("json.json", {
      file: join(creds, "oidc.json"),
      format: { type: "json", subject_token_field_name: "id_token" },
    });
    const files = {
      ".laminar.yaml": `updates:\n  - pattern: "glob:develop-*"\n    files: [deploy/]\n`,
      "deploy/app.yaml": `image: ${fk.host}/acme/app:develop-1\n`,
    };
    // Each run knows one of the two files (and so one token); the registry echoes both, so each
    // run is checked for its own.
    const runs = await Promise.all(
      [
        { args: ["plan", "--json"], file: textFile, token: oidc },
        { args: ["apply"], file: jsonFile, token: inJson },
      ].map(async ({ args, file, token }) => {
        const [dir, cache] = await Promise.all([makeRepo(files), mkdtemp(join(tmpdir(), "laminar-fault-cache-"))]);
        const r = await laminar([args[0]!, "--dir", dir, ...args.slice(1)], {
          DOCKER_CONFIG: join(creds, "no-docker"),
          XDG_CACHE_HOME: cache,
          GOOGLE_APPLICATION_CREDENTIALS: file,
        });
        return { ...r, dir, cache, token, what: args[0]! };
      }),
    );
    const failure = JSON.parse(runs[0]!.stdout).failures[0].message as string;
    assert.match(failure, /refused subject tokens \*\*\* \| /, "the echo reached the user, masked");
    for (const r of runs) {
      assert.equal(r.status, 3, r.stderr);
      assert.ok(!r.stdout.includes(r.token), `${r.what} stdout contains the external_account token`);
      assert.ok(!r.stderr.includes(r.token), `${r.what} stderr contains the external_account token`);
      for (const root of [r.dir, r.cache])
        for (const [path, entry] of await snapshotTree(root))
          assert.ok(!entry.bytes.toString("latin1").includes(r.token), `${r.what}: ${path} contains the token`);
    }
  } finally {
    await fk.stop();
  }
});
