/**
 * A secret with a lifetime (an ECR password, a Google access token, an ACR refresh token), fetched
 * once and fetched again at 80 % of its lifetime: `laminar serve` and `watch` run for weeks, and
 * a token that is only renewed after it failed costs a failed pass (issue #11: peers' credentials
 * "stop refreshing after 12 h"). Concurrent callers share one fetch.
 */

/** A fetched secret and when it stops working (epoch milliseconds). */
export interface Expiring<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** Refresh when this share of the lifetime has passed. */
export const REFRESH_AT = 0.8;

export class RefreshingValue<T> {
  private current: { value: T; expiresAt: number; refreshAt: number } | undefined;
  private inflight: Promise<T> | undefined;

  constructor(
    private readonly fetchValue: () => Promise<Expiring<T>>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value while it is fresh, else a newly fetched one. */
  get(): Promise<T> {
    const c = this.current;
    if (c && this.now() < c.refreshAt) return Promise.resolve(c.value);
    this.inflight ??= this.fetchValue()
      .then((e) => {
        const issued = this.now();
        this.current = {
          value: e.value,
          expiresAt: e.expiresAt,
          refreshAt: issued + Math.max(0, e.expiresAt - issued) * REFRESH_AT,
        };
        return e.value;
      })
      .finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** When the value in hand should be asked for again (undefined before the first fetch). */
  refreshAt(): number | undefined {
    return this.current?.refreshAt;
  }

  /** Forget the value (the service refused it), so the next `get` fetches. */
  invalidate(): void {
    this.current = undefined;
  }
}
