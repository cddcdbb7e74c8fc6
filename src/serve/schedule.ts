/**
 * When a repository runs next (issue #16): every `pollFreq` seconds with ±10 % jitter, so that
 * many repositories started together do not hit the registries and git servers in step; after
 * failures, 10 s doubling up to 1 h (with the same jitter), so a broken remote is not hammered
 * and a fixed one is picked up within the hour.
 */

/** Fraction of the delay added or taken away at random. */
export const JITTER = 0.1;
/** Delay after the first failure, in seconds; doubled with each further failure. */
export const FIRST_BACKOFF_S = 10;
/** The longest delay after failures, in seconds. */
export const MAX_BACKOFF_S = 3600;

/**
 * Milliseconds until the next scheduled run.
 *
 * @param pollFreqS - the repository's `pollFreq`, in seconds
 * @param failures - runs failed in a row (0 after a success)
 * @param random - a number in [0, 1) (Math.random by default; a test passes 0, 0.5 or 0.999…)
 */
export function nextRunDelayMs(pollFreqS: number, failures: number, random: () => number = Math.random): number {
  // Capped exponent: 2 ** 1000 is Infinity, and a repository failing for months must stay at 1 h.
  const base = failures > 0 ? Math.min(FIRST_BACKOFF_S * 2 ** Math.min(failures - 1, 30), MAX_BACKOFF_S) : pollFreqS;
  return base * 1000 * (1 - JITTER + random() * 2 * JITTER);
}
