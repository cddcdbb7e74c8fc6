/**
 * Cloud credentials (issue #11) never leak:
 *   - AWS keys and session tokens, a Google service account's private key (the file
 *     `GOOGLE_APPLICATION_CREDENTIALS` names), an Azure client secret, a GitHub App's private key
 *     (variable and file) and the federated OIDC tokens of `AWS_WEB_IDENTITY_TOKEN_FILE` /
 *     `AZURE_FEDERATED_TOKEN_FILE` are in the environment of `plan --json` and `apply`, and the
 *     registry answers 403 with all of them quoted in its error message — the tempting case.
 *     stdout, stderr, every file of the repository afterwards and the registry cache are searched
 *     for each secret, raw and base64, and for every line of the PEM keys;
 *   - the same for the subject token of a Google external_account file (`credential_source.file`),
 *     and for what the SDKs read from HOME: ~/.aws shared files, the AWS SSO cache, gcloud's file;
 *   - real logins through each cloud's SDK (ECR: a profile's keys and an STS role; Google: workload
 *     identity federation; ACR: a client secret and the exchange), then the Action commits and
 *     pushes to a local bare remote: no secret, nor what the clouds hand out for them, is in any
 *     commit (`git log -p --all`), the plan JSON, the outputs, the summary or the caches.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { runAction } from "./helpers/action-runner.js";
import { localTlsCertificate, startEcrApi, startEntraId, startGoogleSts, startSts } from "./helpers/cloud/apis.js";
import { git, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startFakeRegistry } from "./helpers/registry/fake-registry.js";
import { seedImages, tagSeries } from "./helpers/registry/seed.js";
import { REGISTRY_BINARY, startRegistry } from "./helpers/registry/server.js";
import { laminar, makeRepo, snapshotTree } from "./helpers/faults.js";

isolateGitConfig();

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

test(
  "logged in through each cloud (ECR profile + STS role, Google federation, ACR client secret), then committed and pushed: no secret in any commit, plan, output, summary or cache",
  { skip: existsSync(REGISTRY_BINARY) ? false : `${REGISTRY_BINARY} is not installed` },
  async (t) => {
    const base = await mkdtemp(join(tmpdir(), "laminar-cloud-commit-"));
    const tls = await localTlsCertificate(join(base, "tls"));
    if (!tls) return t.skip("openssl is not installed (needed for the HTTPS Entra ID)");
    // The secrets of the three logins, and what each cloud hands out in exchange.
    const S = {
      awsProfileSecret: "wJalrXUtnFEMI/K7MDENG/profileSecr3t",
      stsRoleSecret: "sts-Secr3t-role-secret-access-key",
      stsRoleSession: "IQoJb3JpZ2luSecr3t-sts-role-session",
      ecrPassword: "ecr-Secr3t-registry-password",
      googleOidc: "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJnY3AifQ.googleOidcSecr3t",
      googleAccess: "ya29.Secr3t-federated-google-access",
      azureSecret: "azure-Secr3t-client-secret-commit",
      aadToken: "aad-Secr3t-entra-access-token",
      acrRefresh: "acr-Secr3t-registry-refresh-token",
    };
    const AUDIENCE = "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh";
    const stops: Array<() => Promise<void>> = [];
    try {
      const ecrReg = await startRegistry({ auth: "htpasswd", users: { AWS: S.ecrPassword } });
      stops.push(() => ecrReg.stop());
      const gReg = await startRegistry({ auth: "htpasswd", users: { oauth2accesstoken: S.googleAccess } });
      stops.push(() => gReg.stop());
      const acrReg = await startRegistry({
        auth: "token",
        identityTokens: { [S.acrRefresh]: "laminar" },
        acrExchange: { accept: S.aadToken, refreshToken: S.acrRefresh },
      });
      stops.push(() => acrReg.stop());
      await Promise.all([
        seedImages(ecrReg, tagSeries("team/app", 3)),
        seedImages(gReg, tagSeries("proj/repo/app", 3)),
        seedImages(acrReg, tagSeries("acme/app", 3)),
      ]);
      const ecr = await startEcrApi({ acceptKeys: ["ASIAROLETEST"], password: S.ecrPassword });
      stops.push(() => ecr.stop());
      const sts = await startSts({
        acceptKeys: ["AKIDPROFILE"],
        issue: { accessKeyId: "ASIAROLETEST", secretAccessKey: S.stsRoleSecret, sessionToken: S.stsRoleSession },
      });
      stops.push(() => sts.stop());
      const gsts = await startGoogleSts({
        subjectToken: S.googleOidc,
        audience: AUDIENCE,
        accessToken: S.googleAccess,
      });
      stops.push(() => gsts.stop());
      const entra = await startEntraId({
        key: tls.key,
        cert: tls.cert,
        clientId: "laminar-client",
        clientSecret: S.azureSecret,
        accessToken: S.aadToken,
      });
      stops.push(() => entra.stop());

      const creds = join(base, "creds");
      await mkdir(creds, { recursive: true });
      await writeFile(
        join(creds, "aws-config"),
        `[profile ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = ${S.awsProfileSecret}\nregion = eu-west-1\n`,
      );
      await writeFile(join(creds, "oidc"), S.googleOidc);
      await writeFile(
        join(creds, "gcp.json"),
        JSON.stringify({
          type: "external_account",
          audience: AUDIENCE,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          token_url: `${gsts.url}/v1/token`,
          credential_source: { file: join(creds, "oidc") },
        }),
      );
      const env = {
        AWS_CONFIG_FILE: join(creds, "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(creds, "none"),
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_ENDPOINT_URL_ECR: ecr.url,
        AWS_ENDPOINT_URL_STS: sts.url,
        GOOGLE_APPLICATION_CREDENTIALS: join(creds, "gcp.json"),
        CLOUDSDK_CONFIG: join(creds, "no-gcloud"),
        NODE_EXTRA_CA_CERTS: tls.certFile,
        AZURE_AUTHORITY_HOST: entra.url,
        AZURE_TENANT_ID: "laminar-tenant",
        AZURE_CLIENT_ID: "laminar-client",
        AZURE_CLIENT_SECRET: S.azureSecret,
        DOCKER_CONFIG: join(creds, "no-docker"),
      };
      // Registries on 127.0.0.1 stand in for ECR, Artifact Registry and ACR: `cloud` names each kind.
      const config =
        `registries:\n` +
        `  - host: ${ecrReg.host}\n    cloud: aws\n    aws:\n      profile: ci\n      region: eu-west-1\n` +
        `      roleArn: arn:aws:iam::123456789012:role/laminar-ecr\n` +
        `  - host: ${gReg.host}\n    cloud: google\n` +
        `  - host: ${acrReg.host}\n    cloud: azure\n` +
        `updates:\n  - pattern: semver:^1\n    files: [k8s]\n`;
      const files = {
        ".laminar.yaml": config,
        "k8s/ecr.yaml": `image: ${ecrReg.host}/team/app:1.0.0\n`,
        "k8s/gcr.yaml": `image: ${gReg.host}/proj/repo/app:1.0.0\n`,
        "k8s/acr.yaml": `image: ${acrReg.host}/acme/app:1.0.0\n`,
      };
      const bare = join(base, "remote.git");
      initBareRepo(bare, files);
      const workspace = join(base, "workspace");
      git(base, ["clone", "--quiet", bare, workspace]);
      const cliCache = join(base, "cli-cache");
      const actionCache = join(base, "action-cache", "registry.json");

      // The plan as JSON (CLI), then the Action commits and pushes to the bare remote.
      const plan = await laminar(["plan", "--dir", workspace, "--json"], { ...env, XDG_CACHE_HOME: cliCache });
      assert.equal(plan.status, 0, plan.stderr);
      assert.deepEqual(
        (JSON.parse(plan.stdout).changes as Array<{ to: string }>).map((c) => c.to),
        ["1.0.2", "1.0.2", "1.0.2"],
      );
      const action = await runAction({
        workspace,
        inputs: { token: "ghs_cloudcommittesttoken1", cache: actionCache },
        env,
      });
      assert.equal(action.status, 0, action.stdout + action.stderr);
      for (const path of ["k8s/ecr.yaml", "k8s/gcr.yaml", "k8s/acr.yaml"])
        assert.match(git(bare, ["show", `main:${path}`]), /:1\.0\.2\n$/, `${path} updated on the remote`);
      // Each login went through its cloud's chain.
      assert.ok(sts.calls.some((c) => c.action === "AssumeRole" && c.accessKeyId === "AKIDPROFILE"));
      assert.ok(ecr.calls.some((c) => c.action === "GetAuthorizationToken" && c.accessKeyId === "ASIAROLETEST"));
      assert.ok(gsts.calls.some((c) => JSON.parse(c.body).subject_token_ok === true));
      assert.ok(acrReg.tokenServer!.requests.some((r) => r.method === "POST /oauth2/exchange" && r.granted));

      const places: Array<[string, string]> = [
        ["git log -p --all (remote)", git(bare, ["log", "-p", "--all", "--format=%H%n%an <%ae>%n%B"])],
        ["plan JSON", plan.stdout],
        ["plan stderr", plan.stderr],
        // `::add-mask::` lines hand the secrets to the runner, which hides them from the log.
        [
          "action stdout",
          action.stdout
            .split("\n")
            .filter((l) => !l.startsWith("::add-mask::"))
            .join("\n"),
        ],
        ["action stderr", action.stderr],
        ["action outputs", JSON.stringify(action.outputs)],
        ["action summary", action.summary],
      ];
      assert.ok(existsSync(actionCache), "the Action wrote its registry cache");
      assert.ok((await snapshotTree(cliCache)).size > 0, "the CLI wrote its registry cache");
      for (const root of [cliCache, dirname(actionCache), workspace])
        for (const [path, entry] of await snapshotTree(root))
          if (!path.includes(".git/objects/")) places.push([`file ${path}`, entry.bytes.toString("latin1")]);
      for (const [where, text] of places)
        for (const [name, secret] of Object.entries(S))
          for (const form of [secret, Buffer.from(secret).toString("base64")])
            assert.ok(!text.includes(form), `${where} contains ${name}`);
    } finally {
      for (const stop of stops.reverse()) await stop();
    }
  },
);

test("secrets in the files the SDKs read from HOME (AWS shared files, AWS SSO cache, gcloud's ADC file) are masked", async () => {
  // Nothing in the environment names them: the AWS chain reads ~/.aws for AWS_PROFILE and SSO,
  // google-auth-library reads gcloud's file when GOOGLE_APPLICATION_CREDENTIALS is unset.
  const S = {
    credentialsKey: "wJalrXUtnFEMI/K7MDENG/homeSecr3tKEY",
    credentialsSession: "IQoJb3JpZ2luHomeSecr3t-session",
    configKey: "wJalrXUtnFEMI/K7MDENG/configSecr3tKEY",
    ssoAccess: "aoaAAAAAGhomeSecr3t-sso-access-token",
    ssoRefresh: "aorAAAAAGhomeSecr3t-sso-refresh-token",
    gcloudRefresh: "1//0gHomeSecr3t-gcloud-refresh-token",
    gcloudClientSecret: "d-FL95Q19q7MQmHomeSecr3t",
  };
  const home = await mkdtemp(join(tmpdir(), "laminar-home-"));
  await mkdir(join(home, ".aws/sso/cache"), { recursive: true });
  await mkdir(join(home, ".config/gcloud"), { recursive: true });
  await writeFile(
    join(home, ".aws/credentials"),
    `[default]\naws_access_key_id = AKIDHOME\naws_secret_access_key = ${S.credentialsKey}\naws_session_token=${S.credentialsSession}\n`,
  );
  await writeFile(
    join(home, ".aws/config"),
    `[profile other]\nregion = eu-west-1\nAWS_SECRET_ACCESS_KEY = ${S.configKey}\n`,
  );
  await writeFile(
    join(home, ".aws/sso/cache/0123abcd.json"),
    JSON.stringify({
      startUrl: "https://corp.awsapps.com/start",
      accessToken: S.ssoAccess,
      refreshToken: S.ssoRefresh,
    }),
  );
  await writeFile(
    join(home, ".config/gcloud/application_default_credentials.json"),
    JSON.stringify({
      type: "authorized_user",
      client_id: "764086051850.apps.googleusercontent.com",
      client_secret: S.gcloudClientSecret,
      refresh_token: S.gcloudRefresh,
    }),
  );
  const fk = await startFakeRegistry({
    repositories: { "acme/app": { tags: [{ tag: "develop-1" }, { tag: "develop-2" }] } },
  });
  try {
    fk.rule({
      kind: "tagPages",
      status: 403,
      times: Infinity,
      body: JSON.stringify({ errors: [{ code: "DENIED", message: `refused ${Object.values(S).join(" | ")}` }] }),
    });
    const dir = await makeRepo({
      ".laminar.yaml": `updates:\n  - pattern: "glob:develop-*"\n    files: [deploy/]\n`,
      "deploy/app.yaml": `image: ${fk.host}/acme/app:develop-1\n`,
    });
    const cache = await mkdtemp(join(tmpdir(), "laminar-fault-cache-"));
    const plan = await laminar(["plan", "--dir", dir, "--json"], {
      HOME: home,
      DOCKER_CONFIG: join(home, "no-docker"),
      XDG_CACHE_HOME: cache,
    });
    assert.equal(plan.status, 3, plan.stderr);
    assert.match(JSON.parse(plan.stdout).failures[0].message as string, /refused \*\*\* \| \*\*\*/);
    const places: Array<[string, string]> = [
      ["stdout", plan.stdout],
      ["stderr", plan.stderr],
    ];
    for (const root of [dir, cache])
      for (const [path, entry] of await snapshotTree(root)) places.push([path, entry.bytes.toString("latin1")]);
    for (const [where, text] of places)
      for (const [name, secret] of Object.entries(S)) assert.ok(!text.includes(secret), `${where} contains ${name}`);
  } finally {
    await fk.stop();
  }
});
