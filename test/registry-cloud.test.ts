/**
 * Cloud registries through their own SDKs (issue #11), each real SDK pointed at local servers
 * that speak the service's API (test/helpers/cloud/apis.ts), in front of the real CNCF registry:
 *   - ECR: the AWS SDK's credential chain (environment keys, a profile in a shared config file, an
 *     SSO profile with a cached token and a local SSO portal, an assumed role through STS, a web
 *     identity token file through STS) signs GetAuthorizationToken and DescribeImages; the
 *     password it hands out is the real registry's htpasswd password; a CLI run prints no SDK notice;
 *   - Artifact Registry / GCR: google-auth-library's ADC from the GCE metadata server, and from a
 *     workload identity federation file (external_account) through a local STS token exchange;
 *   - ACR: @azure/identity's DefaultAzureCredential (a client secret, or workload identity's federated
 *     token file as client_assertion) against a local Entra ID over HTTPS, then ACR's exchange and
 *     the real registry's token flow, run through the CLI (NODE_EXTRA_CA_CERTS only works for a new
 *     process);
 *   - expiry and refresh in a long-lived client (ECR, and for Google and ACR with issuers that rotate
 *     their tokens), docker config precedence, and a refused
 *     credential named with its source (never the secret).
 * Nothing leaves 127.0.0.1: instance metadata lookups are disabled for the AWS chain.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { RegistryClient, RegistryError } from "../src/registry/index.js";
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import {
  startEcrApi,
  startEntraId,
  startGceMetadata,
  startGoogleSts,
  startSsoPortal,
  startSts,
  type LocalApi,
} from "./helpers/cloud/apis.js";
import { spawn } from "node:child_process";
import { writeRepo } from "./helpers/cli.js";
import { seedImages, tagSeries, type SeededImage } from "./helpers/registry/seed.js";
import { REGISTRY_BINARY, startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { existsSync } from "node:fs";

const ECR_HOST = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const ECR_PASS = "ecr-Secr3t-password-from-GetAuthorizationToken";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/Secr3tKEY";
const ROLE_SECRET = "role-Secr3t-access-key";
const ROLE_SESSION = "role-Secr3t-session-token";
const GOOGLE_TOKEN = "ya29.Secr3t-google-access-token";
const T0 = new Date("2024-03-01T10:00:00Z");
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 40, maxTotalWaitMs: 2_000, maxRetryAfterMs: 2_000 };

const skip = existsSync(REGISTRY_BINARY) ? false : `${REGISTRY_BINARY} is not installed`;

/** Runs with exactly these cloud variables in process.env (the SDKs read the process environment). */
const CLOUD_VARS = /^(AWS_|GOOGLE_|GCE_METADATA|METADATA_SERVER|AZURE_|CLOUDSDK_)/;
let saved: NodeJS.ProcessEnv;
function setCloudEnv(vars: Record<string, string>): void {
  for (const k of Object.keys(process.env)) if (CLOUD_VARS.test(k)) delete process.env[k];
  Object.assign(process.env, vars);
}

/**
 * `laminar plan --json` in a new process (src/cli/bin.ts through tsx) with the cloud variables of
 * this process blanked and `env` set. Not spawnSync: the local cloud servers answer from this
 * process's event loop.
 */
async function planCli(
  dir: string,
  env: NodeJS.ProcessEnv,
  node = process.execPath,
): Promise<{ status: number; stdout: string; stderr: string }> {
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(full)) if (CLOUD_VARS.test(k)) delete full[k];
  const child = spawn(
    node,
    ["--import", "tsx", join(import.meta.dirname, "../src/cli/bin.ts"), "plan", "--dir", dir, "--json"],
    {
      env: { ...full, XDG_CACHE_HOME: join(dir, ".cache"), DOCKER_CONFIG: join(dir, "no-docker"), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
  return { status, stdout, stderr };
}

let tmp: string;
before(async () => {
  saved = { ...process.env };
  tmp = await mkdtemp(join(tmpdir(), "laminar-cloud-"));
});
after(async () => {
  process.env = saved;
  await rm(tmp, { recursive: true, force: true });
});

describe("ECR through the AWS SDK", { skip }, () => {
  let reg: RunningRegistry;
  let seeded: SeededImage[];
  let ecr: LocalApi;
  let sts: LocalApi;
  let aws: Record<string, string>;

  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", users: { AWS: ECR_PASS } });
    seeded = await seedImages(reg, tagSeries("team/app", 3, { newest: T0 }));
    ecr = await startEcrApi({
      acceptKeys: ["AKIDENVTEST", "AKIDPROFILE", "ASIAROLETEST", "ASIASSOROLE"],
      password: ECR_PASS,
      images: {
        "team/app": seeded.map((s, i) => ({
          tag: s.tag,
          digest: s.digest,
          pushedAt: new Date(T0.getTime() + i * 60_000),
        })),
      },
    });
    sts = await startSts({
      acceptKeys: ["AKIDENVTEST"],
      webIdentityTokens: ["oidc-token-from-github"],
      issue: { accessKeyId: "ASIAROLETEST", secretAccessKey: ROLE_SECRET, sessionToken: ROLE_SESSION },
    });
    // An empty shared config and no instance metadata: only what each test sets is found.
    await writeFile(join(tmp, "aws-config"), "");
    aws = {
      AWS_CONFIG_FILE: join(tmp, "aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(tmp, "aws-credentials-none"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL_ECR: ecr.url,
      AWS_ENDPOINT_URL_STS: sts.url,
    };
  });
  after(async () => {
    await reg?.stop();
    await ecr?.stop();
    await sts?.stop();
  });
  beforeEach(() => {
    ecr.calls.length = 0;
    sts.calls.length = 0;
  });
  afterEach(() => setCloudEnv({}));

  const client = (extra: Partial<ConstructorParameters<typeof RegistryClient>[0]> = {}, aws = {}) =>
    new RegistryClient({
      retry: FAST_RETRY,
      env: { DOCKER_CONFIG: join(tmp, "no-docker-config") },
      registries: [{ host: ECR_HOST, endpoint: reg.url, aws }],
      ...extra,
    });
  const repo = { registry: ECR_HOST, repository: "team/app" };

  test("environment keys: signed GetAuthorizationToken → registry password; DescribeImages → push times", async () => {
    setCloudEnv({ ...aws, AWS_ACCESS_KEY_ID: "AKIDENVTEST", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    const warnings: string[] = [];
    const c = client({ log: { warn: (m) => warnings.push(m) } });
    const list = await c.listTags(repo);
    assert.deepEqual([...list.tags].sort(), seeded.map((s) => s.tag).sort());
    const d = await c.describeTags(repo, { times: [seeded[2]!.tag, "gone"], digests: [] });
    assert.deepEqual(warnings, []);
    assert.equal(d.get(seeded[2]!.tag)?.source, "ecr-describe-images");
    assert.equal(d.get(seeded[2]!.tag)?.created?.getTime(), T0.getTime() + 2 * 60_000);
    assert.equal(d.get(seeded[2]!.tag)?.digest, seeded[2]!.digest);
    assert.deepEqual(
      ecr.calls.map((x) => [x.action, x.accessKeyId]),
      [
        ["GetAuthorizationToken", "AKIDENVTEST"],
        ["DescribeImages", "AKIDENVTEST"],
      ],
    );
    assert.match(ecr.calls[0]!.authorization!, /Credential=AKIDENVTEST\/\d{8}\/eu-west-1\/ecr\/aws4_request/);
    assert.equal(JSON.parse(ecr.calls[0]!.body).registryIds[0], "123456789012");
    // The SDK's requests go through the registry client: counted, with the registry's policy.
    assert.equal(c.counts(ECR_HOST).api, 1);
    assert.doesNotMatch(JSON.stringify(ecr.calls), new RegExp(SECRET_KEY.replace(/[/]/g, "\\/")));
    // The SDK's Node-notice switch is set only while the client is built: commands do not inherit it.
    assert.equal(process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, undefined);
  });

  test("a profile of the shared config file (per-registry `aws.profile`)", async () => {
    const config = join(tmp, "aws-config-profile");
    await writeFile(
      config,
      `[profile ci]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = ${SECRET_KEY}\nregion = eu-west-1\n`,
    );
    setCloudEnv({ ...aws, AWS_CONFIG_FILE: config });
    const c = client({}, { profile: "ci" });
    assert.equal((await c.listTags(repo)).tags.length, 3);
    assert.deepEqual(
      ecr.calls.map((x) => x.accessKeyId),
      ["AKIDPROFILE"],
    );
  });

  test("a role to assume (`aws.roleArn`): STS AssumeRole, then ECR with the session credentials", async () => {
    setCloudEnv({ ...aws, AWS_ACCESS_KEY_ID: "AKIDENVTEST", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    const c = client({}, { roleArn: "arn:aws:iam::123456789012:role/laminar-ecr" });
    assert.equal((await c.listTags(repo)).tags.length, 3);
    assert.deepEqual(
      sts.calls.map((x) => [x.action, x.accessKeyId]),
      [["AssumeRole", "AKIDENVTEST"]],
    );
    assert.match(sts.calls[0]!.body, /RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Flaminar-ecr/);
    assert.deepEqual(
      ecr.calls.map((x) => [x.action, x.accessKeyId, x.sessionToken]),
      [["GetAuthorizationToken", "ASIAROLETEST", ROLE_SESSION]],
    );
  });

  test("a web identity token file (GitHub OIDC, EKS IRSA) through STS", async () => {
    const tokenFile = join(tmp, "web-identity-token");
    await writeFile(tokenFile, "oidc-token-from-github");
    setCloudEnv({
      ...aws,
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/gha",
      AWS_REGION: "eu-west-1",
    });
    const c = client();
    assert.equal((await c.listTags(repo)).tags.length, 3);
    assert.deepEqual(
      sts.calls.map((x) => x.action),
      ["AssumeRoleWithWebIdentity"],
    );
    assert.deepEqual(
      ecr.calls.map((x) => x.accessKeyId),
      ["ASIAROLETEST"],
    );
  });

  test("an SSO profile (AWS_PROFILE, sso_session) with a cached SSO token: the portal's role credentials sign ECR", async () => {
    // What `aws sso login` leaves in HOME: the profile and its session in ~/.aws/config, and the
    // session's access token in ~/.aws/sso/cache/<sha1 of the session name>.json.
    const SSO_TOKEN = "sso-Secr3t-portal-access-token";
    const SSO_ROLE_SECRET = "sso-Secr3t-role-secret-key";
    const SSO_ROLE_SESSION = "sso-Secr3t-role-session-token";
    const portal = await startSsoPortal({
      accessToken: SSO_TOKEN,
      accountId: "123456789012",
      roleName: "EcrReadOnly",
      issue: { accessKeyId: "ASIASSOROLE", secretAccessKey: SSO_ROLE_SECRET, sessionToken: SSO_ROLE_SESSION },
    });
    const home = await mkdtemp(join(tmp, "home-"));
    const { mkdir } = await import("node:fs/promises");
    const { createHash } = await import("node:crypto");
    await mkdir(join(home, ".aws/sso/cache"), { recursive: true });
    await writeFile(
      join(home, ".aws/config"),
      "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = EcrReadOnly\nregion = eu-west-1\n\n" +
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n",
    );
    await writeFile(
      join(home, ".aws/sso/cache", `${createHash("sha1").update("corp").digest("hex")}.json`),
      JSON.stringify({
        startUrl: "https://corp.awsapps.com/start",
        region: "eu-west-1",
        accessToken: SSO_TOKEN,
        expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
      }),
    );
    const savedHome = process.env.HOME;
    const { AWS_CONFIG_FILE: _c, AWS_SHARED_CREDENTIALS_FILE: _s, ...rest } = aws;
    setCloudEnv({ ...rest, AWS_PROFILE: "dev", AWS_ENDPOINT_URL_SSO: portal.url });
    process.env.HOME = home;
    try {
      const warnings: string[] = [];
      const c = client({ log: { warn: (m) => warnings.push(m) } });
      assert.equal((await c.listTags(repo)).tags.length, 3, warnings.join("\n"));
      assert.deepEqual(
        portal.calls.map((x) => [x.action, JSON.parse(x.body)]),
        [["GET /federation/credentials", { account_id: "123456789012", role_name: "EcrReadOnly", token_ok: true }]],
      );
      assert.deepEqual(
        ecr.calls.map((x) => [x.action, x.accessKeyId, x.sessionToken]),
        [["GetAuthorizationToken", "ASIASSOROLE", SSO_ROLE_SESSION]],
      );
      assert.match(ecr.calls[0]!.authorization!, /Credential=ASIASSOROLE\/\d{8}\/eu-west-1\/ecr\/aws4_request/);
      assert.equal(sts.calls.length, 0);
    } finally {
      process.env.HOME = savedHome;
      await portal.stop();
    }
  });

  test("a long-lived client fetches a new password before the old one expires", async () => {
    setCloudEnv({ ...aws, AWS_ACCESS_KEY_ID: "AKIDENVTEST", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    // ECR passwords live 12 h: the client's clock is moved instead of waiting.
    let offset = 0;
    const c = client({ now: () => Date.now() + offset });
    await c.listTags(repo);
    c.newRun();
    await c.listTags(repo);
    assert.equal(ecr.calls.filter((x) => x.action === "GetAuthorizationToken").length, 1, "fresh: reused");
    offset = 10 * 3600_000; // past 80 % of 12 h
    c.newRun();
    await c.listTags(repo);
    assert.equal(ecr.calls.filter((x) => x.action === "GetAuthorizationToken").length, 2, "old: fetched again");
  });

  test("a CLI run on this Node prints no SDK notice (NodeVersionSupportWarning on Node 20)", async () => {
    // The AWS SDK warns on Node < 22 that its 2027 releases will need Node 22; Laminar supports
    // Node 20, and its stderr is the Action's log.
    const dir = await writeRepo({
      // A registry on 127.0.0.1 stands in for the ECR host: `cloud` names its kind, `aws.region` the region.
      ".laminar.yaml": `registries:\n  - host: ${reg.host}\n    cloud: aws\n    aws:\n      region: eu-west-1\nupdates:\n  - pattern: semver:^1\n    files: [.]\n`,
      "a.yaml": `image: ${reg.host}/team/app:1.0.0\n`,
    });
    const r = await planCli(dir, { ...aws, AWS_ACCESS_KEY_ID: "AKIDENVTEST", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).changes[0].to, "1.0.2");
    assert.deepEqual(
      ecr.calls.map((x) => [x.action, x.accessKeyId]),
      [["GetAuthorizationToken", "AKIDENVTEST"]],
      "the SDK was loaded and used",
    );
    assert.doesNotMatch(r.stderr, /NodeVersionSupportWarning|AWS SDK for JavaScript|Warning:/);
  });

  test("docker's config.json keeps its precedence: no SDK call", async () => {
    setCloudEnv({ ...aws, AWS_ACCESS_KEY_ID: "AKIDENVTEST", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    const dir = join(tmp, "docker-config-ecr");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, "config.json"),
      JSON.stringify({ auths: { [ECR_HOST]: { auth: Buffer.from(`AWS:${ECR_PASS}`).toString("base64") } } }),
    );
    const c = client({ env: { DOCKER_CONFIG: dir } });
    assert.equal((await c.listTags(repo)).tags.length, 3);
    assert.equal(ecr.calls.filter((x) => x.action === "GetAuthorizationToken").length, 0);
  });

  test("a refused AWS credential: warned with its source, tried anonymously, failure names the source", async () => {
    setCloudEnv({ ...aws, AWS_ACCESS_KEY_ID: "AKIDWRONG", AWS_SECRET_ACCESS_KEY: SECRET_KEY });
    const warnings: string[] = [];
    const c = client({ log: { warn: (m) => warnings.push(m) } });
    const err = await c.listTags(repo).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RegistryError);
    assert.equal(err.status, 401);
    assert.match(
      err.message,
      /401 Unauthorized.*; credentials: AWS SDK chain \(environment keys\) failed \(.*\); anonymous$/,
    );
    assert.match(
      warnings.join("\n"),
      /credentials for 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com: AWS SDK chain \(environment keys\): .*trying anonymously/,
    );
    for (const text of [err.message, ...warnings]) {
      assert.ok(!text.includes(SECRET_KEY), "the secret key never appears");
      assert.ok(!text.includes(ECR_PASS));
    }
  });
});

describe("Artifact Registry / GCR through google-auth-library", { skip }, () => {
  let reg: RunningRegistry;
  let metadata: LocalApi & { host: string };

  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", users: { oauth2accesstoken: GOOGLE_TOKEN } });
    await seedImages(reg, tagSeries("proj/repo/app", 2, { newest: T0 }));
    metadata = await startGceMetadata({ accessToken: GOOGLE_TOKEN, expiresIn: 3599 });
  });
  after(async () => {
    await reg?.stop();
    await metadata?.stop();
  });
  afterEach(() => setCloudEnv({}));

  test("the GCE metadata server's access token as user oauth2accesstoken, reused while fresh", async () => {
    setCloudEnv({
      GCE_METADATA_HOST: metadata.host,
      METADATA_SERVER_DETECTION: "assume-present",
      CLOUDSDK_CONFIG: join(tmp, "no-gcloud"),
    });
    const c = new RegistryClient({
      retry: FAST_RETRY,
      env: { DOCKER_CONFIG: join(tmp, "no-docker-config") },
      // A registry on 127.0.0.1 stands in for europe-docker.pkg.dev: `cloud` names its kind.
      registries: [{ host: reg.host, cloud: "google" }],
    });
    const repo = { registry: reg.host, repository: "proj/repo/app" };
    assert.equal((await c.listTags(repo)).tags.length, 2);
    c.newRun();
    assert.equal((await c.listTags(repo)).tags.length, 2);
    assert.deepEqual(
      metadata.calls.map((x) => x.action),
      ["GET /computeMetadata/v1/instance/service-accounts/default/token"],
    );
  });
});

describe("Artifact Registry / GCR: a long-lived client refreshes its access token", { skip }, () => {
  afterEach(() => setCloudEnv({}));

  test("past 80 % of the token's lifetime a new one is minted, and the next registry request carries it", async () => {
    // The registry accepts only the newest token: each mint at the metadata server rotates it, so a
    // request with the old one would be refused (and show up as a refused token request).
    const users: Record<string, string> = { seeder: "seed-pass", oauth2accesstoken: "none-yet" };
    const minted: string[] = [];
    const metadata = await startGceMetadata({
      accessToken: (n) => {
        const token = `ya29.Secr3t-rotating-${n}`;
        users.oauth2accesstoken = token;
        minted.push(token);
        return token;
      },
      expiresIn: 3600,
    });
    const reg = await startRegistry({ auth: "token", users });
    try {
      await seedImages(reg, tagSeries("proj/repo/app", 2, { newest: T0 }));
      setCloudEnv({
        GCE_METADATA_HOST: metadata.host,
        METADATA_SERVER_DETECTION: "assume-present",
        CLOUDSDK_CONFIG: join(tmp, "no-gcloud"),
      });
      let offset = 0;
      const c = new RegistryClient({
        retry: FAST_RETRY,
        env: { DOCKER_CONFIG: join(tmp, "no-docker-config") },
        registries: [{ host: reg.host, cloud: "google" }],
        now: () => Date.now() + offset,
      });
      const repo = { registry: reg.host, repository: "proj/repo/app" };
      const seeding = reg.tokenServer!.requests.length;
      assert.equal((await c.listTags(repo)).tags.length, 2);
      c.newRun();
      assert.equal((await c.listTags(repo)).tags.length, 2);
      assert.equal(minted.length, 1, "fresh: reused");
      offset = 50 * 60_000; // past 48 min (80 % of one hour), before the hour is over
      c.newRun();
      assert.equal((await c.listTags(repo)).tags.length, 2);
      assert.equal(minted.length, 2, "minted again before expiry");
      const asked = reg.tokenServer!.requests.slice(seeding);
      assert.deepEqual(
        asked.map((r) => [r.username, r.granted]),
        [
          ["oauth2accesstoken", true],
          ["oauth2accesstoken", true],
        ],
        "one registry token per token minted, none refused (the new token was sent)",
      );
    } finally {
      await reg.stop();
      await metadata.stop();
    }
  });
});

describe("Artifact Registry / GCR through workload identity federation (external_account file)", { skip }, () => {
  const FEDERATED_TOKEN = "ya29.Secr3t-federated-access-token";
  const SUBJECT = "oidc-Secr3t-subject-token-from-ci";
  const AUDIENCE = "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh";
  let reg: RunningRegistry;
  let sts: LocalApi;

  before(async () => {
    reg = await startRegistry({ auth: "htpasswd", users: { oauth2accesstoken: FEDERATED_TOKEN } });
    await seedImages(reg, tagSeries("proj/repo/app", 2, { newest: T0 }));
    sts = await startGoogleSts({ subjectToken: SUBJECT, audience: AUDIENCE, accessToken: FEDERATED_TOKEN });
  });
  after(async () => {
    await reg?.stop();
    await sts?.stop();
  });
  afterEach(() => setCloudEnv({}));

  test("subject token file → STS token exchange → access token as user oauth2accesstoken", async () => {
    // What google-github-actions/auth writes for workload identity federation (no impersonation).
    await writeFile(join(tmp, "subject-token"), SUBJECT);
    await writeFile(
      join(tmp, "external-account.json"),
      JSON.stringify({
        type: "external_account",
        audience: AUDIENCE,
        subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
        token_url: `${sts.url}/v1/token`,
        credential_source: { file: join(tmp, "subject-token") },
      }),
    );
    setCloudEnv({
      GOOGLE_APPLICATION_CREDENTIALS: join(tmp, "external-account.json"),
      CLOUDSDK_CONFIG: join(tmp, "no-gcloud"),
    });
    const c = new RegistryClient({
      retry: FAST_RETRY,
      env: { DOCKER_CONFIG: join(tmp, "no-docker-config") },
      registries: [{ host: reg.host, cloud: "google" }],
    });
    const repo = { registry: reg.host, repository: "proj/repo/app" };
    assert.equal((await c.listTags(repo)).tags.length, 2);
    c.newRun();
    assert.equal((await c.listTags(repo)).tags.length, 2);
    assert.deepEqual(
      sts.calls.map((x) => [x.action, JSON.parse(x.body)]),
      [
        [
          "POST /v1/token",
          {
            grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
            audience: AUDIENCE,
            subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
            subject_token_ok: true,
          },
        ],
      ],
    );
  });
});

const AZURE_SECRET = "azure-Secr3t-client-secret";
const AAD_TOKEN = "aad-Secr3t-access-token";
const ACR_REFRESH = "acr-Secr3t-refresh-token";
/** A federated token as a workload identity webhook (or GitHub's OIDC) leaves it in a file. */
const FEDERATED = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6bGFtaW5hciJ9.Secr3t-sig";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe(
  "ACR through @azure/identity and ACR's token exchange (CLI)",
  {
    skip: skip || (hasOpenssl() ? false : "openssl is not installed (needed for the HTTPS authority's certificate)"),
  },
  () => {
    let reg: RunningRegistry;
    let entra: LocalApi;
    let certFile: string;

    before(async () => {
      const dir = join(tmp, "tls");
      const { mkdir } = await import("node:fs/promises");
      await mkdir(dir, { recursive: true });
      certFile = join(dir, "cert.pem");
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
          "-addext",
          "subjectAltName=IP:127.0.0.1",
          "-keyout",
          join(dir, "key.pem"),
          "-out",
          certFile,
        ],
        { stdio: "ignore" },
      );
      entra = await startEntraId({
        key: await readFile(join(dir, "key.pem"), "utf8"),
        cert: await readFile(certFile, "utf8"),
        clientId: "laminar-client",
        clientSecret: AZURE_SECRET,
        clientAssertion: FEDERATED,
        accessToken: AAD_TOKEN,
      });
      reg = await startRegistry({
        auth: "token",
        identityTokens: { [ACR_REFRESH]: "laminar" },
        acrExchange: { accept: AAD_TOKEN, refreshToken: ACR_REFRESH },
      });
      await seedImages(reg, tagSeries("acme/app", 3, { newest: T0 }));
    });
    after(async () => {
      await reg?.stop();
      await entra?.stop();
    });

    const run = async (secret: string | Record<string, string>) => {
      const dir = await writeRepo({
        // A registry on 127.0.0.1 stands in for acme.azurecr.io: `cloud` names its kind.
        ".laminar.yaml": `registries:\n  - host: ${reg.host}\n    cloud: azure\nupdates:\n  - pattern: semver:^1\n    files: [.]\n`,
        "a.yaml": `image: ${reg.host}/acme/app:1.0.0\n`,
      });
      return planCli(dir, {
        NODE_EXTRA_CA_CERTS: certFile,
        AZURE_AUTHORITY_HOST: entra.url,
        AZURE_TENANT_ID: "laminar-tenant",
        AZURE_CLIENT_ID: "laminar-client",
        ...(typeof secret === "string" ? { AZURE_CLIENT_SECRET: secret } : secret),
      });
    };

    test("client secret → Entra ID token → /oauth2/exchange → refresh token → registry token", async () => {
      const r = await run(AZURE_SECRET);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).changes[0].to, "1.0.2");
      const exchange = reg.tokenServer!.requests.filter((x) => x.method === "POST /oauth2/exchange");
      assert.deepEqual(
        exchange.map((x) => x.granted),
        [true],
      );
      assert.ok(reg.tokenServer!.requests.some((x) => x.method === "POST" && x.username === "laminar" && x.granted));
      assert.ok(entra.calls.some((x) => x.action === "POST /laminar-tenant/oauth2/v2.0/token"));
      for (const secret of [AZURE_SECRET, AAD_TOKEN, ACR_REFRESH]) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), "no secret in output");
      }
    });

    test("workload identity: AZURE_FEDERATED_TOKEN_FILE → client_assertion → Entra ID token → ACR exchange", async () => {
      const tokenFile = join(tmp, "azure-federated-token");
      await writeFile(tokenFile, FEDERATED);
      const before = entra.calls.length;
      const r = await run({ AZURE_FEDERATED_TOKEN_FILE: tokenFile });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).changes[0].to, "1.0.2");
      assert.deepEqual(
        entra.calls
          .slice(before)
          .filter((x) => x.action === "POST /laminar-tenant/oauth2/v2.0/token")
          .map((x) => x.body),
        ["client_assertion(urn:ietf:params:oauth:client-assertion-type:jwt-bearer)"],
      );
      assert.ok(
        reg.tokenServer!.requests.some((x) => x.method === "POST /oauth2/exchange" && x.granted),
        "ACR exchange granted",
      );
      for (const secret of [FEDERATED, AAD_TOKEN, ACR_REFRESH]) {
        assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), "no secret in output");
      }
    });

    test("a long-lived client exchanges again at 80 % of the refresh token's lifetime and uses the new one", async () => {
      // A registry that rotates refresh tokens: each exchange mints a new one and revokes the last,
      // and the token server records which one came (as its user name).
      const identityTokens: Record<string, string> = {};
      const rotating = await startRegistry({
        auth: "token",
        identityTokens,
        acrExchange: {
          accept: AAD_TOKEN,
          refreshToken: (n) => {
            for (const k of Object.keys(identityTokens)) delete identityTokens[k];
            identityTokens[`${ACR_REFRESH}-${n}`] = `refresh-${n}`;
            return `${ACR_REFRESH}-${n}`;
          },
        },
      });
      try {
        await seedImages(rotating, tagSeries("acme/app", 2, { newest: T0 }));
        const seeding = rotating.tokenServer!.requests.length;
        const env: NodeJS.ProcessEnv = { ...process.env };
        for (const k of Object.keys(env)) if (CLOUD_VARS.test(k)) delete env[k];
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            join(import.meta.dirname, "helpers/cloud/long-lived-client.ts"),
            // Entra ID and the exchange give one hour: 50 minutes is past 80 %, before expiry.
            JSON.stringify({
              host: rotating.host,
              cloud: "azure",
              repository: "acme/app",
              offsetsMs: [0, 0, 3_000_000],
            }),
          ],
          {
            env: {
              ...env,
              DOCKER_CONFIG: join(tmp, "no-docker-config"),
              NODE_EXTRA_CA_CERTS: certFile,
              AZURE_AUTHORITY_HOST: entra.url,
              AZURE_TENANT_ID: "laminar-tenant",
              AZURE_CLIENT_ID: "laminar-client",
              AZURE_CLIENT_SECRET: AZURE_SECRET,
            },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const status = await new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
        assert.equal(status, 0, stderr);
        assert.deepEqual(JSON.parse(stdout), [2, 2, 2]);
        assert.deepEqual(
          rotating.tokenServer!.requests.slice(seeding).map((r) => [r.method, r.username ?? "", r.granted]),
          [
            ["POST /oauth2/exchange", "", true],
            ["POST", "refresh-1", true],
            // the second run reuses both; the third is past 80 %: a new exchange, then the new token
            ["POST /oauth2/exchange", "", true],
            ["POST", "refresh-2", true],
          ],
        );
        assert.ok(!stdout.includes(ACR_REFRESH) && !stderr.includes(ACR_REFRESH));
      } finally {
        await rotating.stop();
      }
    });

    test("a refused client secret: the plan's failure names the credential source, not the secret", async () => {
      const r = await run("wrong-Secr3t");
      assert.equal(r.status, 3, r.stderr);
      const plan = JSON.parse(r.stdout);
      assert.match(
        plan.failures[0].message,
        /401 Unauthorized.*; credentials: Azure DefaultAzureCredential \+ ACR token exchange failed \(.*\); anonymous$/,
      );
      assert.ok(!r.stdout.includes("wrong-Secr3t") && !r.stderr.includes("wrong-Secr3t"));
    });
  },
);
