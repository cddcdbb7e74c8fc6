import { parseImageReference } from "../reference/parse.js";
import type { ImageReference } from "../reference/types.js";
import { LineIndex } from "./lines.js";
import type { ImageSite } from "./site.js";

/**
 * Finds image references in any text with their exact byte spans. Pure: takes bytes, returns spans.
 *
 * The text is read as latin1 so one character is one byte: offsets are byte offsets and non-UTF-8
 * files survive untouched; references are ASCII, so multi-byte UTF-8 never matches by accident.
 *
 * What counts as a reference (and nothing else):
 * - a token with a tag or digest whose name has a `/` (`ghcr.io/acme/app:1.2`, `acme/app@sha256:…`),
 *   anywhere in the text — Kapitan inventories, Terraform strings, templates, scripts;
 * - any valid reference, tagged or bare (`nginx`, `redis:alpine`), as the whole value of an
 *   image-ish key (`image:`, `image =`, `"image":`, `containerImage:`, kustomize `newName:`) or
 *   after a Dockerfile `FROM`.
 * A token glued to template syntax (`{{ .Values.registry }}/app:1`, `${REG}/app:1`), a URL, or text
 * inside a `#` comment is not a reference. Port mappings (`"5000:5000/tcp"`) and probe URLs
 * (`localhost:9898/healthz`) have no valid tag and are not references either.
 */
/** A reference found in text: an image site of form `inline`. */
export type FoundReference = ImageSite;

// Characters a reference token can contain (brackets of IPv6 hosts are handled apart).
const TOKEN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/:@") TOKEN[c.charCodeAt(0)] = 1;
const isToken = (code: number): boolean => code < 128 && TOKEN[code] === 1;
const TAG_START = /[\w]/;
/** How far back {@link imageContext} looks for `image:` / `FROM` before a token. */
const CONTEXT_WINDOW = 256;
/** A token right after `--flag=` / `-f=` (optionally quoted). */
const FLAG_VALUE = /(?:^|[\s"'[,(])--?[A-Za-z][\w.-]*=["']?$/;

/** Keys whose value is an image: `image`, `imageName`, `containerImage`, `base_image`, kustomize `newName`. */
// camelCase keys may have several humps (`natsStreamingImage`, issue #10): any letters before `Image`.
const IMAGE_KEY = /^(?:image|imagename|image_name|image-name|newname|[a-z0-9]*[_-]image|[a-z][a-zA-Z0-9]*Image)$/;
const isImageKey = (key: string): boolean => IMAGE_KEY.test(key) || IMAGE_KEY.test(key.toLowerCase());

/** Scans bytes (or a latin1 string of them) for image references, in order of position. */
export function scanText(input: Uint8Array | string): FoundReference[] {
  const text =
    typeof input === "string"
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  const lines = new LineIndex(text);
  const inComment = commentTracker(text, lines);
  const found: FoundReference[] = [];
  let consumed = 0; // everything before this offset has been decided

  const emit = (start: number, end: number, requireSlash: boolean): boolean => {
    const r = candidate(text, start, end, requireSlash, lines);
    if (!r) return false;
    found.push(r);
    consumed = end;
    return true;
  };

  // Dockerfile FROM lines: `FROM [--platform=…] image[:tag] [AS name]`.
  // A UTF-8 byte order mark (read as latin1: "\xEF\xBB\xBF") may precede the first line.
  // A cheap substring check first: the multiline regex would walk every line of every file.
  // (Instructions are case-insensitive; FROM, from and From are the spellings in use.)
  if (
    (text.includes("FROM") || text.includes("from") || text.includes("From")) &&
    /^(?:\xEF\xBB\xBF)?\s*FROM\s/im.test(text)
  ) {
    // The instruction ends after the image or an `AS name`: a Python `from kubernetes import client`
    // in a ConfigMap is prose, not a FROM (#10).
    const from =
      /^(?:\xEF\xBB\xBF)?[ \t]*FROM[ \t]+(?:--\S+[ \t]+)*([^\s#]+)(?=[ \t]*(?:#.*)?\r?$|[ \t]+AS[ \t]+\S+[ \t]*\r?$)/gim;
    for (let m; (m = from.exec(text));) {
      const s = m.index + m[0].length - (m[1] as string).length;
      candidateValue(text, s, lines, found);
    }
  }

  // Every reference worth reporting has a `:` (key or tag) or `@` (digest) near it: jump between them.
  const anchors = /[:@=]/g;
  for (let m; (m = anchors.exec(text));) {
    const i = m.index;
    if (i < consumed) continue;
    const next = text.charCodeAt(i + 1);
    const ch = text[i];
    if (
      ch === "=" ||
      next === 32 ||
      next === 9 ||
      next === 10 ||
      next === 13 ||
      next === 34 ||
      next === 39 ||
      Number.isNaN(next)
    ) {
      // `key: value`, `key = value`, `"key": "value"`: a value of an image-ish key may be a bare name.
      if (ch === "@") continue;
      const key = keyBefore(text, i);
      if (key && isImageKey(key) && !inComment(i)) {
        const end = candidateValue(text, i + 1, lines, found);
        if (end > 0) {
          consumed = end;
          anchors.lastIndex = end;
        }
      }
      continue;
    }
    if (ch === "=") continue;
    // A token around the anchor: expand over token characters.
    let s = i;
    while (s > 0 && isToken(text.charCodeAt(s - 1))) s--;
    let e = i + 1;
    while (e < text.length && isToken(text.charCodeAt(e))) e++;
    if (s < consumed) continue;
    anchors.lastIndex = e;
    // IPv6 host: `[::1]:5000/app:1` — the token stopped at `]`.
    if (text[s - 1] === "]") {
      const open = text.lastIndexOf("[", s - 1);
      if (open >= 0 && /^\[[0-9A-Fa-f:.%]+\]$/.test(text.slice(open, s))) s = open;
    }
    if (!inComment(s)) {
      // The key before a token is short: look at a bounded window, not the whole line (a line of 10k
      // references made this quadratic). A cut window starts with NUL so `^FROM` cannot match there.
      const ls = lines.lineStart(s);
      const from = Math.max(ls, s - CONTEXT_WINDOW);
      const before = (from > ls ? "\0" : "") + text.slice(from, s);
      const context = imageContext(before);
      // `--upstream=acme/app:8080`: the value of a command-line flag that is not an image flag (#13).
      if (context || !FLAG_VALUE.test(before)) emit(s, e, !context);
    }
    consumed = Math.max(consumed, e);
  }
  found.sort((a, b) => a.start - b.start);
  // Examples in CRD and schema `description:` text are prose, not deployed images (issue #13).
  const prose = proseRanges(text);
  let p = 0;
  const inProse = (offset: number): boolean => {
    while (p < prose.length && (prose[p] as [number, number])[1] <= offset) p++;
    return p < prose.length && (prose[p] as [number, number])[0] <= offset;
  };
  // The FROM pass and the anchor pass can meet on the same token.
  return found.filter((f, k) => (k === 0 || (found[k - 1] as FoundReference).start !== f.start) && !inProse(f.start));
}

/**
 * The spans of `description:` values in YAML (a CRD's or a JSON schema's documentation): the rest of
 * the key's line, and for a block scalar (`description: |`) every following line indented deeper than
 * the key. One forward pass; sorted, non-overlapping.
 */
function proseRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!text.includes("description")) return out;
  const key = /^([ \t]*(?:- +)?)(["']?)description\2[ \t]*:(.*)$/gm;
  for (let m; (m = key.exec(text));) {
    const lineEnd = text.indexOf("\n", m.index);
    let end = lineEnd < 0 ? text.length : lineEnd;
    if (/^[ \t]*[|>][-+0-9]*[ \t]*(?:#.*)?\r?$/.test(m[3] as string)) {
      const indent = (m[1] as string).length;
      // Block scalar: lines indented deeper than the key (or blank) belong to it.
      for (let ls = end + 1; ls < text.length;) {
        const le = text.indexOf("\n", ls);
        const line = text.slice(ls, le < 0 ? text.length : le);
        const lead = /^[ \t]*/.exec(line)?.[0].length ?? 0;
        if (line.trim() !== "" && lead <= indent) break;
        end = le < 0 ? text.length : le;
        if (le < 0) break;
        ls = le + 1;
      }
    }
    out.push([m.index, end]);
    key.lastIndex = Math.max(key.lastIndex, end);
  }
  return out;
}

/** The identifier right before a `:`/`=` (skipping a closing quote and spaces), or "". */
function keyBefore(text: string, i: number): string {
  let e = i;
  while (e > 0 && (text[e - 1] === " " || text[e - 1] === "\t")) e--;
  if (text[e - 1] === '"' || text[e - 1] === "'") e--;
  let s = e;
  // [A-Za-z0-9_.-], by char code: this runs at every `key:` of every file.
  for (
    let c = text.charCodeAt(s - 1);
    s > 0 && TOKEN[c] === 1 && c !== 47 && c !== 58 && c !== 64;
    c = text.charCodeAt(s - 1)
  )
    s--;
  return text.slice(s, e).replace(/^.*\./, "").replace(/^-+/, "");
}

/** Is the text before a token on its line an image-ish key or a FROM? (`image: `, `--image=`, `"image": "`) */
function imageContext(before: string): boolean {
  const m =
    /([\w-]+)["']?\s*[:=]\s*["']?$/.exec(before) ?? /(?:^|^\xEF\xBB\xBF|\s)(FROM)\s+(?:--\S+\s+)*$/i.exec(before);
  if (!m) return false;
  const key = (m[1] as string).replace(/^-+/, "");
  return key.toUpperCase() === "FROM" || isImageKey(key);
}

/**
 * The value starting at `from` (after `key:`/`key =`): skips blanks and one quote, takes the token,
 * and emits it when it is a complete, valid reference. Returns the token end, or 0.
 */
function candidateValue(text: string, from: number, lines: LineIndex, found: FoundReference[]): number {
  let s = from;
  while (text[s] === " " || text[s] === "\t") s++;
  const quote = text[s] === '"' || text[s] === "'" ? text[s] : "";
  if (quote) s++;
  let e = s;
  if (text[e] === "[") {
    const close = text.indexOf("]", e);
    if (close > 0 && /^\[[0-9A-Fa-f:.%]+\]$/.test(text.slice(e, close + 1))) e = close + 1;
  }
  while (e < text.length && isToken(text.charCodeAt(e))) e++;
  if (e === s) return 0;
  const after = text[e];
  // The whole value must be the reference: `image: {{ x }}`, `image: app:{{ .tag }}` are templates.
  const ends = quote ? after === quote : after === undefined || /[\s,\]}#]/.test(after);
  if (!ends) return 0;
  const r = candidate(text, s, e, false, lines);
  if (!r) return 0;
  found.push(r);
  return e;
}

function candidate(
  text: string,
  start: number,
  end: number,
  requireSlashOrDigest: boolean,
  lines: LineIndex,
): FoundReference | undefined {
  const e = end;
  const before = text[start - 1];
  // Glued to template or variable syntax: `${REGISTRY}/app:1`, `{{ .Values.x }}/app:1`, `%s/app`.
  if (before === "}" || before === "$" || before === "%" || before === "{") return undefined;
  // The token must end at a delimiter: `app:~1.0` (a constraint) or `app:{{ .tag }}` is no reference.
  const after = text[end];
  if (after !== undefined && !/[\s"'`,;)\]}>|\\&]/.test(after)) return undefined;
  // A copy, not a slice: a slice keeps the whole file's text alive as long as the reference lives.
  const raw = Buffer.from(text.slice(start, e), "latin1").toString("latin1");
  if (raw.includes("://") || raw.startsWith("//")) return undefined;
  const at = raw.indexOf("@");
  const nameAndTag = at >= 0 ? raw.slice(0, at) : raw;
  const slash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > slash && colon >= 0;
  if (requireSlashOrDigest && (slash < 0 || (!hasTag && at < 0))) return undefined;
  if (hasTag && !TAG_START.test(nameAndTag[colon + 1] ?? "")) return undefined;
  // In free text, `backend/api:8080` is a service and its port: a 4- or 5-digit tag on a name with no
  // registry host (#13). Under an image key it is still read as a tag.
  if (requireSlashOrDigest && hasTag && at < 0 && /^\d{4,5}$/.test(nameAndTag.slice(colon + 1))) {
    const first = nameAndTag.slice(0, nameAndTag.indexOf("/"));
    if (!first.includes(".") && !first.includes(":") && first !== "localhost") return undefined;
  }
  let reference: ImageReference;
  try {
    reference = parseImageReference(raw);
  } catch {
    return undefined;
  }
  // `foo_bar.com/app` parses (as docker does) with no registry: nothing could pull it.
  if (!reference.registry) return undefined;
  const nameEnd = hasTag ? colon : nameAndTag.length;
  const line = lines.lineOf(start);
  const column = lines.columnOf(start);
  return {
    form: "inline",
    start,
    end: e,
    text: raw,
    line,
    column,
    reference,
    name: raw.slice(0, nameEnd),
    nameSpan: [start, start + nameEnd] as const,
    ...(hasTag ? { tagSpan: [start + colon + 1, start + nameAndTag.length] as const } : {}),
    ...(at >= 0 ? { digestSpan: [start + at + 1, start + raw.length] as const } : {}),
  };
}

/**
 * Is an offset inside a `#` comment? A `#` starts one at line start or after a blank, outside quotes.
 * The scanner asks in order of position, so the walk over a line resumes where the last question
 * left it: linear in the line, however many references it holds (issue #13: 10k on one line took 37 s).
 */
function commentTracker(text: string, lines: LineIndex): (offset: number) => boolean {
  let ls = -1; // line of the walk
  let k = 0; // walked up to here
  let quote = "";
  let comment = false;
  return (offset) => {
    const start = lines.lineStart(offset);
    if (start !== ls || offset < k) {
      ls = start;
      k = start;
      quote = "";
      comment = false;
      const hash = text.indexOf("#", start);
      // No `#` before the offset: nothing to walk yet (the common case, one search per line).
      if (hash < 0 || hash >= offset) return false;
    }
    for (; k < offset && !comment; k++) {
      const c = text[k];
      if (quote) {
        if (c === quote) quote = "";
      } else if (c === '"' || c === "'") {
        // An apostrophe inside a word (`don't`) opens nothing.
        if (!(c === "'" && k > ls && /\w/.test(text[k - 1] as string))) quote = c;
      } else if (c === "#" && (k === ls || /\s/.test(text[k - 1] as string))) comment = true;
    }
    return comment;
  };
}
