import { isMap, isScalar, isSeq, parseAllDocuments, Scalar, type Document } from "yaml";
import type { LineIndex } from "../lines.js";
import { argocdKustomizeImages, argocdParameters } from "./argocd.js";
import { globalImageRegistry, helmValuesMap } from "./helm-values.js";
import { kustomizeImages } from "./kustomize.js";
import type { FoundSite, Part, ScanContext } from "./site-builder.js";

/** A file (or an Argo CD `helm.values` block) that is not valid YAML: where and why. */
export interface YamlProblem {
  readonly line: number;
  readonly message: string;
}

/**
 * Parses `text` (latin1: offsets are bytes) as YAML and runs every structured finder over each
 * document. `parseAllDocuments` reports string offsets; on a latin1 string those are byte offsets, so
 * spans need no conversion. A UTF-8 byte order mark ("\xEF\xBB\xBF" in latin1) is blanked to spaces
 * at the same offsets, so the YAML parser does not read it as content.
 */
export function scanYaml(text: string, lines: LineIndex, found: FoundSite[], problems: YamlProblem[]): void {
  const source = text.startsWith("\xEF\xBB\xBF") ? `   ${text.slice(3)}` : text;
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(source, { uniqueKeys: false, version: "1.2" }) as Document.Parsed[];
  } catch (e) {
    problems.push({ line: 1, message: (e as Error).message });
    return;
  }
  if (!Array.isArray(docs)) return; // an empty stream
  const bad = docs.flatMap((d) => d.errors);
  if (bad.length) {
    const e = bad[0] as (typeof bad)[number];
    problems.push({ line: e.linePos?.[0]?.line ?? lines.lineOf(e.pos[0]), message: e.message.split("\n")[0] ?? "" });
    return;
  }
  for (const doc of docs) {
    const ctx: ScanContext = { text, lines, doc, found };
    walk(ctx, doc.contents, "", "", globalImageRegistry(ctx, doc.contents), problems);
  }
}

function walk(
  ctx: ScanContext,
  node: unknown,
  key: string,
  parentKey: string,
  globalRegistry: Part | undefined,
  problems: YamlProblem[],
): void {
  if (isMap(node)) {
    helmValuesMap(ctx, node, key, globalRegistry);
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? String(pair.key.value) : "";
      const v = pair.value;
      if (k === "images" && isSeq(v)) {
        if (key === "kustomize") argocdKustomizeImages(ctx, v);
        else kustomizeImages(ctx, v);
        continue;
      }
      if (k === "parameters" && key === "helm" && isSeq(v)) {
        argocdParameters(ctx, v);
        continue;
      }
      if (k === "values" && key === "helm" && isScalar(v) && v.type === Scalar.BLOCK_LITERAL) {
        helmValuesBlock(ctx, v, problems);
        continue;
      }
      walk(ctx, v, k, key, globalRegistry, problems);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) walk(ctx, item, key, parentKey, globalRegistry, problems);
  }
  // Aliases are not followed: the anchored node is walked where it is defined.
}

/**
 * Argo CD `helm.values: |` — a values document inside a literal block scalar. Everything outside the
 * block's content lines is blanked to spaces (newlines kept), so the inner YAML parses at the very
 * offsets it has in the file, whatever the indentation indicator or chomping. The content is indented
 * uniformly, which YAML allows for a document's root node.
 */
function helmValuesBlock(ctx: ScanContext, node: Scalar, problems: YamlProblem[]): void {
  const [s, e] = node.range ?? [0, 0];
  const headerEnd = ctx.text.indexOf("\n", s);
  if (headerEnd < 0 || headerEnd >= e) return;
  const blank = (t: string): string => t.replace(/[^\n]/g, " ");
  const inner = blank(ctx.text.slice(0, headerEnd + 1)) + ctx.text.slice(headerEnd + 1, e);
  const before = problems.length;
  scanYaml(inner, ctx.lines, ctx.found, problems);
  for (let k = before; k < problems.length; k++) {
    const p = problems[k] as YamlProblem;
    problems[k] = { line: p.line, message: `helm.values block: ${p.message}` };
  }
}
