import { runInNewContext } from "node:vm";
import type { TagPolicy } from "../policy/policy.js";

/** Tags are at most 128 characters (`[\w][\w.-]{0,127}`); the plan ignores anything longer. */
export const MAX_TAG_LENGTH = 128;
/**
 * Time all probes of one pattern may take together. A linear pattern needs well under 1 ms; a
 * backtracking one needs years on 128 characters. The first try is short; a pattern that runs out of
 * it gets one longer try before it is refused, so a busy machine (a descheduled process, a slow vm
 * context) never turns a good pattern into a config error.
 */
export const PROBE_BUDGET_MS = 2000;
const FIRST_TRY_MS = 250;

/**
 * Adversarial tags for a pattern: long runs of one character, and of two alternating ones, each
 * ending in a character that breaks the match — the shape that makes a backtracking matcher try
 * every way to split the input (`(a+){5}b`, `(.*a){20}`, `.*.*.*x` on "aaaa…a"). The characters
 * come from the pattern itself plus a few every tag pattern meets.
 */
export function probeTags(source: string): string[] {
  const alphabet = [...new Set([..."a0-._Z", ...source.replace(/\\./g, "").replace(/[^\w.-]/g, "")])].slice(0, 16);
  const out: string[] = [];
  for (const c of alphabet) {
    out.push(c.repeat(MAX_TAG_LENGTH));
    for (const end of alphabet) if (end !== c) out.push(c.repeat(MAX_TAG_LENGTH - 1) + end);
  }
  for (const [i, c] of alphabet.entries()) {
    for (const d of alphabet.slice(i + 1)) {
      const run = (c + d).repeat(MAX_TAG_LENGTH / 2);
      const breaker = alphabet.find((x) => x !== c && x !== d) as string;
      out.push(run, run.slice(0, -1) + breaker);
    }
  }
  return out;
}

/**
 * Runs `policy.matches` over the probe tags with a hard time limit (a vm timeout interrupts even a
 * regex that is stuck backtracking). Returns the milliseconds taken, or undefined when the budget
 * ran out: the pattern would stall a run on some tag a registry could list.
 */
export function probePolicy(policy: TagPolicy, budgetMs = PROBE_BUDGET_MS): number | undefined {
  return probeOnce(policy, Math.min(budgetMs, FIRST_TRY_MS)) ?? probeOnce(policy, budgetMs);
}

function probeOnce(policy: TagPolicy, budgetMs: number): number | undefined {
  const tags = probeTags(policy.source);
  const started = Date.now();
  try {
    runInNewContext(
      "for (const t of tags) matches(t);",
      { tags, matches: (t: string) => policy.matches(t) },
      { timeout: budgetMs },
    );
  } catch (e) {
    if (/timed out/i.test((e as Error)?.message ?? "")) return undefined;
    throw e;
  }
  return Date.now() - started;
}
