import { LineIndex } from "../lines.js";
import { scanText } from "../scan.js";
import type { RareWords } from "../rare-words.js";
import type { ImageSite, Span } from "../site.js";
import { scanMarkers } from "./markers.js";
import type { FoundSite } from "./site-builder.js";
import { firstHintKey, scanYaml } from "./yaml-scan.js";

/** Something a file's structured scan passed over: a file that is not valid YAML, where. */
export interface StructuredWarning {
  readonly line: number;
  readonly message: string;
}

/** What one file holds: every image site, in order of position, and what could not be read. */
export interface FileScan {
  readonly sites: ImageSite[];
  readonly warnings: StructuredWarning[];
}

const YAML_PATH = /\.(?:ya?ml|json)$/i;

/**
 * The structured image sites of one file (Helm values maps, Kustomize and Argo CD images, Argo CD
 * parameters, markers), without the inline ones. Pure: text in (latin1, offsets are bytes), sites out.
 * Structured YAML fields are read only in `.yaml`/`.yml`/`.json` files; markers in any file.
 */
export function scanStructured(text: string, path: string): { sites: ImageSite[]; warnings: StructuredWarning[] } {
  const found: FoundSite[] = [];
  const warnings: StructuredWarning[] = [];
  const ignored = new Set<number>();
  scanStructuredInto(text, path, new LineIndex(text), text.includes("laminar:"), found, warnings, ignored);
  return { sites: dedupe(found).map((f) => f.site), warnings };
}

function scanStructuredInto(
  text: string,
  path: string,
  lines: LineIndex,
  marker: boolean,
  found: FoundSite[],
  warnings: StructuredWarning[],
  ignored: Set<number>,
  first?: number,
): void {
  const yamlFile = YAML_PATH.test(path);
  if (yamlFile) {
    const problems: { line: number; message: string }[] = [];
    scanYaml(text, lines, found, problems, false, first);
    for (const p of problems)
      warnings.push({
        line: p.line,
        message: `not valid YAML at line ${p.line} (${p.message}): only image strings are scanned in it`,
      });
    // A file that does not parse yields nothing structured (its one-string scan still applies).
    if (problems.length) found.length = 0;
  }
  if (marker) scanMarkers(text, lines, yamlFile, found, ignored);
}

/**
 * The exact pre-check of the structured scan (#12): `false` only when {@link scanStructured} certainly
 * finds no site and gives no warning in `text`. A structured site or warning comes from a marker
 * (`laminar:`), or from a top-level YAML block holding a hint key (yaml-scan.ts), and nothing else.
 */
export function mayHoldStructuredSite(text: string, path: string): boolean {
  return structuredStart(text, YAML_PATH.test(path), text.includes("laminar:")) !== undefined;
}

/**
 * Where the structured scan of `text` starts: the `:` of its first hint key (-1 when a marker is all it
 * has), or `undefined` when it has neither. The hint words of #10 alone (`repository`, `helm`, …)
 * passed ~57 MB of the 100 MB bench corpus's Helm templates, for `.Values.image.repository` or
 * `helm.sh/chart`, and none of them holds a hint key (#12). The search for the first one is where
 * `scanYaml` would start, so a file that has one pays for it once. Outside YAML the only structured
 * sites are markers, and a marker holds `laminar:`: no hint-key search through every `:` of a
 * Terraform file or a doc.
 */
function structuredStart(text: string, yamlFile: boolean, marker: boolean): number | undefined {
  const first = yamlFile ? firstHintKey(text) : -1;
  return marker || first >= 0 ? first : undefined;
}

/**
 * Every image site of one file: the one-string scan (`scanText`) and, when the pre-check
 * ({@link mayHoldStructuredSite}) flags the file, the structured scan. A structured site supersedes the
 * inline sites on its name, tag or digest (kustomize `newName: ghcr.io/a/b` is otherwise a bare, tagless
 * inline reference); `# laminar: ignore` marks the sites on its line `ignored`. `words`: what
 * `rareWords` (rare-words.ts) found in `text`, when the caller has searched it already.
 */
export function scanFile(text: string, path: string, words?: RareWords): FileScan {
  const lines = new LineIndex(text);
  const inline = scanText(text, lines);
  const marker = words ? words.marker : text.includes("laminar:");
  const first = structuredStart(text, YAML_PATH.test(path), marker);
  // `scanText` gives its sites sorted by start, one per start: with no structured site they are the
  // answer as they are.
  if (first === undefined) return { sites: inline, warnings: [] };
  const found: FoundSite[] = [];
  const warnings: StructuredWarning[] = [];
  const ignored = new Set<number>();
  scanStructuredInto(text, path, lines, marker, found, warnings, ignored, first);
  // Most hinted files hold no structured site (a Helm template names `.Values.image.repository`): the
  // inline sites as they are, without the copies and the sort below (#12).
  if (!found.length && !ignored.size) return { sites: inline, warnings };
  const structured = dedupe(found);
  const covers: Span[] = structured.flatMap((f) => f.covers);
  const kept = inline.filter((s) => !covers.some(([a, b]) => s.start < b && a < s.end));
  let sites = [...kept, ...structured.map((f) => f.site)];
  if (ignored.size) sites = sites.map((s) => (siteLines(s, lines).some((l) => ignored.has(l)) ? ignore(s) : s));
  sites.sort(byPosition);
  return { sites, warnings };
}

/** The order of a file's sites: by start, then by end. */
const byPosition = (a: ImageSite, b: ImageSite): number => a.start - b.start || a.end - b.end;

/**
 * One site per tag value: a tag anchored once and reused by aliases is found at every alias. The
 * digest span is part of the key: an alias whose map pins its own `digest` is a site of its own, or
 * its digest would stay the old tag's while the shared tag moves (found by the property test in
 * test/rewrite-structured.test.ts). Both sites carry the same tag edit, which is applied once.
 */
function dedupe(input: readonly FoundSite[]): FoundSite[] {
  const found = refuseSharedTags(input);
  const seen = new Set<string>();
  return found.filter((f) => {
    const span = f.site.tagSpan ?? f.site.nameSpan ?? [f.site.start, f.site.end];
    const digest = f.site.digestSpan ? `@${f.site.digestSpan[0]}:${f.site.digestSpan[1]}` : "";
    // Sites refused for a shared tag all stay in the report, one per image.
    const image =
      f.site.skip?.reason === "shared-tag" ? `#${f.site.reference.registry}/${f.site.reference.repository}` : "";
    const key = `${span[0]}:${span[1]}${digest}${image}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * An anchored tag reused by aliases under *different* images (`app: {repository: a, tag: &v 1.2}`,
 * `other: {repository: b, tag: *v}`) is one value serving two channels: moving it for one image
 * would silently move the other. Every site on such a value stays, with reason `shared-tag`.
 */
function refuseSharedTags(found: readonly FoundSite[]): readonly FoundSite[] {
  const images = new Map<string, Set<string>>();
  const keyOf = (f: FoundSite): string | undefined =>
    f.site.tagSpan ? `${f.site.tagSpan[0]}:${f.site.tagSpan[1]}` : undefined;
  for (const f of found) {
    const key = keyOf(f);
    if (key === undefined || f.site.skip) continue;
    const set = images.get(key) ?? new Set<string>();
    set.add(`${f.site.reference.registry}/${f.site.reference.repository}`);
    images.set(key, set);
  }
  if (![...images.values()].some((s) => s.size > 1)) return found;
  return found.map((f) => {
    const key = keyOf(f);
    const shared = key === undefined ? undefined : images.get(key);
    if (!shared || shared.size < 2) return f;
    const names = [...shared].sort().join(" and ");
    return {
      ...f,
      site: {
        ...f.site,
        skip: {
          reason: "shared-tag",
          detail: `the tag at line ${f.site.line} is one anchored value used by ${names}; moving it for one would move the others — give each image its own tag`,
        },
      },
    };
  });
}

function siteLines(s: ImageSite, lines: LineIndex): number[] {
  const out = [s.line];
  for (const span of [s.nameSpan, s.tagSpan]) if (span) out.push(lines.lineOf(span[0]));
  return out;
}

/**
 * An ignored site keeps its spans (for the report) but its reference loses tag and digest, so a plan
 * that does not read `skip` yet still leaves it alone (as tagless) instead of moving it.
 */
function ignore(s: ImageSite): ImageSite {
  const { registry, repository } = s.reference;
  return {
    ...s,
    reference: { registry, repository },
    skip: { reason: "ignored", detail: "a `# laminar: ignore` comment leaves this image alone" },
  };
}
