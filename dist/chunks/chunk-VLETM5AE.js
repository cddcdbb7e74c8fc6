import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);

// src/report/format.ts
function planToJson(plan, requests) {
  return {
    changes: plan.changes.map(({ edits: _edits, ...c }) => c),
    unchanged: plan.unchanged,
    failures: plan.failures,
    warnings: plan.warnings,
    ...requests ? { requests } : {}
  };
}
function scanToJson(files) {
  return {
    references: files.flatMap(
      (f) => f.references.map((r) => ({
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
        digestSpan: r.digestSpan ?? null
      }))
    )
  };
}
function nothingToUpdate(plan) {
  if (!plan.failures.length) return "Nothing to update: every image is at the newest tag its policy allows.";
  return `Nothing updated: ${plan.failures.length} registry failure(s) left images unchecked (see the failures); the images that were checked are at the newest tag their policy allows.`;
}
function table(rows, indent = "  ") {
  if (rows.length === 0) return "";
  const widths = [];
  for (const r of rows) r.forEach((c, i) => widths[i] = Math.max(widths[i] ?? 0, c.length));
  return rows.map(
    (r) => indent + r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  ).join("\n");
}
function formatRequests(r) {
  return `token ${r.token}, tag pages ${r.tagPages}, manifest HEAD ${r.manifestHead}, manifest GET ${r.manifestGet}, blob GET ${r.blobGet}, timestamp API ${r.api}, retries ${r.retries}`;
}
var when = (c) => c.buildTime ? `${c.buildTime.replace(/\.\d{3}Z$/, "Z")} (${c.timeSource ?? "?"}${c.cached ? ", cached" : ""})` : "";
var short = (d) => d ? d.slice(0, 19) : "?";
function formatPlan(plan, requests) {
  const out = [];
  out.push(
    `${plan.changes.length} change(s), ${plan.unchanged.length} reference(s) left alone, ${plan.failures.length} failure(s)`
  );
  if (plan.changes.length) {
    out.push("", "Changes:");
    out.push(
      table([
        ["FILE:LINE", "IMAGE", "FROM", "", "TO", "BUILT"],
        ...plan.changes.map((c) => [
          `${c.file}:${c.line}`,
          c.image,
          c.digestOnly ? `${c.from}@${short(c.fromDigest)}` : c.from,
          "\u2192",
          c.digestOnly ? `${c.to}@${short(c.toDigest)} (digest only)` : c.to,
          when(c)
        ])
      ])
    );
  }
  const promoted = plan.changes.filter((c) => c.promotion);
  if (promoted.length) {
    out.push("", "Promotions:");
    for (const c of promoted) {
      const e = c.promotion;
      out.push(
        `  ${e.promotion}: ${c.file}:${c.line} ${c.image} ${c.from} \u2192 ${c.to}: reached ${e.from}:${e.fromLine} in ${e.commit.slice(0, 12)} by ${e.author} at ${e.arrivedAt}${e.arrivalExact ? "" : " (or earlier)"}; soaked ${e.soaked} (soak ${e.soak})${e.digest ? `; digest ${e.digest}` : ""}${e.choice ? `; ${e.choice}` : ""}`
      );
    }
  }
  if (plan.unchanged.length) {
    out.push("", "Left alone:");
    out.push(
      table([
        ["FILE:LINE", "IMAGE", "TAG", "REASON", "DETAIL"],
        ...plan.unchanged.map((u) => [`${u.file}:${u.line}`, u.image, u.tag ?? "-", u.reason, u.detail])
      ])
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

export {
  planToJson,
  scanToJson,
  nothingToUpdate,
  table,
  formatPlan
};
