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

const COLON = 58;
const AT = 64;
const EQUALS = 61;

/**
 * The next `:`, `@` or `=` at or after `from`, or -1: the nearest of three `indexOf`s, each kept until
 * it is passed. `indexOf` of one character runs natively, several times faster than a loop over char
 * codes in JavaScript, which was a fifth of the repository scan (#12).
 */
class Anchors {
  private colon = -2;
  private at = -2;
  private equals = -2;
  private from = 0;
  constructor(private readonly text: string) {}
  next(from: number): number {
    // -2: not searched yet; -1: none left. Asked again behind the last question: search again.
    if (from < this.from) this.colon = this.at = this.equals = -2;
    this.from = from;
    if (this.colon !== -1 && this.colon < from) this.colon = this.text.indexOf(":", from);
    if (this.at !== -1 && this.at < from) this.at = this.text.indexOf("@", from);
    if (this.equals !== -1 && this.equals < from) this.equals = this.text.indexOf("=", from);
    let best = this.colon;
    if (this.at >= 0 && (best < 0 || this.at < best)) best = this.at;
    if (this.equals >= 0 && (best < 0 || this.equals < best)) best = this.equals;
    return best;
  }
}

/**
 * Can the key before the `:`/`=` at `i` be an image key? {@link keyBefore} skips blanks and one
 * quote and strips a dotted prefix and leading dashes, none of which changes the key's end; every
 * {@link IMAGE_KEY} alternative ends in `image` or `name` (in any case, as it is matched lower-cased too).
 */
function keyMayBeImage(text: string, i: number): boolean {
  let e = i;
  while (e > 0 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
  const q = text.charCodeAt(e - 1);
  if (q === 34 || q === 39) e--;
  return endsWithWord(text, 0, e, "image") || endsWithWord(text, 0, e, "name");
}

/** Does `text[lo, e)` end in `word` (lower-case ASCII letters), in any case? */
function endsWithWord(text: string, lo: number, e: number, word: string): boolean {
  if (e - word.length < lo) return false;
  for (let k = 0; k < word.length; k++)
    if ((text.charCodeAt(e - word.length + k) | 0x20) !== word.charCodeAt(k)) return false;
  return true;
}

/**
 * Can the token `[s, e)` be a reference with no image context? {@link candidate} then wants a `/` in
 * the name and a tag after it or a digest: a `@`, or a `/` with a `:` after it.
 */
function tokenMayStandAlone(text: string, s: number, e: number): boolean {
  let slash = false;
  for (let k = s; k < e; k++) {
    const c = text.charCodeAt(k);
    if (c === AT) return true;
    if (c === 47) slash = true;
    else if (c === COLON && slash) return true;
  }
  return false;
}

/** Is there a `"` or `'` at `k`? (Module level: a closure made per call cost more than the scan, #12.) */
function isQuoteAt(text: string, k: number): boolean {
  const c = text.charCodeAt(k);
  return c === 34 || c === 39;
}

/** Characters of a regex `\s` in a latin1 string. */
const isRegexSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160;

/**
 * Can {@link imageContext} or the `--flag=` test ({@link FLAG_VALUE}) hold for the text before a
 * token at `s`? A necessary condition read backwards on the bytes, so that most tokens are decided
 * without cutting the line (#12): the text ends in `=` (a flag or `key=`, left to the regexes); or
 * in `key:` / `key =` then blanks and one quote, where the key ends like an image key or is `from`;
 * or in blanks after a word that is `FROM` or a `--flag` (a Dockerfile `FROM --platform=… `).
 */
function contextMayFollow(text: string, s: number, lines: LineIndex): boolean {
  const ls = lines.lineStart(s);
  const from = Math.max(ls, s - CONTEXT_WINDOW);
  if (s <= from) return false;
  let k = s;
  if (isQuoteAt(text, k - 1)) k--;
  if (k > from && text.charCodeAt(k - 1) === EQUALS) return true;
  while (k > from && isRegexSpace(text.charCodeAt(k - 1))) k--;
  if (k > from && (text.charCodeAt(k - 1) === COLON || text.charCodeAt(k - 1) === EQUALS)) {
    let q = k - 1;
    while (q > from && isRegexSpace(text.charCodeAt(q - 1))) q--;
    if (q > from && isQuoteAt(text, q - 1)) q--;
    if (
      endsWithWord(text, from, q, "image") ||
      endsWithWord(text, from, q, "name") ||
      endsWithWord(text, from, q, "from")
    )
      return true;
  }
  if (!isRegexSpace(text.charCodeAt(s - 1))) return false;
  let w = s;
  while (w > from && isRegexSpace(text.charCodeAt(w - 1))) w--;
  const end = w;
  while (w > from && !isRegexSpace(text.charCodeAt(w - 1))) w--;
  return (text.charCodeAt(w) === 45 && text.charCodeAt(w + 1) === 45) || endsWithWord(text, from, end, "from");
}

/**
 * Scans bytes (or a latin1 string of them) for image references, in order of position. `lines`: the
 * text's line index when the caller has one (the structured scan of the same file builds it once, #12).
 */
export function scanText(input: Uint8Array | string, lines?: LineIndex): FoundReference[] {
  const text =
    typeof input === "string"
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  return scanLatin1(text, lines && typeof input === "string" ? lines : new LineIndex(text));
}

function scanLatin1(text: string, lines: LineIndex): FoundReference[] {
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
  // A loop over char codes, not a global regex: a YAML file has a `:` on nearly every line, and each
  // regex match allocated a match array (issue #12: the garbage collector took 7% of the scan).
  const anchors = new Anchors(text);
  for (let i = anchors.next(0); i >= 0; i = anchors.next(i + 1)) {
    if (i < consumed) continue;
    const next = text.charCodeAt(i + 1);
    const ch = text.charCodeAt(i);
    if (
      ch === EQUALS ||
      next === 32 ||
      next === 9 ||
      next === 10 ||
      next === 13 ||
      next === 34 ||
      next === 39 ||
      Number.isNaN(next)
    ) {
      // `key: value`, `key = value`, `"key": "value"`: a value of an image-ish key may be a bare name.
      if (ch === AT) continue;
      // Most keys are out on their last bytes, before the key is cut out and matched (issue #12).
      if (!keyMayBeImage(text, i)) continue;
      const key = keyBefore(text, i);
      if (key && isImageKey(key) && !inComment(i)) {
        const end = candidateValue(text, i + 1, lines, found);
        if (end > 0) {
          consumed = end;
          i = end - 1;
        }
      }
      continue;
    }
    // A token around the anchor: expand over token characters.
    let s = i;
    while (s > 0 && isToken(text.charCodeAt(s - 1))) s--;
    let e = i + 1;
    while (e < text.length && isToken(text.charCodeAt(e))) e++;
    if (s < consumed) continue;
    // IPv6 host: `[::1]:5000/app:1` — the token stopped at `]`.
    if (text[s - 1] === "]") {
      const open = text.lastIndexOf("[", s - 1);
      if (open >= 0 && /^\[[0-9A-Fa-f:.%]+\]$/.test(text.slice(open, s))) s = open;
    }
    // Most tokens (`0.0.0.0:8080`, `sha256:…`, times) have neither a context that could make them an
    // image nor the `/` and tag a free-text reference needs: decided without cutting the text (#12).
    const mayHaveContext = contextMayFollow(text, s, lines);
    if ((mayHaveContext || tokenMayStandAlone(text, s, e)) && !inComment(s)) {
      if (!mayHaveContext) emit(s, e, true);
      else {
        // The key before a token is short: look at a bounded window, not the whole line (a line of 10k
        // references made this quadratic). A cut window starts with NUL so `^FROM` cannot match there.
        const ls = lines.lineStart(s);
        const from = Math.max(ls, s - CONTEXT_WINDOW);
        const before = (from > ls ? "\0" : "") + text.slice(from, s);
        const context = imageContext(before);
        // `--upstream=acme/app:8080`: the value of a command-line flag that is not an image flag (#13).
        if (context || !FLAG_VALUE.test(before)) emit(s, e, !context);
      }
    }
    consumed = Math.max(consumed, e);
    i = e - 1;
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
  const slice = text.slice(start, e);
  if (slice.includes("://") || slice.startsWith("//")) return undefined;
  const at = slice.indexOf("@");
  const nameAndTag = at >= 0 ? slice.slice(0, at) : slice;
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
  // A copy, not a slice: a slice keeps the whole file's text alive as long as the reference lives.
  // (Made only here: most candidates are out before, and the copy was a tenth of the scan, #12.)
  const raw = Buffer.from(slice, "latin1").toString("latin1");
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
  // The first `#` at or after `hashFrom` (-1: none). Kept between questions: a search per line from
  // its start ran to the next `#` of the file, often its end — quadratic in a file without `#` (#12).
  let hashFrom = -1;
  let nextHash = -1;
  const hashAtOrAfter = (p: number): number => {
    if (hashFrom < 0 || p < hashFrom || (nextHash >= 0 && nextHash < p)) {
      hashFrom = p;
      nextHash = text.indexOf("#", p);
    }
    return nextHash;
  };
  return (offset) => {
    const start = lines.lineStart(offset);
    if (start !== ls || offset < k) {
      ls = start;
      k = start;
      quote = "";
      comment = false;
      const hash = hashAtOrAfter(start);
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
