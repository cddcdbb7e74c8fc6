import type { Plan } from "../plan/types.js";
import type { RequestCounts } from "../registry/types.js";
import { markdownCode as code, markdownText as cell } from "../output/markdown.js";
import { formatRequests } from "./format.js";

// Every piece from the plan (file names, images, tags, registry messages) passes through `cell` or
// `code` (src/output/markdown.ts): the one escaping rule of this sink (issue #13).
const time = (iso?: string, source?: string, cached?: boolean): string =>
  iso ? `${iso.replace(/\.\d{3}Z$/, "Z")}${source ? ` (${source}${cached ? ", cached" : ""})` : ""}` : "—";

/** The changes as a markdown table (job summary and pull-request body). */
export function changesTable(plan: Plan, options: { showCache?: boolean } = {}): string {
  if (plan.changes.length === 0) return "No image tag moves.";
  const rows = plan.changes.map(
    (c) =>
      `| ${code(c.image)} | ${cell(`${c.file}:${c.line}`)} | ${c.digestOnly ? `${code(`${c.from}@${(c.fromDigest ?? "").slice(0, 19)}`)} → ${code(`${(c.toDigest ?? "").slice(0, 19)}`)} (digest only)` : `${code(c.from)} → ${code(c.to)}`} | ${cell(time(c.buildTime, c.timeSource, options.showCache && c.cached))} |`,
  );
  return ["| Image | File | From → To | Build time |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The references left alone, with their reasons. */
export function unchangedTable(plan: Plan): string {
  if (plan.unchanged.length === 0) return "";
  const rows = plan.unchanged.map(
    (u) =>
      `| ${code(u.image)} | ${cell(`${u.file}:${u.line}`)} | ${u.tag ? code(u.tag) : "—"} | ${u.reason} | ${cell(u.detail)} |`,
  );
  return ["| Image | File | Tag | Reason | Detail |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

/**
 * The evidence of each promoted tag (issue #14): the commit, author and time it reached `from`, the
 * soak asked for, its build time and digest. Times, not "soaked for", so a rerun's body is unchanged.
 */
export function promotionEvidence(plan: Plan): string[] {
  const promoted = plan.changes.filter((c) => c.promotion);
  if (promoted.length === 0) return [];
  const lines = promoted.map((c) => {
    const e = c.promotion as NonNullable<typeof c.promotion>;
    return (
      `- **${cell(e.promotion)}**: ${code(c.image)} ${code(c.to)} in ${cell(`${c.file}:${c.line}`)} — ` +
      `reached ${cell(`${e.from}:${e.fromLine}`)} in ${code(e.commit.slice(0, 12))} by ${cell(e.author)} at ${e.arrivedAt.replace(/\.\d{3}Z$/, "Z")}` +
      `${e.arrivalExact ? "" : " (or earlier)"}; soak ${e.soak}; built ${time(c.buildTime)}` +
      `${e.digest ? `; digest ${code(e.digest)} (checked against the registry)` : ""}${e.choice ? `. ${cell(e.choice)}` : ""}`
    );
  });
  return ["", "### Promotions", "", ...lines];
}

export interface SummaryContext {
  readonly title: string;
  readonly outcome: string;
  readonly requests?: RequestCounts;
}

/** The job summary: outcome, changes, failures, and what was left alone (folded). */
export function jobSummary(plan: Plan, ctx: SummaryContext): string {
  const parts = [
    `## ${ctx.title}`,
    "",
    ctx.outcome,
    "",
    changesTable(plan, { showCache: true }),
    ...promotionEvidence(plan),
  ];
  if (plan.failures.length)
    parts.push("", "### Registry failures", "", ...plan.failures.map((f) => `- ${cell(f.message)}`));
  if (plan.warnings.length)
    parts.push("", "### Warnings", "", ...plan.warnings.map((w) => `- ${cell(`${w.file}: ${w.message}`)}`));
  parts.push(...leftAlone(plan));
  if (ctx.requests) parts.push("", `<sub>Registry requests: ${formatRequests(ctx.requests)}</sub>`);
  return `${parts.join("\n")}\n`;
}

/** The job summary of a run that failed before it had a plan: the error, as text. */
export function failedSummary(title: string, error: string): string {
  return `## ${title}\n\n**Failed:** ${cell(error)}\n`;
}

/** The references left alone, folded (nothing when there are none). */
function leftAlone(plan: Plan): string[] {
  const left = unchangedTable(plan);
  if (!left) return [];
  return [
    "",
    `<details><summary>${plan.unchanged.length} reference(s) left alone</summary>`,
    "",
    left,
    "",
    "</details>",
  ];
}

/**
 * Default pull-request body: what moves, with build times, and what stays. It depends only on the
 * plan's facts (not on whether a time came from the cache), so a rerun finds it unchanged.
 */
export function pullRequestBody(plan: Plan): string {
  const parts = ["Laminar moved these image tags:", "", changesTable(plan), ...promotionEvidence(plan)];
  parts.push(...leftAlone(plan));
  parts.push(
    "",
    "<sub>Opened by Laminar. Rerunning updates this pull request; it is closed when no change is left.</sub>",
  );
  return `${parts.join("\n")}\n`;
}
