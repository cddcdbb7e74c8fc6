/**
 * PromiseMemo (src/registry/single-flight.ts): concurrent callers share one call; what each forget
 * policy does with rejected and fulfilled promises; delete, clear and priming with set.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PromiseMemo } from "../src/registry/single-flight.js";

/** A promise settled by hand. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("PromiseMemo", () => {
  for (const policy of ["rejected", "settled", "never"] as const) {
    test(`${policy}: concurrent callers share one call`, async () => {
      const memo = new PromiseMemo<string, number>(policy);
      const d = deferred<number>();
      let calls = 0;
      const produce = (): Promise<number> => {
        calls++;
        return d.promise;
      };
      const a = memo.get("k", produce);
      const b = memo.get("k", produce);
      const other = memo.get("other", () => Promise.resolve(7));
      d.resolve(42);
      assert.deepEqual(await Promise.all([a, b, other]), [42, 42, 7]);
      assert.equal(calls, 1);
    });
  }

  test("rejected: a rejection is forgotten so the next caller retries; a value is kept", async () => {
    const memo = new PromiseMemo<string, number>("rejected");
    let calls = 0;
    await assert.rejects(
      memo.get("k", () => {
        calls++;
        return Promise.reject(new Error("boom"));
      }),
      /boom/,
    );
    await tick();
    assert.equal(memo.has("k"), false);
    assert.equal(await memo.get("k", () => (calls++, Promise.resolve(1))), 1);
    assert.equal(await memo.get("k", () => (calls++, Promise.resolve(2))), 1);
    assert.equal(calls, 2);
  });

  test("settled: forgotten once settled either way", async () => {
    const memo = new PromiseMemo<string, number>("settled");
    assert.equal(await memo.get("k", () => Promise.resolve(1)), 1);
    await tick();
    assert.equal(memo.has("k"), false);
    assert.equal(await memo.get("k", () => Promise.resolve(2)), 2);
    await assert.rejects(
      memo.get("k", () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    await tick();
    assert.equal(memo.size, 0);
  });

  test("never: a rejection is kept and shared by later callers", async () => {
    const memo = new PromiseMemo<string, number>("never");
    let calls = 0;
    const produce = (): Promise<number> => (calls++, Promise.reject(new Error("boom")));
    await assert.rejects(memo.get("k", produce), /boom/);
    await tick();
    await assert.rejects(memo.get("k", produce), /boom/);
    assert.equal(calls, 1);
  });

  test("defaults to forgetting rejections", async () => {
    const memo = new PromiseMemo<string, number>();
    await assert.rejects(
      memo.get("k", () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    await tick();
    assert.equal(memo.has("k"), false);
  });

  test("delete and clear make the next caller produce again", async () => {
    const memo = new PromiseMemo<string, number>();
    await memo.get("a", () => Promise.resolve(1));
    await memo.get("b", () => Promise.resolve(2));
    assert.equal(memo.delete("a"), true);
    assert.equal(await memo.get("a", () => Promise.resolve(10)), 10);
    memo.clear();
    assert.equal(memo.size, 0);
    assert.equal(await memo.get("b", () => Promise.resolve(20)), 20);
  });

  test("a stale promise settling after clear does not drop the newer one", async () => {
    for (const policy of ["rejected", "settled"] as const) {
      const memo = new PromiseMemo<string, number>(policy);
      const old = deferred<number>();
      const stale = memo.get("k", () => old.promise);
      memo.clear();
      const fresh = deferred<number>();
      const current = memo.get("k", () => fresh.promise);
      old.reject(new Error("old"));
      await assert.rejects(stale, /old/);
      await tick();
      assert.equal(memo.has("k"), true, policy);
      fresh.resolve(3);
      assert.equal(await current, 3);
    }
  });

  test("a synchronous throw from produce propagates and stores nothing", () => {
    const memo = new PromiseMemo<string, number>();
    assert.throws(
      () =>
        memo.get("k", () => {
          throw new Error("sync");
        }),
      /sync/,
    );
    assert.equal(memo.has("k"), false);
  });

  test("set primes the memo", async () => {
    const memo = new PromiseMemo<string, number>();
    memo.set("k", Promise.resolve(5));
    assert.equal(await memo.get("k", () => Promise.resolve(6)), 5);
  });
});

test("maxEntries keeps the most recently stored promises and drops the oldest", async () => {
  const memo = new PromiseMemo<string, number>("rejected", 2);
  let calls = 0;
  const produce = (v: number) => () => {
    calls++;
    return Promise.resolve(v);
  };
  assert.equal(await memo.get("a", produce(1)), 1);
  assert.equal(await memo.get("b", produce(2)), 2);
  assert.equal(await memo.get("a", produce(9)), 1, "a is still kept");
  assert.equal(await memo.get("c", produce(3)), 3);
  assert.equal(memo.size, 2);
  assert.ok(!memo.has("a") && memo.has("b") && memo.has("c"), "a, stored first, was dropped");
  memo.set("b", Promise.resolve(20));
  await memo.get("d", produce(4));
  assert.ok(memo.has("b") && !memo.has("c"), "replacing b made it the newest");
  assert.equal(await memo.get("a", produce(10)), 10, "a dropped key is produced afresh");
  assert.equal(calls, 5);
});
