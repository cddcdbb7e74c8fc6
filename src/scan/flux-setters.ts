import { familiarString } from "../reference/format.js";
import { isValidTag } from "../reference/grammar.js";
import { tryParseImageReference } from "../reference/parse.js";
import type { ImageReference } from "../reference/types.js";
import type { FluxCatalog } from "./flux-objects.js";
import type { ImageSite, ValueStyle } from "./site.js";

/**
 * Flux image-automation setter markers: a line comment `# {"$imagepolicy": "<ns>:<name>"}` after a
 * YAML value says which ImagePolicy owns it. The suffix says what the value is:
 * none — the whole reference (`name:tag`); `:tag` — only the tag; `:name` — only the name; `:digest`
 * — only the digest. https://fluxcd.io/flux/guides/image-update/#configure-image-update-for-custom-resources
 * Pure: text in, marks out; marks and a catalog in, sites out.
 */

/** Which part of the image a setter's value is. */
export type SetterField = "image" | "tag" | "name" | "digest";

/** One setter comment and the YAML value it marks. */
export interface SetterMark {
  readonly namespace: string;
  readonly name: string;
  readonly field: SetterField;
  /** The value as written (without quotes) and its byte span. */
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly style: Exclude<ValueStyle, "reference">;
  readonly line: number;
  readonly column: number;
}

// The marker as kyaml's setters write it; blanks inside the JSON are free.
const MARKER = /#\s*\{\s*"\$imagepolicy"\s*:\s*"([^"]*)"\s*\}/;
// Before the comment: indentation, an optional `- `, an optional `key: `, the value, blanks.
const VALUE_LINE = /^([ \t]*(?:-[ \t]+)?(?:(?:"[^"]*"|'[^']*'|[^\s"'#-][^#]*?)[ \t]*:[ \t]+)?)(.*?)[ \t]*$/;

/**
 * Finds the setter markers of a text (read as latin1: offsets are bytes). A marker whose line has no
 * value before it, or whose policy is not `namespace:name[:field]`, is passed over.
 */
export function findSetterMarks(text: string): SetterMark[] {
  if (!text.includes("$imagepolicy")) return [];
  const marks: SetterMark[] = [];
  let lineNo = 0;
  let ls = 0;
  while (ls <= text.length) {
    lineNo++;
    const nl = text.indexOf("\n", ls);
    const le = nl < 0 ? text.length : nl;
    const lineText = text.slice(ls, le).replace(/\r$/, "");
    const m = MARKER.exec(lineText);
    if (m) {
      const mark = markOf(lineText, m, ls, lineNo, text);
      if (mark) marks.push(mark);
    }
    if (nl < 0) break;
    ls = nl + 1;
  }
  return marks;
}

function markOf(lineText: string, m: RegExpExecArray, ls: number, line: number, text: string): SetterMark | undefined {
  const parts = (m[1] as string).split(":");
  const [namespace, name, suffix] = parts;
  if (!namespace || !name || parts.length > 3) return undefined;
  const field: SetterField = suffix === undefined ? "image" : (suffix as SetterField);
  if (!["tag", "name", "digest"].includes(field) && suffix !== undefined) return undefined;
  const before = lineText.slice(0, m.index);
  // The comment must start a comment: at line start or after a blank.
  if (before !== "" && !/[ \t]$/.test(before)) return undefined;
  const v = VALUE_LINE.exec(before);
  if (!v) return undefined;
  let start = ls + (v[1] as string).length;
  let raw = v[2] as string;
  if (raw === "") return undefined;
  let style: SetterMark["style"] = "plain";
  if (raw.length >= 2 && (raw[0] === '"' || raw[0] === "'") && raw.endsWith(raw[0])) {
    style = raw[0] === '"' ? "double-quoted" : "single-quoted";
    raw = raw.slice(1, -1);
    start++;
  }
  // Columns count characters, as an editor shows them (UTF-8 continuation bytes are not characters).
  let column = 1;
  for (let k = ls; k < start; k++) if ((text.charCodeAt(k) & 0xc0) !== 0x80) column++;
  if (ls === 0 && text.startsWith("\xEF\xBB\xBF")) column -= 1;
  return { namespace, name, field, value: raw, start, end: start + raw.length, style, line, column };
}

/**
 * The sites of one file once its setter markers are resolved against the repository's ImagePolicies.
 * A whole-reference setter turns the reference found on its line into a `flux-setter` site; a `:tag`
 * setter makes one from its ImageRepository's image and the tag value (replacing any site another
 * scanner found for the same value). Each site carries its ImagePolicy (`site.policy`), or the reason
 * it cannot move (`site.skip`): policy missing, name and digest setters (Laminar moves tags, never
 * names), or a written name that is not the ImageRepository's image.
 *
 * @param references - the sites the other scanners found in the file.
 * @param marks - the file's markers ({@link findSetterMarks}).
 * @param catalog - the repository's ImagePolicies.
 */
export function applySetterMarks(
  references: readonly ImageSite[],
  marks: readonly SetterMark[],
  catalog: FluxCatalog,
): ImageSite[] {
  if (marks.length === 0) return [...references];
  const replaced = new Set<ImageSite>();
  const made: ImageSite[] = [];
  for (const mark of marks) {
    const within = (s: ImageSite): boolean => s.start >= mark.start && s.end <= mark.end;
    const sameTag = (s: ImageSite): boolean => s.tagSpan?.[0] === mark.start && s.tagSpan[1] === mark.end;
    const existing = references.find((s) => (mark.field === "tag" ? sameTag(s) : within(s)));
    if (existing) replaced.add(existing);
    const site = setterSite(mark, existing, catalog);
    if (site) made.push(site);
  }
  return [...references.filter((s) => !replaced.has(s)), ...made].sort((a, b) => a.start - b.start);
}

function setterSite(mark: SetterMark, existing: ImageSite | undefined, catalog: FluxCatalog): ImageSite | undefined {
  const entry = catalog.lookup(mark.namespace, mark.name);
  const policyName = `${mark.namespace}/${mark.name}`;
  const image = "policy" in entry ? entry.policy.image : undefined;
  const base = {
    form: "flux-setter" as const,
    start: mark.start,
    end: mark.end,
    text: mark.value,
    line: mark.line,
    column: mark.column,
  };
  if (mark.field === "image") {
    // Usually the scanner found the reference on this line; the marker also vouches for one it
    // passes over (a bare `nginx:1.25` under a key that is not image-ish).
    const found = existing ?? referenceSite(mark);
    if (!found) return undefined;
    const site: ImageSite = { ...found, ...base, tagStyle: "reference" };
    if (!("policy" in entry)) return { ...site, skip: { reason: "no-policy", detail: entry.problem } };
    if (!sameImage(found.reference, entry.policy.image))
      return {
        ...site,
        skip: {
          reason: "setter-not-applied",
          detail: `ImagePolicy ${policyName} follows ${familiarString(entry.policy.image)}, not ${found.name}; Laminar moves tags, never names`,
        },
      };
    return found.skip ? site : { ...site, policy: entry.policy };
  }
  if (mark.field === "tag") {
    const reference: ImageReference = image
      ? {
          registry: image.registry,
          repository: image.repository,
          ...(isValidTag(mark.value) ? { tag: mark.value } : {}),
        }
      : { registry: "", repository: "" };
    const site: ImageSite = {
      ...base,
      reference,
      name: image ? familiarString(image) : `flux:${policyName}`,
      tagSpan: [mark.start, mark.end],
      tagStyle: mark.style,
    };
    if (!("policy" in entry)) return { ...site, skip: { reason: "no-policy", detail: entry.problem } };
    if (existing?.skip) return { ...site, skip: existing.skip };
    if (!isValidTag(mark.value)) {
      const templated = /\{\{|\$\{|\$\(/.test(mark.value);
      const detail = templated
        ? `the tag ${JSON.stringify(mark.value)} is template text; only a person can move it`
        : `${JSON.stringify(mark.value)} is not a tag; a :tag setter marks a tag value (ImagePolicy ${policyName})`;
      return { ...site, skip: { reason: templated ? "templated" : "setter-not-applied", detail } };
    }
    return { ...site, policy: entry.policy };
  }
  // `:name` and `:digest` setters: Laminar writes tags (and the digest pinned beside a tag), not these.
  const site: ImageSite = existing
    ? { ...existing, ...base }
    : {
        ...base,
        reference: image
          ? { registry: image.registry, repository: image.repository }
          : { registry: "", repository: "" },
        name: mark.field === "name" ? mark.value : image ? familiarString(image) : `flux:${policyName}`,
        ...(mark.field === "name" ? { nameSpan: [mark.start, mark.end] as const } : {}),
      };
  const detail =
    mark.field === "name"
      ? `name setters are not applied; Laminar moves tags (ImagePolicy ${policyName})`
      : `digest setters are not applied; pin the digest beside the tag (\`tag@sha256:…\`) to have Laminar refresh it (ImagePolicy ${policyName})`;
  return { ...site, skip: { reason: "setter-not-applied", detail } };
}

/** A whole-reference value as a site of its own: name, tag and digest spans inside the value. */
function referenceSite(mark: SetterMark): Omit<ImageSite, "form" | "line" | "column"> | undefined {
  const reference = tryParseImageReference(mark.value);
  if (!reference?.registry) return undefined;
  const at = mark.value.indexOf("@");
  const nameAndTag = at >= 0 ? mark.value.slice(0, at) : mark.value;
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > nameAndTag.lastIndexOf("/");
  const nameEnd = hasTag ? colon : nameAndTag.length;
  const s = mark.start;
  return {
    start: s,
    end: mark.end,
    text: mark.value,
    reference,
    name: mark.value.slice(0, nameEnd),
    nameSpan: [s, s + nameEnd],
    ...(hasTag ? { tagSpan: [s + colon + 1, s + nameAndTag.length] as const } : {}),
    ...(at >= 0 ? { digestSpan: [s + at + 1, mark.end] as const } : {}),
  };
}

function sameImage(a: ImageReference, b: ImageReference): boolean {
  return a.registry === b.registry && a.repository === b.repository;
}
