// WorkSlots (src/registry/concurrency.ts): the bounded producer in front of the HTTP client (#12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as tick } from "node:timers/promises";
import { WorkSlots } from "../src/registry/concurrency.js";

test("items start only as slots free up, shared over concurrent callers", async () => {
  const slots = new WorkSlots(3);
  let running = 0;
  let most = 0;
  const done: number[] = [];
  const work = async (i: number): Promise<void> => {
    running++;
    most = Math.max(most, running);
    await tick();
    await tick();
    running--;
    done.push(i);
  };
  const items = (from: number) => Array.from({ length: 50 }, (_, i) => from + i);
  await Promise.all([slots.forEach(items(0), work), slots.forEach(items(100), work)]);
  assert.equal(most, 3);
  assert.equal(done.length, 100);
});

test("a lazy iterable is read only as far as the slots allow", async () => {
  const slots = new WorkSlots(2);
  let produced = 0;
  function* gen(): Generator<number> {
    for (let i = 0; i < 10; i++) {
      produced++;
      yield i;
    }
  }
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const run = slots.forEach(gen(), () => gate);
  await tick();
  assert.equal(produced, 3, "two started, the third waits for a slot");
  release();
  await run;
  assert.equal(produced, 10);
});

test("the first failure stops new items, lets running ones finish, and is thrown", async () => {
  const slots = new WorkSlots(2);
  const started: number[] = [];
  await assert.rejects(
    slots.forEach([0, 1, 2, 3, 4, 5], async (i) => {
      started.push(i);
      await tick();
      if (i === 1) throw new Error("boom 1");
    }),
    /boom 1/,
  );
  assert.ok(started.length < 6, `started ${started.join(",")}`);
  // The slots are all free again: a later caller gets both.
  let running = 0;
  let most = 0;
  await slots.forEach([0, 1, 2, 3], async () => {
    most = Math.max(most, ++running);
    await tick();
    running--;
  });
  assert.equal(most, 2);
});
