import type { LineIndex } from "../lines.js";
import { buildSite, type FoundSite, type Part, type ScanContext } from "./site-builder.js";

/** `# laminar: X` or `// laminar: X` at the end of a line. */
const MARKER = /(?:#|\/\/)[ \t]*laminar:[ \t]*(\S+)[ \t]*\r?$/gm;
/** What precedes the marker: `KEY=value`, `key: value`, `key = "value"` (optionally `export`, a trailing `,`/`;`). */
const ASSIGNMENT =
  /^[ \t]*(?:export[ \t]+)?["']?[\w.-]+["']?[ \t]*[:=][ \t]*(?:(["'])([^"'\n]*)\1|([^\s"'#,;]+))[ \t]*[,;]?[ \t]*$/;

/**
 * Markers (#10), for any text format and whatever no rule covers: `# laminar: IMAGE` at the end of a
 * line that assigns a value makes that value the tag of IMAGE (form `marker`); `# laminar: ignore`
 * returns the line it applies to (its own, or the next when the comment stands alone).
 * In YAML files the value keeps its scalar style (so `1.10` gets quoted); elsewhere (`.env`,
 * Terraform, Makefiles) the value is written as is: style `reference`.
 */
export function scanMarkers(
  text: string,
  lines: LineIndex,
  yamlFile: boolean,
  found: FoundSite[],
  ignoredLines: Set<number>,
): void {
  const ctx: ScanContext = { text, lines, found };
  for (let m; (m = MARKER.exec(text));) {
    const ls = lines.lineStart(m.index);
    const before = text.slice(ls, m.index);
    const arg = m[1] as string;
    const line = lines.lineOf(m.index);
    if (arg === "ignore") {
      ignoredLines.add(/^\s*$/.test(before) ? line + 1 : line);
      continue;
    }
    const a = ASSIGNMENT.exec(before);
    if (!a) continue;
    const quote = a[1];
    const value = (a[2] ?? a[3]) as string;
    if (!value) continue;
    // The value is the last thing before the marker (but a `,` or `;`).
    const start = quote ? ls + before.lastIndexOf(`${quote}${value}${quote}`) + 1 : ls + before.lastIndexOf(value);
    const tag: Part = {
      span: [start, start + value.length],
      text: value,
      style: !yamlFile ? "reference" : quote === '"' ? "double-quoted" : quote === "'" ? "single-quoted" : "plain",
    };
    const f = buildSite(ctx, { form: "marker", name: arg, tag });
    if (f) found.push(f);
  }
}
