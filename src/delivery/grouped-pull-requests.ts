/**
 * Pull-request mode in groups (issue #14): which changes share a pull request. Each group is one
 * branch and one pull request, updated on reruns and closed when obsolete exactly as today's (each
 * is one {@link pullRequestMode} run over its share of the plan).
 *
 * - `promotion` (the default): one pull request for the update rules (the configured branch,
 *   `laminar/updates`), and one per promotion on `laminar/promote-<name>`, so staging and prod are
 *   reviewed and merged on their own.
 * - `all`: every change in the one pull request of the configured branch.
 * - `rule`: one per update rule (`laminar/rule-<rule>`), and one per promotion.
 * - `image`: one per image repository (`laminar/image-<repository>`), and one per promotion: a
 *   promotion stays its own review whatever the grouping of the updates.
 *
 * Group branches belong to one config: they are named after the configured branch, so a second
 * config in the same repository (`laminar/updates-<hash>`) has its own (`laminar/updates-<hash>-rule-…`;
 * the default config keeps the short `laminar/rule-…`), and each pull request's body carries a hidden
 * owner marker (a hash of the config's path). Under `all`, `rule` and `image`, open pull requests on
 * this config's `rule-*` and `image-*` branches that no group has any more are closed, so switching
 * grouping leaves none behind; only those with this config's marker, so two configs (or two runs
 * with different config files) never close each other's. A targeted run (`images`, `--image`) only
 * visits the groups its plan produced: it knows nothing about the other images.
 */
import { createHash } from "node:crypto";
import { relative, resolve } from "node:path";
import { DEFAULT_CONFIG_FILE } from "../config/load.js";
import type { PullRequestGroup } from "../config/types.js";
import { updatePass, type UpdatePass } from "../pipeline.js";
import { nothingToUpdate } from "../report/format.js";
import type { PlanChange } from "../plan/types.js";
import {
  pullRequestMode,
  pullRequestOwnerOf,
  type PullRequestModeOptions,
  type PullRequestModeResult,
  type PullRequestOutcome,
} from "./pull-request.js";

/** The configured branch of the default config; its groups keep the short names (`laminar/rule-…`). */
const DEFAULT_BRANCH = "laminar/updates";

/**
 * Where a config's group branches start: `laminar/` for the default branch (the names Laminar has
 * always used), else the configured branch and a dash, so another config's groups never share a name.
 * (Not `<branch>/`: git cannot hold `a` and `a/b` as branches at once.)
 */
function groupPrefix(main: string): string {
  return main === DEFAULT_BRANCH ? "laminar/" : `${main}-`;
}

/** The branch of one promotion's pull request (`main`: the configured pull-request branch). */
export function promotionBranch(name: string, main: string = DEFAULT_BRANCH): string {
  return `${groupPrefix(main)}promote-${name}`;
}

/** Branch prefixes of the groups whose set is only known from the plan (left-overs are closed). */
function dynamicPrefixes(main: string): { rule: string; image: string } {
  return { rule: `${groupPrefix(main)}rule-`, image: `${groupPrefix(main)}image-` };
}

/**
 * The owner id of a config's pull requests: a hash of its path relative to the repository root
 * (stable across runs and machines), carried as a hidden marker in each pull request's body.
 */
export function pullRequestOwner(relativeConfigPath: string): string {
  return createHash("sha256").update(relativeConfigPath.split("\\").join("/")).digest("hex").slice(0, 12);
}

/**
 * A branch-name part from a rule name or a repository (`updates[0]` → `updates-0`,
 * `ghcr.io/acme/app` → `ghcr.io-acme-app`); long ones are cut and keep a hash of the whole.
 */
export function branchSlug(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+|[-.]+$/g, "");
  if (slug && slug.length <= 60 && !slug.endsWith(".lock")) return slug;
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 8);
  return `${slug.slice(0, 50).replace(/[-.]+$/, "")}-${hash}`;
}

/** The branch (the group) a change belongs to; `main` is the configured pull-request branch. */
export function groupBranch(change: PlanChange, group: PullRequestGroup, main: string): string {
  if (group === "all") return main;
  if (change.promotion) return promotionBranch(change.promotion.promotion, main);
  if (group === "rule") return dynamicPrefixes(main).rule + branchSlug(change.rule);
  if (group === "image") return dynamicPrefixes(main).image + branchSlug(change.repository);
  return main;
}

/** How to group, and the promotions the config names (their branches may need closing). */
export interface PullRequestGrouping {
  /** Default `promotion`: today's one pull request for the updates plus one per promotion. */
  readonly group?: PullRequestGroup;
  readonly promotions: readonly string[];
}

/** What the runs did together, plus each group's own pull request. */
export interface PullRequestsResult extends PullRequestModeResult {
  /** One entry per promotion that has a pull request branch, by name. */
  readonly promotions: ReadonlyArray<{ readonly name: string; readonly pullRequest: PullRequestOutcome }>;
  /** One entry per group run (the configured branch first), by branch. */
  readonly groups: ReadonlyArray<{ readonly branch: string; readonly pullRequest: PullRequestOutcome }>;
}

/**
 * Runs pull-request mode once per group. The default grouping needs no plan up front (its groups are
 * the configured branch and the promotions); the others plan once (dry run) to learn their groups,
 * then also visit the open pull requests of groups the plan no longer has, to close them. With no
 * promotion and the default grouping it is exactly {@link pullRequestMode}. The combined plan lists
 * every run's changes.
 */
export async function groupedPullRequests(
  o: PullRequestModeOptions,
  grouping: PullRequestGrouping,
): Promise<PullRequestsResult> {
  const group = grouping.group ?? "promotion";
  const main = o.pullRequest.branch;
  const known = [main, ...grouping.promotions.map((name) => promotionBranch(name, main))];
  const owner = pullRequestOwner(relative(o.dir, resolve(o.dir, o.configPath ?? DEFAULT_CONFIG_FILE)));
  const settings = { ...o.pullRequest, owner };
  const targeted = (o.targets?.length ?? 0) > 0;
  if (group === "promotion" && grouping.promotions.length === 0) {
    const r = await pullRequestMode({ ...o, pullRequest: settings });
    return { ...r, promotions: [], groups: [{ branch: main, pullRequest: r.pullRequest }] };
  }
  // The branches to run: every known one for the default; else those the plan produces, plus the
  // known and left-over ones that still have an open pull request (to close them). A targeted run
  // runs only the groups it produced: the others' images were not looked at.
  let branches: string[];
  let mustRun: Set<string>;
  const leftover = new Set<string>();
  let preview: UpdatePass | undefined;
  if (group === "promotion" && !targeted) {
    branches = known;
    mustRun = new Set(known);
  } else {
    preview = await updatePass({ ...o, dryRun: true });
    const produced = new Set(preview.plan.changes.map((c) => groupBranch(c, group, main)));
    // Both kinds, so a change of grouping closes the pull requests of the previous one.
    const prefixes = Object.values(dynamicPrefixes(main)).map((p) => `refs/heads/${p}`);
    const refs = targeted ? [] : [...(await o.git.lsRemote([])).keys()];
    for (const ref of refs) if (prefixes.some((p) => ref.startsWith(p))) leftover.add(ref.slice("refs/heads/".length));
    const dynamic = [...new Set([...produced, ...leftover])].filter((b) => !known.includes(b)).sort();
    branches = targeted
      ? [main, ...dynamic, ...known.slice(1)].filter((b) => produced.has(b))
      : [main, ...dynamic, ...known.slice(1)];
    mustRun = produced;
    if (!targeted) mustRun.add(main);
    for (const b of produced) leftover.delete(b);
  }

  const promotionOf = new Map(grouping.promotions.map((name) => [promotionBranch(name, main), name]));
  const runs: Array<{ branch: string; result: PullRequestModeResult }> = [];
  for (const branch of branches) {
    if (!mustRun.has(branch)) {
      const pr = await o.github.findOpenPullRequest(branch, o.base);
      if (!pr) continue;
      // A left-over branch is only closed when its pull request says it is this config's.
      if (leftover.has(branch) && pullRequestOwnerOf(pr.body) !== owner) {
        o.log(`${branch}: pull request #${pr.number} is not this config's (no owner marker ${owner}); left alone`);
        continue;
      }
    }
    const promotion = promotionOf.get(branch);
    const result = await pullRequestMode({
      ...o,
      selectChanges: (c: PlanChange) => groupBranch(c, group, main) === branch,
      pullRequest: {
        ...settings,
        branch,
        ...(promotion !== undefined ? { title: `Promote ${promotion}: {{summary}}` } : {}),
      },
    });
    runs.push({ branch, result });
  }
  if (runs.length === 0 && preview) {
    // A targeted run that changed nothing: no pull request was visited (none is closed for it).
    runs.push({
      branch: main,
      result: {
        plan: preview.plan,
        files: [],
        pullRequest: { operation: "none" },
        sentence: nothingToUpdate(preview.plan),
      },
    });
  }

  const first = runs[0] as { branch: string; result: PullRequestModeResult };
  // The outputs name one pull request: the configured branch's (today's), or under another grouping,
  // where that one is usually idle, the first group that did something.
  const lead =
    group === "promotion" || first.result.pullRequest.operation !== "none"
      ? first
      : (runs.find((r) => r.result.pullRequest.operation !== "none") ?? first);
  const sentences = runs
    .filter((r) => r === lead || r.result.pullRequest.operation !== "none")
    .map((r) => {
      const name = promotionOf.get(r.branch);
      if (r === first && group === "promotion") return r.result.sentence;
      return name !== undefined ? `Promotion ${name}: ${r.result.sentence}` : `${r.branch}: ${r.result.sentence}`;
    });
  const { commitSha: _ignored, ...base } = first.result;
  return {
    ...base,
    ...(lead.result.commitSha ? { commitSha: lead.result.commitSha } : {}),
    pullRequest: lead.result.pullRequest,
    plan: { ...first.result.plan, changes: runs.flatMap((r) => r.result.plan.changes) },
    files: [...new Set(runs.flatMap((r) => r.result.files))],
    sentence: sentences.join(" "),
    promotions: runs.flatMap((r) => {
      const name = promotionOf.get(r.branch);
      return name !== undefined ? [{ name, pullRequest: r.result.pullRequest }] : [];
    }),
    groups: runs.map((r) => ({ branch: r.branch, pullRequest: r.result.pullRequest })),
  };
}
