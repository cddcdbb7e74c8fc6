/**
 * Pull-request mode with promotions (issue #14): one pull request for the update rules (today's
 * branch), and one per promotion on `laminar/promote-<name>`, each updated on reruns and closed
 * when obsolete exactly as today's (each is one {@link pullRequestMode} run over its share of the
 * plan), so staging and prod are reviewed and merged on their own.
 */
import type { PlanChange } from "../plan/types.js";
import {
  pullRequestMode,
  type PullRequestModeOptions,
  type PullRequestModeResult,
  type PullRequestOutcome,
} from "./pull-request.js";

/** The branch of one promotion's pull request. */
export function promotionBranch(name: string): string {
  return `laminar/promote-${name}`;
}

/** What the runs did together, plus each promotion's own pull request. */
export interface PullRequestsResult extends PullRequestModeResult {
  /** One entry per promotion, by name. */
  readonly promotions: ReadonlyArray<{ readonly name: string; readonly pullRequest: PullRequestOutcome }>;
}

/**
 * Runs pull-request mode once for the update rules and once per promotion (in config order). With
 * no promotion it is exactly {@link pullRequestMode}. The combined plan lists every run's changes.
 */
export async function pullRequestsWithPromotions(
  o: PullRequestModeOptions,
  promotions: readonly string[],
): Promise<PullRequestsResult> {
  if (promotions.length === 0) return { ...(await pullRequestMode(o)), promotions: [] };
  const main = await pullRequestMode({ ...o, selectChanges: (c: PlanChange) => !c.promotion });
  const changes = [...main.plan.changes];
  const files = [...main.files];
  const sentences = [main.sentence];
  const done: Array<{ name: string; pullRequest: PullRequestOutcome }> = [];
  for (const name of promotions) {
    const r = await pullRequestMode({
      ...o,
      selectChanges: (c: PlanChange) => c.promotion?.promotion === name,
      pullRequest: { ...o.pullRequest, branch: promotionBranch(name), title: `Promote ${name}: {{summary}}` },
    });
    changes.push(...r.plan.changes);
    files.push(...r.files);
    done.push({ name, pullRequest: r.pullRequest });
    if (r.pullRequest.operation !== "none") sentences.push(`Promotion ${name}: ${r.sentence}`);
  }
  return {
    ...main,
    plan: { ...main.plan, changes },
    files: [...new Set(files)],
    sentence: sentences.join(" "),
    promotions: done,
  };
}
