/**
 * How long the runs in progress get after SIGTERM / SIGINT before they are abandoned, for
 * `laminar serve` and `laminar watch` alike (they used to differ: 6 s and 7 s). The worst case of a
 * serve stop is this + the engine's 2 s abandon wait + serve's 0.5 s HTTP close wait + its 1 s exit
 * timer = 9.5 s: under Kubernetes' default 10 s before SIGKILL (issue #16).
 */
export const STOP_GRACE_MS = 6000;

/**
 * The grace of this process: `LAMINAR_SERVE_STOP_GRACE_MS` (milliseconds; tests shorten it), else
 * {@link STOP_GRACE_MS}. Zero, negative or not a number: the default.
 */
export function stopGraceMs(env: NodeJS.ProcessEnv): number {
  const set = Number(env.LAMINAR_SERVE_STOP_GRACE_MS);
  return Number.isFinite(set) && set > 0 ? set : STOP_GRACE_MS;
}
