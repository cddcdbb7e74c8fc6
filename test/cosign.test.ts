/**
 * The cosign signature gate (issue #15, `verify.cosign`), against the real docker-registry: keys
 * made with node:crypto, signature manifests pushed as cosign does (tag `sha256-<hex>.sig`), and
 * request counts proving only the winning candidate (then the next) is checked.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ConfigError } from "../src/config/errors.js";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { RegistryClient } from "../src/registry/index.js";
import { scanText } from "../src/scan/scan.js";
import { BUNDLE_ARTIFACT_TYPE } from "../src/verify/bundle.js";
import { parsePublicKey, SIGNATURE_ANNOTATION, SIMPLE_SIGNING, type VerifyKey } from "../src/verify/cosign.js";
import { loadVerifyKeys } from "../src/verify/keys.js";
import { laminar, writeRepo } from "./helpers/cli.js";
import { Pusher, seedImages, type SeededImage } from "./helpers/registry/seed.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";

const T0 = new Date("2026-03-01T10:00:00Z");
const hours = (h: number) => new Date(T0.getTime() + h * 3600_000);

function keyPair(): { pub: string; priv: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { pub: publicKey.export({ type: "spki", format: "pem" }).toString(), priv: privateKey };
}

/** Pushes a cosign signature manifest for `digest`: payload blob + manifest at `sha256-<hex>.sig`. */
async function pushSignature(
  reg: RunningRegistry,
  repository: string,
  digest: string,
  priv: KeyObject,
  opts: { signs?: string; tamper?: boolean } = {},
): Promise<void> {
  const p = new Pusher(reg.url);
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": `${reg.host}/${repository}` },
        image: { "docker-manifest-digest": opts.signs ?? digest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
  const sig = sign("sha256", opts.tamper ? Buffer.concat([payload, Buffer.from(" ")]) : payload, priv);
  const config = Buffer.from("{}");
  const configDigest = await p.uploadBlob(repository, config);
  const layerDigest = await p.uploadBlob(repository, payload);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: config.length },
    layers: [
      {
        mediaType: SIMPLE_SIGNING,
        digest: layerDigest,
        size: payload.length,
        annotations: { [SIGNATURE_ANNOTATION]: sig.toString("base64") },
      },
    ],
  });
  const tag = `${digest.replace(":", "-")}.sig`;
  await p.putManifest(repository, tag, manifest, "application/vnd.oci.image.manifest.v1+json");
}

/**
 * Pushes a Sigstore bundle (v0.3, DSSE over an in-toto statement naming `digest`, as cosign
 * `--new-bundle-format` does with a key) as an OCI 1.1 referrer, listed in the referrers tag
 * schema's index `sha256-<hex>` (distribution 2.8 has no referrers API).
 */
async function pushBundle(
  reg: RunningRegistry,
  repository: string,
  digest: string,
  priv: KeyObject,
  opts: { subject?: string } = {},
): Promise<void> {
  const p = new Pusher(reg.url);
  const [, hex] = (opts.subject ?? digest).split(":");
  const payload = Buffer.from(
    JSON.stringify({
      _type: "https://in-toto.io/Statement/v1",
      subject: [{ name: `${reg.host}/${repository}`, digest: { sha256: hex } }],
      predicateType: "https://sigstore.dev/cosign/sign/v1",
      predicate: {},
    }),
  );
  const payloadType = "application/vnd.in-toto+json";
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `), payload]);
  const bundle = Buffer.from(
    JSON.stringify({
      mediaType: BUNDLE_ARTIFACT_TYPE,
      verificationMaterial: { publicKey: { hint: "" }, tlogEntries: [] },
      dsseEnvelope: {
        payload: payload.toString("base64"),
        payloadType,
        signatures: [{ sig: sign("sha256", pae, priv).toString("base64"), keyid: "" }],
      },
    }),
  );
  const empty = Buffer.from("{}");
  const emptyDigest = await p.uploadBlob(repository, empty);
  const bundleDigest = await p.uploadBlob(repository, bundle);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: BUNDLE_ARTIFACT_TYPE,
    config: { mediaType: "application/vnd.oci.empty.v1+json", digest: emptyDigest, size: empty.length },
    layers: [{ mediaType: BUNDLE_ARTIFACT_TYPE, digest: bundleDigest, size: bundle.length }],
  });
  const manifestDigest = await p.putManifest(
    repository,
    `sha256:${createHash("sha256").update(manifest).digest("hex")}`,
    manifest,
    "application/vnd.oci.image.manifest.v1+json",
  );
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: manifestDigest,
        size: Buffer.byteLength(manifest),
        artifactType: BUNDLE_ARTIFACT_TYPE,
      },
    ],
  });
  await p.putManifest(repository, digest.replace(":", "-"), index, "application/vnd.oci.image.index.v1+json");
}

const config = parseConfig(
  `updates:\n  - pattern: "semver:^1"\n    files: [deploy]\n    verify:\n      cosign:\n        key: keys/cosign.pub\n`,
);

let tmp: string;
let reg: RunningRegistry;
const signer = keyPair();
const other = keyPair();
let key: VerifyKey;
const seeded = new Map<string, SeededImage[]>();

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "laminar-cosign-test-"));
  reg = await startRegistry({ auth: "none" });
  key = parsePublicKey(signer.pub);
  for (const repo of ["acme/signed", "acme/skip", "acme/none", "acme/tampered", "acme/otherkey", "acme/bundled"]) {
    seeded.set(
      repo,
      await seedImages(reg, [
        { repository: repo, tag: "1.0.0", created: hours(1) },
        { repository: repo, tag: "1.1.0", created: hours(2) },
        { repository: repo, tag: "1.2.0", created: hours(3) },
      ]),
    );
  }
  const digest = (repo: string, i: number) => (seeded.get(repo)![i] as SeededImage).digest;
  await pushSignature(reg, "acme/signed", digest("acme/signed", 2), signer.priv);
  await pushSignature(reg, "acme/skip", digest("acme/skip", 1), signer.priv);
  await pushSignature(reg, "acme/tampered", digest("acme/tampered", 2), signer.priv, { tamper: true });
  // A valid signature, but of another image: copying a signature to another digest must not pass.
  await pushSignature(reg, "acme/tampered", digest("acme/tampered", 1), signer.priv, {
    signs: digest("acme/tampered", 0),
  });
  await pushSignature(reg, "acme/otherkey", digest("acme/otherkey", 2), other.priv);
  // Referrer bundles: 1.2.0's by the other key, 1.1.0's by the key.
  await pushBundle(reg, "acme/bundled", digest("acme/bundled", 2), other.priv);
  await pushBundle(reg, "acme/bundled", digest("acme/bundled", 1), signer.priv);
});
after(async () => {
  await reg.stop();
  await rm(tmp, { recursive: true, force: true });
});

async function plan(repo: string, cachePath: string) {
  const client = new RegistryClient({ cachePath });
  const result = await planUpdates({
    config,
    files: [{ path: "deploy/app.yaml", references: scanText(Buffer.from(`image: ${reg.host}/${repo}:1.0.0\n`)) }],
    tags: client,
    verifyKeys: new Map([[0, key]]),
  });
  await client.flush();
  return { result, counts: client.counts() };
}

describe("verify.cosign", () => {
  test("the newest signed candidate is chosen; only it is checked; a warm run asks no signature", async () => {
    const cachePath = join(tmp, "signed-cache.json");
    const cold = await plan("acme/signed", cachePath);
    assert.deepEqual(
      cold.result.changes.map((c) => [c.from, c.to]),
      [["1.0.0", "1.2.0"]],
    );
    // One HEAD for 1.2.0's digest, the signature manifest and its payload blob: nothing for 1.1.0.
    assert.deepEqual([cold.counts.manifestHead, cold.counts.manifestGet, cold.counts.blobGet], [1, 1, 1]);

    const warm = await plan("acme/signed", cachePath);
    assert.deepEqual(
      warm.result.changes.map((c) => c.to),
      ["1.2.0"],
    );
    assert.deepEqual([warm.counts.manifestGet, warm.counts.blobGet], [0, 0]);
  });

  test("an unsigned newest candidate is skipped for the next signed one, and the older never asked", async () => {
    const { result, counts } = await plan("acme/skip", join(tmp, "skip-cache.json"));
    assert.deepEqual(
      result.changes.map((c) => [c.from, c.to]),
      [["1.0.0", "1.1.0"]],
    );
    // 1.2.0 and 1.1.0: a HEAD and a signature manifest GET each; 1.2.0's is a 404, so its referrers
    // are asked too (the API: 404 on distribution 2.8, then the referrers tag: 404); one payload blob.
    assert.deepEqual([counts.manifestHead, counts.manifestGet, counts.blobGet], [2, 4, 1]);
  });

  test("no signed candidate: the reference stays `unsigned`, naming each skipped tag", async () => {
    const { result } = await plan("acme/none", join(tmp, "none-cache.json"));
    assert.equal(result.changes.length, 0);
    const u = result.unchanged.find((x) => x.reason === "unsigned");
    assert.ok(u, JSON.stringify(result.unchanged));
    assert.match(
      u.detail,
      /skipped 1\.2\.0: no signature \(acme\/none:sha256-[0-9a-f]{64}\.sig not found\); 1\.1\.0: no signature/,
    );
  });

  test("a tampered signature or one copied from another digest is `bad-signature`", async () => {
    const { result } = await plan("acme/tampered", join(tmp, "tampered-cache.json"));
    assert.equal(result.changes.length, 0);
    const u = result.unchanged.find((x) => x.reason === "bad-signature");
    assert.ok(u, JSON.stringify(result.unchanged));
    assert.match(u.detail, /1\.2\.0: sha256-[0-9a-f]{64}\.sig: signature does not verify with key sha256:[0-9a-f]{16}/);
    assert.match(u.detail, /1\.1\.0: sha256-[0-9a-f]{64}\.sig: payload signs sha256:[0-9a-f]{64}, not sha256:/);
  });

  test("a signature by another key is `bad-signature`; nothing is cached for it", async () => {
    const cachePath = join(tmp, "otherkey-cache.json");
    const { result } = await plan("acme/otherkey", cachePath);
    assert.equal(result.changes.length, 0);
    assert.equal(result.unchanged[0]?.reason, "bad-signature");
    // Asked again on the next run (a key rotation or a re-signing may fix it).
    const again = await plan("acme/otherkey", cachePath);
    assert.ok(again.counts.manifestGet >= 1);
  });
});

describe("verify.cosign: OCI 1.1 referrers carrying a Sigstore bundle", () => {
  test("a bundle by the key is accepted; one by another key is `bad-signature` and skipped", async () => {
    const cachePath = join(tmp, "bundled-cache.json");
    const { result, counts } = await plan("acme/bundled", cachePath);
    assert.deepEqual(
      result.changes.map((c) => [c.from, c.to]),
      [["1.0.0", "1.1.0"]],
    );
    // Per candidate: HEAD, `.sig` (404), referrers API (404), referrers tag index, bundle manifest, bundle blob.
    assert.deepEqual([counts.manifestHead, counts.manifestGet, counts.blobGet], [2, 8, 2]);
    // Cached as verified: a warm run asks no signature (only 1.2.0's bad bundle again).
    const warm = await plan("acme/bundled", cachePath);
    assert.deepEqual(
      warm.result.changes.map((c) => c.to),
      ["1.1.0"],
    );
    assert.equal(warm.counts.blobGet, 1);
  });

  test("nothing valid: `bad-signature` names the bundle's problem", async () => {
    const only = parseConfig(
      `updates:\n  - pattern: "semver:^1"\n    exclude: ["1.1.0"]\n    files: [deploy]\n    verify:\n      cosign:\n        keyEnv: K\n`,
    );
    const client = new RegistryClient({ cachePath: join(tmp, "bundled-bad-cache.json") });
    const result = await planUpdates({
      config: only,
      files: [
        { path: "deploy/app.yaml", references: scanText(Buffer.from(`image: ${reg.host}/acme/bundled:1.0.0\n`)) },
      ],
      tags: client,
      verifyKeys: new Map([[0, key]]),
    });
    const u = result.unchanged.find((x) => x.reason === "bad-signature");
    assert.ok(u, JSON.stringify(result.unchanged));
    assert.match(u.detail, /1\.2\.0: referrers of sha256:[0-9a-f]{64}: bundle signature does not verify with key/);
  });
});

describe("verify.cosign through the CLI", () => {
  test("the key file in the repository is read and the signed tag written; a missing key exits with file:line:key", async () => {
    const dir = await writeRepo({
      ".laminar.yaml": `updates:\n  - pattern: "semver:^1"\n    files: [deploy]\n    verify:\n      cosign:\n        key: keys/cosign.pub\n`,
      "keys/cosign.pub": signer.pub,
      "deploy/app.yaml": `image: ${reg.host}/acme/skip:1.0.0\n`,
    });
    try {
      const r = laminar(["apply", "--dir", dir, "--cache", join(tmp, "cli-cache.json"), "--json"]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(await readFile(join(dir, "deploy/app.yaml"), "utf8"), `image: ${reg.host}/acme/skip:1.1.0\n`);
      await rm(join(dir, "keys/cosign.pub"));
      const missing = laminar(["plan", "--dir", dir, "--cache", join(tmp, "cli-cache.json")]);
      assert.notEqual(missing.status, 0);
      assert.match(
        missing.stderr,
        /\.laminar\.yaml:6:\d+: updates\[0\]\.verify\.cosign\.key: cannot read keys\/cosign\.pub: ENOENT/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("verify.cosign config", () => {
  test("key or keyEnv, exactly one, inside the repository: errors name file, line and key", () => {
    const bad = (yaml: string) => {
      try {
        parseConfig(yaml, ".laminar.yaml");
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.message;
      }
      assert.fail("accepted");
    };
    const head = `updates:\n  - pattern: "semver:^1"\n    files: [deploy]\n    verify:\n      cosign:\n`;
    assert.match(
      bad(`${head}        key: a.pub\n        keyEnv: K\n`),
      /^\.laminar\.yaml:6:\d+: updates\[0\]\.verify\.cosign: set exactly one/,
    );
    assert.match(
      bad(`${head}        key: ../secret.pub\n`),
      /^\.laminar\.yaml:6:\d+: updates\[0\]\.verify\.cosign\.key: .*inside the repository/,
    );
    assert.match(
      bad(`${head}        keyEnv: "1X"\n`),
      /updates\[0\]\.verify\.cosign\.keyEnv: "1X" is not an environment variable name/,
    );
    assert.match(bad(`${head}        kee: a.pub\n`), /^\.laminar\.yaml:\d+:\d+: .*kee/);
  });

  test("keys are read from the repository or the environment; a bad or missing one names where", async () => {
    const dir = join(tmp, "repo");
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, "keys"), { recursive: true });
    await writeFile(join(dir, "keys/cosign.pub"), signer.pub);
    const fromFile = await loadVerifyKeys(dir, config, {});
    assert.equal(fromFile.get(0)?.id, key.id);

    const envConfig = parseConfig(
      `updates:\n  - pattern: "semver:^1"\n    files: [deploy]\n    verify:\n      cosign:\n        keyEnv: COSIGN_PUB\n`,
      ".laminar.yaml",
    );
    const fromEnv = await loadVerifyKeys(dir, envConfig, { COSIGN_PUB: signer.pub });
    assert.equal(fromEnv.get(0)?.id, key.id);
    await assert.rejects(
      loadVerifyKeys(dir, envConfig, {}),
      /\.laminar\.yaml:6:\d+: updates\[0\]\.verify\.cosign\.keyEnv: environment variable COSIGN_PUB is not set/,
    );
    await assert.rejects(
      loadVerifyKeys(dir, envConfig, {
        COSIGN_PUB: "-----BEGIN PUBLIC KEY-----\nSECRETISH\n-----END PUBLIC KEY-----\n",
      }),
      (e: Error) => /not a PEM public key/.test(e.message) && !e.message.includes("SECRETISH"),
    );
    await rm(join(dir, "keys/cosign.pub"));
    await assert.rejects(loadVerifyKeys(dir, config, {}), /verify\.cosign\.key: cannot read keys\/cosign\.pub: ENOENT/);
  });
});
