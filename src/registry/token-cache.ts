/**
 * Bearer tokens per registry + service + scope + identity, kept until shortly before they expire,
 * with concurrent fetches of the same token shared.
 */

import { PromiseMemo } from "./single-flight.js";

export interface IssuedToken {
  readonly token: string;
  /** Seconds; the distribution token spec says to assume 60 when the server gives none. */
  readonly expiresIn?: number;
  readonly issuedAt?: Date;
}

interface Entry {
  token: string;
  expiresAt: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  /** Token fetches in flight, shared until they settle; the tokens themselves live in `entries`. */
  private readonly inflight = new PromiseMemo<string, string>("settled");

  constructor(private readonly now: () => number = Date.now) {}

  static key(registry: string, service: string, scope: string, identity: string): string {
    return `${registry}\u0000${service}\u0000${scope}\u0000${identity}`;
  }

  get(key: string): string | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() >= e.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return e.token;
  }

  set(key: string, issued: IssuedToken): void {
    const lifetime = (issued.expiresIn && issued.expiresIn > 0 ? issued.expiresIn : 60) * 1000;
    const issuedAt =
      issued.issuedAt && !Number.isNaN(issued.issuedAt.getTime()) ? issued.issuedAt.getTime() : this.now();
    // Renew a little early (10 % of the lifetime, at most 30 s) so a token cannot expire in flight.
    const margin = Math.min(30_000, lifetime / 10);
    this.entries.set(key, { token: issued.token, expiresAt: Math.min(issuedAt, this.now()) + lifetime - margin });
  }

  invalidate(key: string): void {
    this.entries.delete(key);
  }

  /** The cached token, or one fetched once however many callers ask at the same time. */
  async getOrFetch(key: string, fetchToken: () => Promise<IssuedToken>): Promise<string> {
    const cached = this.get(key);
    if (cached) return cached;
    return this.inflight.get(key, () =>
      fetchToken().then((t) => {
        this.set(key, t);
        return t.token;
      }),
    );
  }
}
