import type { Plan, PlanChange, PlanUnchanged } from "../plan/types.js";
import type { RequestCounts } from "../registry/types.js";
import type { ScannedFile } from "../scan/repository.js";

/**
 * `plan --json`: stable field names other tools read. Byte edits stay internal. Fields are only
 * ever added (`form`, `quoted` with issue #10), never renamed.
 */
export function planToJson(plan: Plan, requests?: RequestCounts): Record<string, unknown> {
  return {
    changes: plan.changes.map(({ edits: _edits, ...c }) => c),
    unchanged: plan.unchanged,
    failures: plan.failures,
    warnings: plan.warnings,
    ...(requests ? { requests } : {}),
  };
}

/** `scan --json`: the inventory of every image site; `form` (issue #10) says how it is written. */
export function scanToJson(files: readonly ScannedFile[]): { references: Array<Record<string, unknown>> } {
  return {
    references: files.flatMap((f) =>
      f.references.map((r) => ({
        file: f.path,
        line: r.line,
        column: r.column,
        text: r.text,
        registry: r.reference.registry,
        repository: r.reference.repository,
        tag: r.reference.tag ?? null,
        digest: r.reference.digest ?? null,
        form: r.form,
        // Byte offsets [start, end) of the name, tag and digest values, for tools that edit the file.
        nameSpan: r.nameSpan ?? null,
        tagSpan: r.tagSpan ?? null,
        digestSpan: r.digestSpan ?? null,
      })),
    ),
  };
}

/**
 * The outcome sentence of a run that changed nothing. It only claims every image is at its newest
 * tag when every registry answered (issue #13: it used to say so after a registry failed).
 */
export function nothingToUpdate(plan: Plan): string {
  if (!plan.failures.length) return "Nothing to update: every image is at the newest tag its policy allows.";
  return `Nothing updated: ${plan.failures.length} registry failure(s) left images unchecked (see the failures); the images that were checked are at the newest tag their policy allows.`;
}

/** Left-aligned columns, for terminals. */
export function table(rows: readonly (readonly string[])[], indent = "  "): string {
  if (rows.length === 0) return "";
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map(
      (r) =>
        indent +
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
          .join("  ")
          .trimEnd(),
    )
    .join("\n");
}

export function formatRequests(r: RequestCounts): string {
  return `token ${r.token}, tag pages ${r.tagPages}, manifest HEAD ${r.manifestHead}, manifest GET ${r.manifestGet}, blob GET ${r.blobGet}, timestamp API ${r.api}, retries ${r.retries}`;
}

const when = (c: { buildTime?: string; timeSource?: string; cached?: boolean }): string =>
  c.buildTime ? `${c.buildTime.replace(/\.\d{3}Z$/, "Z")} (${c.timeSource ?? "?"}${c.cached ? ", cached" : ""})` : "";

/** `sha256:0123456789ab`: enough of a digest to tell two apart in a table. */
const short = (d: string | undefined): string => (d ? d.slice(0, 19) : "?");

/** The readable plan: what moves, what stays and why, what failed. */
export function formatPlan(plan: Plan, requests?: RequestCounts): string {
  const out: string[] = [];
  out.push(
    `${plan.changes.length} change(s), ${plan.unchanged.length} reference(s) left alone, ${plan.failures.length} failure(s)`,
  );
  if (plan.changes.length) {
    out.push("", "Changes:");
    out.push(
      table([
        ["FILE:LINE", "IMAGE", "FROM", "", "TO", "BUILT"],
        ...plan.changes.map((c: PlanChange) => [
          `${c.file}:${c.line}`,
          c.image,
          c.digestOnly ? `${c.from}@${short(c.fromDigest)}` : c.from,
          "→",
          c.digestOnly ? `${c.to}@${short(c.toDigest)} (digest only)` : c.to,
          when(c),
        ]),
      ]),
    );
  }
  const promoted = plan.changes.filter((c) => c.promotion);
  if (promoted.length) {
    out.push("", "Promotions:");
    for (const c of promoted) {
      const e = c.promotion as NonNullable<PlanChange["promotion"]>;
      out.push(
        `  ${e.promotion}: ${c.file}:${c.line} ${c.image} ${c.from} → ${c.to}: reached ${e.from}:${e.fromLine} in ${e.commit.slice(0, 12)} by ${e.author} at ${e.arrivedAt}${e.arrivalExact ? "" : " (or earlier)"}; soaked ${e.soaked} (soak ${e.soak})${e.digest ? `; digest ${e.digest}` : ""}${e.choice ? `; ${e.choice}` : ""}`,
      );
    }
  }
  if (plan.unchanged.length) {
    out.push("", "Left alone:");
    out.push(
      table([
        ["FILE:LINE", "IMAGE", "TAG", "REASON", "DETAIL"],
        ...plan.unchanged.map((u: PlanUnchanged) => [`${u.file}:${u.line}`, u.image, u.tag ?? "-", u.reason, u.detail]),
      ]),
    );
  }
  if (plan.failures.length) {
    out.push("", "Failures:");
    for (const f of plan.failures) out.push(`  ${f.message}`);
  }
  if (plan.warnings.length) {
    out.push("", "Warnings:");
    for (const w of plan.warnings) out.push(`  ${w.file}${w.line ? `:${w.line}:${w.column ?? 1}` : ""}: ${w.message}`);
  }
  if (requests) out.push("", `Registry requests: ${formatRequests(requests)}`);
  return out.join("\n");
}
