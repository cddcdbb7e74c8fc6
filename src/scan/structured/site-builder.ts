import { Scalar, isAlias, isScalar, type Document, type Node } from "yaml";
import { parseImageReference } from "../../reference/parse.js";
import type { ImageReference } from "../../reference/types.js";
import type { LineIndex } from "../lines.js";
import type { ImageSite, SiteForm, SiteSkip, Span, ValueStyle } from "../site.js";

/** A scalar value as written in the file: its bytes (without quotes), its text and its style. */
export interface Part {
  readonly span: Span;
  readonly text: string;
  readonly style: ValueStyle;
}

/** A site with every span it stands on, so the inline sites it replaces can be dropped (#10). */
export interface FoundSite {
  readonly site: ImageSite;
  readonly covers: readonly Span[];
}

/** What the structured finders share for one file: its text, its lines, the YAML document. */
export interface ScanContext {
  readonly text: string;
  readonly lines: LineIndex;
  readonly doc?: Document.Parsed;
  /** Offset of the parsed window in the file: YAML node ranges are relative to it. */
  readonly base?: number;
  readonly found: FoundSite[];
}

/** `{{ .Values.x }}`, `${VERSION}`, `$(TAG)`: filled in later by a tool, never a tag Laminar can move. */
export const TEMPLATED = /\{\{|\$\{|\$\(|<%/;

/** Empty values: `tag: ""`, `tag:`, `tag: null`, `tag: ~` (YAML 1.2 core schema nulls). */
const NULLS = new Set(["", "null", "Null", "NULL", "~"]);

/**
 * The scalar `node` (an alias is followed to its anchor, so a tag reused by aliases is one site at the
 * anchor) as written. Block scalars and quoted scalars with escapes are not single spans of the value:
 * undefined, and the site is not rewritable from YAML.
 */
export function scalarPart(ctx: ScanContext, node: unknown): Part | undefined {
  let n = node;
  if (isAlias(n)) n = ctx.doc ? n.resolve(ctx.doc) : undefined;
  if (!isScalar(n) || !n.range) return undefined;
  const s = n.range[0] + (ctx.base ?? 0);
  const e = n.range[1] + (ctx.base ?? 0);
  const src = ctx.text.slice(s, e);
  switch (n.type) {
    case Scalar.PLAIN:
      if (src.includes("\n")) return undefined;
      return { span: [s, e], text: src, style: "plain" };
    case Scalar.QUOTE_DOUBLE: {
      const inner = src.slice(1, -1);
      if (inner.includes("\\") || inner.includes("\n")) return undefined;
      return { span: [s + 1, e - 1], text: inner, style: "double-quoted" };
    }
    case Scalar.QUOTE_SINGLE: {
      const inner = src.slice(1, -1);
      if (inner.includes("'") || inner.includes("\n")) return undefined;
      return { span: [s + 1, e - 1], text: inner, style: "single-quoted" };
    }
    default:
      return undefined;
  }
}

/** Is the value empty or null (`tag: ""`, `tag: null`)? */
export const isEmpty = (p: Part): boolean => (p.style === "plain" ? NULLS.has(p.text) : p.text === "");

/** Does a repository name start with a registry host (`ghcr.io/…`, `localhost:5000/…`)? */
export function hasHost(name: string): boolean {
  const slash = name.indexOf("/");
  if (slash < 0) return false;
  const first = name.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost";
}

export interface SiteInput {
  readonly form: SiteForm;
  /** The image name as one string (registry and repository joined). */
  readonly name: string;
  /** The name's value in the file, when the name is exactly one value. */
  readonly namePart?: Part;
  readonly tag?: Part;
  readonly digest?: Part;
  /** Further spans the site stands on (registry value, kustomize `name`). */
  readonly covers?: readonly Span[];
  /** Why the site can never move, when the finder knows already. */
  readonly skip?: SiteSkip;
}

const NO_TAG: SiteSkip = { reason: "no-tag", detail: "tag is empty: the chart's appVersion is used" };

/**
 * Turns what a finder read into an image site: checks the name and tag, decides the skip reason
 * (templated, no tag) and places line/column on the tag value (on the name when there is no tag).
 * Returns undefined when the name is not an image name at all.
 */
export function buildSite(ctx: ScanContext, input: SiteInput): FoundSite | undefined {
  const { name } = input;
  if (!name || TEMPLATED.test(name)) return undefined;
  let tag = input.tag && !isEmpty(input.tag) ? input.tag : undefined;
  let digest = input.digest && !isEmpty(input.digest) ? input.digest : undefined;
  let skip = input.skip;
  if (tag && TEMPLATED.test(tag.text)) {
    skip ??= { reason: "templated", detail: `the tag ${tag.text} is a template, filled in when it is rendered` };
  }
  // `tag: 1.2.3@sha256:…`: one value holding tag and digest.
  if (tag && !skip && !digest) {
    const at = tag.text.indexOf("@");
    if (at > 0) {
      // Both halves live inside one string value: style `reference`, never quoted apart.
      digest = { span: [tag.span[0] + at + 1, tag.span[1]], text: tag.text.slice(at + 1), style: "reference" };
      tag = { span: [tag.span[0], tag.span[0] + at], text: tag.text.slice(0, at), style: "reference" };
    }
  }
  if (digest && TEMPLATED.test(digest.text)) digest = undefined;
  if (!tag && !digest && !skip) skip = input.skip ?? NO_TAG;
  let reference: ImageReference;
  const movable = !skip || skip.reason === "ignored";
  try {
    const named = parseImageReference(name);
    if (named.tag !== undefined || named.digest !== undefined) return undefined;
    reference = movable
      ? parseImageReference(`${name}${tag ? `:${tag.text}` : ""}${digest ? `@${digest.text}` : ""}`)
      : named;
  } catch {
    return undefined;
  }
  if (!reference.registry) return undefined;
  const at = tag ?? input.namePart;
  const start = at?.span[0] ?? input.covers?.[0]?.[0] ?? 0;
  const end = at?.span[1] ?? input.covers?.[0]?.[1] ?? 0;
  const site: ImageSite = {
    form: input.form,
    start,
    end,
    text: at ? at.text : name,
    line: ctx.lines.lineOf(start),
    column: ctx.lines.columnOf(start),
    reference,
    name,
    ...(input.namePart && input.namePart.text === name ? { nameSpan: input.namePart.span } : {}),
    ...(tag && movable ? { tagSpan: tag.span, tagStyle: tag.style } : {}),
    ...(digest && movable ? { digestSpan: digest.span } : {}),
    ...(skip ? { skip } : {}),
  };
  const covers: Span[] = [...(input.covers ?? [])];
  for (const p of [input.namePart, input.tag, input.digest]) if (p) covers.push(p.span);
  return { site, covers };
}

/** The value node of `key` in a YAML map node, or undefined. */
export function valueOf(node: Node | null | undefined, key: string): unknown {
  if (!node || !("items" in node)) return undefined;
  for (const pair of node.items as unknown[]) {
    const p = pair as { key?: unknown; value?: unknown };
    if (isScalar(p.key) && p.key.value === key) return p.value;
  }
  return undefined;
}
