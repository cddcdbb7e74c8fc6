/**
 * One shared promise per key: the "promise memo / single-flight" pattern used by the registry
 * client, its HTTP layer and its token cache.
 */

/**
 * When a stored promise is dropped so that the next caller starts afresh:
 * - `"rejected"`: a promise that rejects is forgotten (the next caller retries); a fulfilled one
 *   is kept until {@link PromiseMemo.delete} or {@link PromiseMemo.clear}. A memo of answers.
 * - `"settled"`: forgotten as soon as it settles either way; only calls in flight are shared
 *   (single-flight). Whatever the callers want to keep, they keep elsewhere.
 * - `"never"`: kept even when it rejects, so every later caller gets the same rejection.
 */
export type ForgetPolicy = "rejected" | "settled" | "never";

/**
 * A map from key to the promise of a value, so that concurrent and later callers asking for the
 * same key share one call of `produce` instead of each making their own.
 *
 * A promise is only ever forgotten (by its policy) while it is still the one stored under its key:
 * a promise left over from before {@link PromiseMemo.clear} or {@link PromiseMemo.delete} never
 * drops the newer promise that took its place.
 */
export class PromiseMemo<K, V> {
  private readonly entries = new Map<K, Promise<V>>();

  /**
   * @param forget when a stored promise is dropped; `"rejected"` unless said otherwise.
   * @param maxEntries most promises kept: storing one more drops the one stored longest ago (its
   *   callers keep it; the next caller of that key starts afresh). Unbounded unless given.
   */
  constructor(
    private readonly forget: ForgetPolicy = "rejected",
    private readonly maxEntries = Infinity,
  ) {}

  /**
   * The promise stored under `key`, or else the one `produce()` returns, stored first. `produce`
   * is called at most once per stored promise; if it throws, the error propagates and nothing is
   * stored.
   */
  get(key: K, produce: () => Promise<V>): Promise<V> {
    const stored = this.entries.get(key);
    if (stored) return stored;
    return this.set(key, produce());
  }

  /**
   * Stores `value` under `key` (replacing what was there), subject to the same forget policy,
   * e.g. to prime the memo with an answer obtained another way. Returns the promise callers of
   * {@link PromiseMemo.get} will now receive.
   */
  set(key: K, value: Promise<V>): Promise<V> {
    let p = value;
    const forget = (): void => {
      if (this.entries.get(key) === p) this.entries.delete(key);
    };
    if (this.forget === "settled") {
      p = value.finally(forget);
    } else if (this.forget === "rejected") {
      // The caller still sees the rejection through `p`; this branch only does the forgetting.
      value.catch(forget);
    }
    // Deleted first so that a replaced key counts as stored now, not when it was first stored.
    this.entries.delete(key);
    this.entries.set(key, p);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return p;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Forgets the promise under `key`, so the next caller calls `produce` again. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Forgets every stored promise. Calls in flight still settle for those already awaiting them. */
  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
