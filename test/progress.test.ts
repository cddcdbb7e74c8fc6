import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { startProgress, type ProgressStream } from "../src/cli/progress.js";

/** A terminal stand-in that records what was written (stderr's write is all progress uses). */
function terminal(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns: 60, written, write: (s: string) => written.push(s) };
}

describe("CLI progress line", () => {
  it("draws nothing when stderr is not a terminal", async () => {
    const t = terminal(false);
    const p = startProgress(t, () => ({ files: 3, tagPages: 1, requests: 2 }), { delayMs: 0, intervalMs: 1 });
    await sleep(20);
    p.stop();
    assert.deepEqual(t.written, []);
  });

  it("stays quiet for a run shorter than the delay", async () => {
    const t = terminal(true);
    const p = startProgress(t, () => ({ files: 3, tagPages: 1, requests: 2 }), { delayMs: 10_000 });
    p.stop();
    assert.deepEqual(t.written, []);
  });

  it("redraws the counts on one line, fits the width, and erases itself on stop", async () => {
    const t = terminal(true);
    let files = 0;
    const p = startProgress(t, () => ({ files: ++files, tagPages: 2, requests: 40 }), {
      delayMs: 0,
      intervalMs: 5,
    });
    while (t.written.length < 3) await sleep(5);
    p.stop();
    const frames = t.written.slice(0, -1);
    assert.ok(frames.every((f) => f.startsWith("\r\x1b[2K") && !f.includes("\n")));
    assert.equal(frames[0], "\r\x1b[2Klaminar: scanned 1 file(s) · 2 tag page(s) · 40 registry r…");
    assert.ok(
      frames.every((f) => f.length - 5 <= 59),
      "a frame is wider than the terminal",
    );
    assert.equal(t.written.at(-1), "\r\x1b[2K");
    const count = t.written.length;
    await sleep(20);
    assert.equal(t.written.length, count, "drew after stop");
  });
});

describe("CLI progress on a real terminal", () => {
  it("shows on stderr of a slow `plan --json` run and never in its stdout", async () => {
    // A registry that accepts connections and never answers: the run lasts its attempts at a 1 s timeout.
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), "laminar-progress-"));
    await mkdir(join(dir, "deploy"));
    await writeFile(
      join(dir, ".laminar.yaml"),
      `registries:\n  - host: 127.0.0.1:${port}\n    insecure: true\n    timeout: 1\nupdates:\n  - files: ["deploy/**"]\n    pattern: "glob:develop-*"\n`,
    );
    await writeFile(join(dir, "deploy/app.yaml"), `image: 127.0.0.1:${port}/acme/app:develop-1\n`);
    const bin = join(new URL("..", import.meta.url).pathname, "src/cli/bin.ts");
    const out = join(dir, "plan.json");
    const cmd = `${process.execPath} --import tsx ${bin} plan --json --registry-errors warn --dir ${dir} --cache ${join(dir, "cache.json")} > ${out}`;
    try {
      // `script` gives the CLI a real pseudo-terminal; what it records is what a person would see.
      const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", cwd: join(bin, "..") });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const frame = /laminar: scanned 1 file\(s\) · 0 tag page\(s\) · \d+ registry request\(s\)/.exec(r.stdout);
      assert.ok(frame, r.stdout);
      assert.equal(r.stdout.slice(frame.index - 5, frame.index), "\r\x1b[2K");
      const json = await readFile(out, "utf8");
      assert.ok(!json.includes("\x1b") && !json.includes("scanned"), json);
      assert.equal(JSON.parse(json).unchanged[0].reason, "registry-error");
    } finally {
      silent.close();
    }
  });
});
