/**
 * A bounded producer for registry work: tag resolutions start only as slots free up, instead of
 * all at once. A cold plan asks about every candidate tag (34k at the bench's default sizes); with
 * all of them started, each waited in the HTTP limiter holding its promise chain, headers and
 * token, and the run peaked at 783 MB (#12). HTTP concurrency stays the HTTP client's business
 * (src/registry/http.ts); this only keeps the queue in front of it short.
 */

/** Slots shared by every caller: each `forEach` holds at most one pending wait. */
export class WorkSlots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  /** @param size the work items under way at once over all callers (at least 1). */
  constructor(size: number) {
    this.free = Math.max(1, Math.floor(size));
  }

  private acquire(): Promise<void> | undefined {
    if (this.free > 0) {
      this.free--;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }

  /**
   * Runs `fn` on each item, starting the next only when a slot is free. On the first failure no
   * further item starts; the ones under way finish, then that failure is thrown.
   */
  async forEach<T>(items: Iterable<T>, fn: (item: T) => Promise<void>): Promise<void> {
    const running = new Set<Promise<void>>();
    let failed: { error: unknown } | undefined;
    for (const item of items) {
      const wait = this.acquire();
      if (wait) await wait;
      if (failed) {
        this.release();
        break;
      }
      const p: Promise<void> = fn(item)
        .catch((error: unknown) => {
          failed ??= { error };
        })
        .finally(() => {
          running.delete(p);
          this.release();
        });
      running.add(p);
    }
    await Promise.all(running);
    if (failed) throw failed.error;
  }
}
