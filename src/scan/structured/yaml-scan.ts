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

/** A UTF-8 byte order mark ("\xEF\xBB\xBF" in latin1) blanked to spaces at the same offsets. */
const withoutBom = (text: string): string => (text.startsWith("\xEF\xBB\xBF") ? `   ${text.slice(3)}` : text);

/**
 * The top-level blocks (a line at indentation 0 up to the next one; comments, blank lines and `- `
 * items do not end a block) that hold a hint key, merged, as `[start, end)` offsets. `first`: the
 * first hint key's `:` ({@link firstHintKey}), when the caller has found it already.
 *
 * Hint keys start a structured image: only the top-level blocks holding one are parsed. The `yaml`
 * parser reads about 1 MB/s; parsing whole noisy files made `plan` on the bench corpus 3× slower (#10).
 *
 * A line holds a hint key when it matches
 * `/(?:^[ \t]*(?:- )?|[{,][ \t]*)["']?(?:repository|repo|newTag|newName|[\w-]*[iI]mage_?[tT]ag|tag|kustomize|helm|global|digest)["']?[ \t]*:/m`.
 * That regex, tried at every offset of every YAML file, was a ninth of the repository scan (#12); the
 * same test is made from each `:` backwards on char codes ({@link hintKeyEndsAt}), and
 * test/scan-yaml-hint.test.ts holds the regex as the oracle for random and odd inputs.
 */
export function hintWindows(text: string, first = nextHintKey(text, 0)): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let at = first; at >= 0;) {
    const last = out[out.length - 1];
    let start = text.lastIndexOf("\n", at - 1) + 1;
    // `start - 2` is -1 for the second line: `lastIndexOf` reads that as 0 and would find the first line's
    // `\n` again, for ever (a file starting with a blank line then an indented hint key hung the scan).
    while (start > 0 && !topLevelLine(text, start)) start = start < 2 ? 0 : text.lastIndexOf("\n", start - 2) + 1;
    let end = text.indexOf("\n", at);
    while (end >= 0 && !topLevelLine(text, end + 1)) end = text.indexOf("\n", end + 1);
    end = end < 0 ? text.length : end + 1;
    if (last && start <= last[1]) last[1] = end;
    else out.push([start, end]);
    at = nextHintKey(text, end);
  }
  return out;
}

/**
 * The `:` of the first hint key in the YAML `text` (read as {@link scanYaml} reads it), or -1 when it
 * has none: then `scanYaml` parses nothing and finds nothing (#12: a Helm template naming
 * `.Values.image.repository` holds no hint key, and skips the structured scan on this answer).
 */
export function firstHintKey(text: string): number {
  return nextHintKey(withoutBom(text), 0);
}

/** The first `:` at or after `from` that ends a hint key, or -1. */
function nextHintKey(text: string, from: number): number {
  for (let c = text.indexOf(":", from); c >= 0; c = text.indexOf(":", c + 1)) if (hintKeyEndsAt(text, c)) return c;
  return -1;
}

const isBlank = (c: number): boolean => c === 32 || c === 9;
const isQuote = (c: number): boolean => c === 34 || c === 39;
/** `[\w-]` of a regex without the `u` flag. */
const isWordOrDash = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;

/**
 * Does the hint-key pattern match text ending at the `:` at `colon`? Read backwards: blanks, one quote,
 * a key, one quote, then what may precede a key. Every choice is forced: a key ends in a letter, so
 * the blanks and quote before the `:` are never part of it; and `[\w-]*` before `image_tag` can only
 * start where the `[\w-]` run does, since a key must follow a blank, `{`, `,`, a quote or a line start.
 */
function hintKeyEndsAt(text: string, colon: number): boolean {
  let k = colon;
  // `charCodeAt` past the start is NaN, which ends the loop and matches no case below.
  let c = text.charCodeAt(k - 1);
  while (c === 32 || c === 9) c = text.charCodeAt(--k - 1);
  if (c === 34 || c === 39) c = text.charCodeAt(--k - 1);
  // Most `:` end other keys: the key's last letter (and for `e` the one before) rules out every hint
  // word or names the one that may end there. A `switch` on char codes, not a map of two-letter
  // endings: this runs at every `:` of every YAML file, a third of the YAML scan (#12).
  switch (c) {
    case 0x79 /* y */:
      return wordEndsAt(text, k, "repository");
    case 0x6f /* o */:
      return wordEndsAt(text, k, "repo");
    case 0x65 /* e */: {
      const b = text.charCodeAt(k - 2);
      return b === 0x6d /* m */
        ? wordEndsAt(text, k, "newName")
        : b === 0x7a /* z */ && wordEndsAt(text, k, "kustomize");
    }
    case 0x6d /* m */:
      return wordEndsAt(text, k, "helm");
    case 0x6c /* l */:
      return wordEndsAt(text, k, "global");
    case 0x74 /* t */:
      // A Kustomize `images:` entry may hold only `name` and `digest`. Not `images:` itself: ~1,750
      // inventory files of the bench corpus hold an `images:` map, and parsing them was 4× the scan.
      return wordEndsAt(text, k, "digest");
    case 0x67 /* g */:
      return text.charCodeAt(k - 2) === 0x61 /* a */ && tagEndsAt(text, k);
    default:
      return false;
  }
}

/** Is a hint key ending in `ag` (`tag`, `newTag`, `[\w-]*[iI]mage_?[tT]ag`) ending at `k`? */
function tagEndsAt(text: string, k: number): boolean {
  if (wordEndsAt(text, k, "tag") || wordEndsAt(text, k, "newTag")) return true;
  // `[\w-]*[iI]mage_?[tT]ag`
  if (k < 8 || (text.charCodeAt(k - 3) | 0x20) !== 116) return false;
  const m = text.charCodeAt(k - 4) === 95 ? k - 4 : k - 3; // the `_?`
  if (m < 5 || !text.startsWith("mage", m - 4) || (text.charCodeAt(m - 5) | 0x20) !== 105) return false;
  let s = m - 5;
  while (s > 0 && isWordOrDash(text.charCodeAt(s - 1))) s--;
  return keyMayStartAt(text, s);
}

/** Is `word` a hint key ending at `k`? */
function wordEndsAt(text: string, k: number, word: string): boolean {
  // `startsWith` clamps a negative position to 0: the length check keeps a short text from matching.
  return k >= word.length && text.startsWith(word, k - word.length) && keyMayStartAt(text, k - word.length);
}

/** Can a hint key start at `s`: `(?:^[ \t]*(?:- )?|[{,][ \t]*)["']?` matches text ending there? */
function keyMayStartAt(text: string, s: number): boolean {
  let p = s;
  if (isQuote(text.charCodeAt(p - 1))) p--;
  let q = p;
  while (q > 0 && isBlank(text.charCodeAt(q - 1))) q--;
  const before = text.charCodeAt(q - 1);
  // `^` of a multiline regex: the text's start, or after `\n` or `\r`.
  if (q === 0 || before === 10 || before === 13 || before === 123 || before === 44) return true;
  if (p < 2 || text.charCodeAt(p - 1) !== 32 || text.charCodeAt(p - 2) !== 45) return false;
  q = p - 2;
  while (q > 0 && isBlank(text.charCodeAt(q - 1))) q--;
  return q === 0 || text.charCodeAt(q - 1) === 10 || text.charCodeAt(q - 1) === 13;
}

/** Does a top-level node (or a document marker) start at line offset `ls`? */
function topLevelLine(text: string, ls: number): boolean {
  const c = text[ls];
  if (c === undefined) return true;
  if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "#") return false;
  return !(c === "-" && (text[ls + 1] === " " || text[ls + 1] === "\n" || text[ls + 1] === "\r"));
}

/**
 * Parses `text` (latin1: offsets are bytes) as YAML and runs every structured finder over each
 * document. `parseAllDocuments` reports string offsets; on a latin1 string those are byte offsets, so
 * spans need no conversion beyond the window's base. A UTF-8 byte order mark ("\xEF\xBB\xBF" in
 * latin1) is blanked to spaces at the same offsets, so the YAML parser does not read it as content.
 * Only the windows `hintWindows` finds are parsed; `whole` parses everything (a `helm.values` block).
 * `first`: what {@link firstHintKey} answered for `text`, when the caller has asked it already.
 */
export function scanYaml(
  text: string,
  lines: LineIndex,
  found: FoundSite[],
  problems: YamlProblem[],
  whole = false,
  first?: number,
): void {
  const source = withoutBom(text);
  const windows = whole ? [[0, source.length] as [number, number]] : hintWindows(source, first);
  // Bitnami's `global.imageRegistry` lives in its own top-level block: read it first.
  let globalRegistry: Part | undefined;
  for (const [a, b] of windows) {
    const part = source.slice(a, b);
    let docs: Document.Parsed[];
    try {
      docs = parseAllDocuments(part, { uniqueKeys: false, version: "1.2" }) as Document.Parsed[];
    } catch (e) {
      problems.push({ line: lines.lineOf(a), message: (e as Error).message });
      return;
    }
    if (!Array.isArray(docs)) continue; // an empty stream
    const bad = docs.flatMap((d) => d.errors);
    if (bad.length) {
      const e = bad[0] as (typeof bad)[number];
      problems.push({ line: lines.lineOf(a + e.pos[0]), message: e.message.split("\n")[0] ?? "" });
      return;
    }
    for (const doc of docs) {
      const ctx: ScanContext = { text, lines, doc, found, base: a };
      globalRegistry = globalImageRegistry(ctx, doc.contents) ?? globalRegistry;
      walk(ctx, doc.contents, "", "", globalRegistry, problems);
    }
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
  const s = (node.range?.[0] ?? 0) + (ctx.base ?? 0);
  const e = (node.range?.[1] ?? 0) + (ctx.base ?? 0);
  const headerEnd = ctx.text.indexOf("\n", s);
  if (headerEnd < 0 || headerEnd >= e) return;
  const blank = (t: string): string => t.replace(/[^\n]/g, " ");
  const inner = blank(ctx.text.slice(0, headerEnd + 1)) + ctx.text.slice(headerEnd + 1, e);
  const before = problems.length;
  scanYaml(inner, ctx.lines, ctx.found, problems, true);
  for (let k = before; k < problems.length; k++) {
    const p = problems[k] as YamlProblem;
    problems[k] = { line: p.line, message: `helm.values block: ${p.message}` };
  }
}
