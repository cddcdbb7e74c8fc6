/**
 * Runs the benchmark in its quick mode (tiny sizes, real registry, real CLI) and checks what it
 * guarantees: it runs to the end, the warm run asks the registry for no manifest or blob at all,
 * the run after the pushes asks only about the new tags, and one serve cycle asks each shared
 * registry repository for its tags once. Nothing about time: CI machines vary.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import { RegistryClient } from "../src/registry/index.js";
import { scanText } from "../src/scan/scan.js";
import { seedImages } from "../test/helpers/registry/seed.js";
import { startRegistry } from "../test/helpers/registry/server.js";
import { laminarConfig } from "./manifests.js";
import { buildRepos, seedImagesFor } from "./registry-data.js";
import type { BenchResults } from "./run.js";

const ROOT = new URL("..", import.meta.url).pathname;

function runBench(args: readonly string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/run.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (b: Buffer) => (output += b.toString()));
    child.stderr.on("data", (b: Buffer) => (output += b.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

test("npm run bench -- --quick runs and the warm run fetches no metadata", { timeout: 300_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "laminar-bench-test-"));
  try {
    const out = join(dir, "results.json");
    const { code, output } = await runBench(["--quick", "--out", out]);
    assert.equal(code, 0, output);
    const results = JSON.parse(await readFile(out, "utf8")) as BenchResults;
    const { cold, warm, naive } = results.runs;
    assert.ok(cold && warm && naive, "cold, warm and naive runs are reported");
    assert.equal(
      warm.requests.manifestHead + warm.requests.manifestGet + warm.requests.blobGet,
      0,
      "warm run: no manifest or blob request",
    );
    // The cold run must really have learnt build times, or the warm figure proves nothing.
    assert.ok(
      cold.requests.manifestGet > 0 && cold.requests.blobGet > 0,
      "cold run fetched manifests and config blobs",
    );
    assert.equal(warm.changes, cold.changes, "warm and cold runs plan the same changes");
    // After the pushes, only the new tags are asked about (#12): their manifests and config blobs,
    // no HEAD re-checking the tags the cache already knows.
    const { afterPush } = results.runs;
    const floor = results.afterPushFloor ?? 0;
    assert.ok(afterPush && floor > 0, "the after-push run is reported");
    assert.equal(afterPush.requests.manifestHead, 0, "after push: no HEAD for known tags");
    assert.equal(
      afterPush.requests.manifestGet + afterPush.requests.blobGet,
      floor,
      "after push: one manifest (+ platform manifest) and one config blob per new tag",
    );
    // One serve cycle over 10 git repositories × 5 references sharing 3 registry repositories: one
    // tag list per registry repository, not one per git repository (issue #16).
    const serve = results.serve;
    assert.ok(serve, "the serve cycle is reported");
    assert.equal(serve.distinctRegistryRepositories, 3);
    assert.equal(serve.cycle.tagListRequests, serve.distinctRegistryRepositories, "tag-list requests per cycle");
    assert.equal(serve.cycle.succeeded, serve.gitRepos, serve.cycle.errors.join("\n"));
    assert.ok(serve.plans.tagListRequests > serve.cycle.tagListRequests, "separate plan runs each list the tags");
    // Issue #15: a one-image dispatch on the warm cache (token auth): token + manifest + config blob.
    const targeted = results.runs.targeted;
    assert.ok(targeted, "the targeted run is reported");
    assert.ok(targeted.changes > 0, "the targeted run moves the references to the pushed tag");
    assert.deepEqual(
      [
        targeted.requests.ping,
        targeted.requests.tagPages,
        targeted.requests.token,
        targeted.requests.manifestGet,
        targeted.requests.blobGet,
      ],
      [0, 0, 1, 1, 1],
      "targeted run: one token, one manifest, one config blob",
    );
    assert.deepEqual(results.problems, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// The bench's plan runs raise limits.candidates to measure a one-run cold start. With the default
// limit, a bench-sized build repository (500 tags, 400 in the channel) is learnt in
// ceil(400 / 200) = 2 runs, each fetching at most 200 build times (a manifest and a config blob each).
test(
  "a bench-sized channel under the default limits.candidates: decided in ceil(N/limit) runs",
  { timeout: 300_000 },
  async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-bench-limit-"));
    const reg = await startRegistry({ auth: "none" });
    try {
      const [repo] = buildRepos(1, 500);
      assert.ok(repo && repo.kind === "build");
      await seedImages(reg, seedImagesFor(repo));
      const channel = repo.tags.filter((t) => t.inChannel);
      const newest = channel.reduce((a, b) => (b.created > a.created ? b : a));
      const limit = 200;
      const runs = Math.ceil(channel.length / limit);
      const config = parseConfig(laminarConfig(reg.host));
      assert.equal(config.limits?.candidates, undefined, "the default limit");
      const text = `image: ${reg.host}/${repo.name}:${channel[0]!.tag}\n`;
      const outcomes: string[] = [];
      for (let i = 0; i < runs + 1; i++) {
        const client = new RegistryClient({ cachePath: join(dir, "cache.json"), env: {} });
        const plan = await planUpdates({
          config,
          files: [{ path: "deploy/app.yaml", references: scanText(Buffer.from(text)) }],
          tags: client,
        });
        await client.flush();
        const c = client.counts();
        assert.ok(c.manifestGet + c.blobGet + c.manifestHead <= limit * 2, `run ${i + 1}: ${JSON.stringify(c)}`);
        outcomes.push(plan.changes[0] ? `move ${plan.changes[0].to}` : String(plan.unchanged[0]?.reason));
      }
      assert.deepEqual(outcomes, [
        ...Array.from({ length: runs - 1 }, () => "learning-build-times"),
        `move ${newest.tag}`,
        `move ${newest.tag}`,
      ]);
    } finally {
      await reg.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
);
