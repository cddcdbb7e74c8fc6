import assert from "node:assert/strict";
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
    const p = startProgress(t, () => ({ files: 3, repositories: 1, requests: 2 }), { delayMs: 0, intervalMs: 1 });
    await sleep(20);
    p.stop();
    assert.deepEqual(t.written, []);
  });

  it("stays quiet for a run shorter than the delay", async () => {
    const t = terminal(true);
    const p = startProgress(t, () => ({ files: 3, repositories: 1, requests: 2 }), { delayMs: 10_000 });
    p.stop();
    assert.deepEqual(t.written, []);
  });

  it("redraws the counts on one line, fits the width, and erases itself on stop", async () => {
    const t = terminal(true);
    let files = 0;
    const p = startProgress(t, () => ({ files: ++files, repositories: 2, requests: 40 }), {
      delayMs: 0,
      intervalMs: 5,
    });
    while (t.written.length < 3) await sleep(5);
    p.stop();
    const frames = t.written.slice(0, -1);
    assert.ok(frames.every((f) => f.startsWith("\r\x1b[2K") && !f.includes("\n")));
    assert.equal(frames[0], "\r\x1b[2Klaminar: scanned 1 file(s) · 2 repositories · 40 registry …");
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
