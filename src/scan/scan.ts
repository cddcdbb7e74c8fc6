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
// One table of 256 (a latin1 string's character codes; any other code reads `undefined`, no token): the
// token expansion reads each byte once for both questions it answers (#12). Bit 1: a token character;
// the bits above it mark the characters that tell a reference from a word: `/`, `:`, `@`.
const TOKEN = new Uint8Array(256);
const IN_TOKEN = 1;
const SLASH_CHAR = IN_TOKEN | 2;
const COLON_CHAR = IN_TOKEN | 4;
const AT_CHAR = IN_TOKEN | 8;
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") TOKEN[c.charCodeAt(0)] = IN_TOKEN;
TOKEN[47] = SLASH_CHAR;
TOKEN[58] = COLON_CHAR;
TOKEN[64] = AT_CHAR;
const isToken = (code: number): boolean => ((TOKEN[code] as number) & IN_TOKEN) !== 0;
/** After a `:` of a key rather than of a tag: a blank, a line end or a closing quote. */
const KEY_END = new Uint8Array(256);
for (const c of [32, 9, 10, 13, 34, 39]) KEY_END[c] = 1;
/** How far back {@link imageContext} looks for `image:` / `FROM` before a token. */
const CONTEXT_WINDOW = 256;

const COLON = 58;
const AT = 64;
const EQUALS = 61;
const DASH = 45;
const DOT = 46;

// The scanner's regexes ran at most tokens of every file and cut a string for each (#12); the tests
// below are the same character classes by char code, on a latin1 string (one character, one byte).
/** A regex `\s` in a latin1 string. */
const isRegexSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 160;
/** A regex `\w`: `[A-Za-z0-9_]`. */
const isWordCode = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
const isLetterCode = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isAlnumCode = (c: number): boolean => isLetterCode(c) || (c >= 48 && c <= 57);
const isQuoteCode = (c: number): boolean => c === 34 || c === 39;

/**
 * Does `text[lo, e)` end in `word` (lower-case ASCII letters), in any case? Compared from the last
 * letter: most keys before a `:` are out on it (#12).
 */
function endsWithWord(text: string, lo: number, e: number, word: string): boolean {
  const n = word.length;
  if (e - n < lo) return false;
  for (let k = 1; k <= n; k++) if ((text.charCodeAt(e - k) | 0x20) !== word.charCodeAt(n - k)) return false;
  return true;
}

/**
 * Can `text[lo, e)` end in an image key? Every one ends in `image` or `name`, in any case; looked at
 * from the `e` they both end in, which most keys do not (#12).
 */
function endsLikeImageKey(text: string, lo: number, e: number): boolean {
  return (
    (text.charCodeAt(e - 1) | 0x20) === 101 && (endsWithWord(text, lo, e, "image") || endsWithWord(text, lo, e, "name"))
  );
}

/** Is `text[s, e)` `word` (lower-case ASCII, `_` or `-`), in any case? */
function isWordAt(text: string, s: number, e: number, word: string): boolean {
  if (e - s !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    const c = text.charCodeAt(s + k);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Is the key `text[s, e)` (characters of `[A-Za-z0-9_-]`) one whose value is an image? `image`,
 * `imageName`, `image_name`, `image-name`, kustomize `newName` in any case; `<word>_image` /
 * `<word>-image` (`base_image`); camelCase `<word>Image` with any humps (`natsStreamingImage`, #10).
 * It was `/^(?:image|imagename|image_name|image-name|newname|[a-z0-9]*[_-]image|[a-z][a-zA-Z0-9]*Image)$/`
 * tested on the key and on the key lower-cased: the same test by char code, without cutting the key
 * out of the text (it runs at every `name:` of every manifest, #12).
 */
function isImageKeyAt(text: string, s: number, e: number): boolean {
  const n = e - s;
  if (endsWithWord(text, s, e, "image")) {
    if (n === 5) return true;
    // `[a-z0-9]*[_-]image`, matched lower-cased: any letters or digits, then `_` or `-`.
    const sep = text.charCodeAt(e - 6);
    if (sep === 95 || sep === DASH) {
      let k = s;
      while (k < e - 6 && isAlnumCode(text.charCodeAt(k))) k++;
      if (k === e - 6) return true;
    }
    // `[a-z][a-zA-Z0-9]*Image`, matched as written: `Image` after a lower-case start.
    if (!text.startsWith("Image", e - 5)) return false;
    const first = text.charCodeAt(s);
    if (!(first >= 97 && first <= 122)) return false;
    for (let k = s + 1; k < e - 5; k++) if (!isAlnumCode(text.charCodeAt(k))) return false;
    return true;
  }
  return (
    isWordAt(text, s, e, "imagename") ||
    isWordAt(text, s, e, "image_name") ||
    isWordAt(text, s, e, "image-name") ||
    isWordAt(text, s, e, "newname")
  );
}

/**
 * The start of the line holding an offset, remembered for the line last asked about: the scanner asks
 * in order of position, so most questions are about the same line as the last one. Unlike
 * {@link LineIndex} it neither counts lines nor builds a table of them: the comment and context checks
 * ask about lines all through a file (most files have a `:` on every line), while line numbers are
 * wanted only for findings, mostly near a file's top (#12).
 */
class LineStarts {
  private start = 0;
  /** Offset of the `\n` ending the line of {@link start} (or the text's length). -1: none asked yet. */
  private end = -1;
  constructor(private readonly text: string) {}
  of(offset: number): number {
    if (offset > this.end || offset < this.start) {
      this.start = offset === 0 ? 0 : this.text.lastIndexOf("\n", offset - 1) + 1;
      const nl = this.text.indexOf("\n", offset);
      this.end = nl < 0 ? this.text.length : nl;
    }
    return this.start;
  }
}

/** A regex `\s` other than a line feed: a blank inside a line. */
const isBlankCode = (c: number): boolean => c !== 10 && isRegexSpace(c);

/**
 * Can {@link imageContext} or {@link flagValue} hold for the text before a token at `s`, on its line and
 * at most {@link CONTEXT_WINDOW} back? A necessary condition read backwards on the bytes, so that most
 * tokens are decided in a few steps, without looking for the line's start (#12): the text ends in `=`
 * (a flag or `key=`, left to the full tests); or in `key:` / `key =` then blanks and one quote, where
 * the key ends like an image key or is `from`; or in blanks after a word that is `FROM` or a `--flag`
 * (a Dockerfile `FROM --platform=… `). No step crosses a line feed, so the line's start bounds it too.
 */
function contextMayFollow(text: string, s: number): boolean {
  const from = Math.max(0, s - CONTEXT_WINDOW);
  if (s <= from || text.charCodeAt(s - 1) === 10) return false;
  let k = s;
  if (isQuoteCode(text.charCodeAt(k - 1))) k--;
  if (k > from && text.charCodeAt(k - 1) === EQUALS) return true;
  while (k > from && isBlankCode(text.charCodeAt(k - 1))) k--;
  if (k > from && (text.charCodeAt(k - 1) === COLON || text.charCodeAt(k - 1) === EQUALS)) {
    let q = k - 1;
    while (q > from && isBlankCode(text.charCodeAt(q - 1))) q--;
    if (q > from && isQuoteCode(text.charCodeAt(q - 1))) q--;
    // Letters only: a word that fits in the window but crosses the line's start has a line feed in it.
    if (endsLikeImageKey(text, from, q) || endsWithWord(text, from, q, "from")) return true;
  }
  if (!isRegexSpace(text.charCodeAt(s - 1))) return false;
  let w = s;
  while (w > from && isBlankCode(text.charCodeAt(w - 1))) w--;
  const end = w;
  while (w > from && !isRegexSpace(text.charCodeAt(w - 1))) w--;
  return (text.charCodeAt(w) === DASH && text.charCodeAt(w + 1) === DASH) || endsWithWord(text, from, end, "from");
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
  const starts = new LineStarts(text);
  const comments = new CommentTracker(text, starts);
  const found: FoundReference[] = [];
  let consumed = 0; // everything before this offset has been decided

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
  // Not a global regex: a YAML file has a `:` on nearly every line, and each regex match allocated a
  // match array (issue #12: the garbage collector took 7% of the scan). `colon`, `atSign`, `equals`:
  // the next `:`, `@` and `=` at or after `from` (-1: none left), each searched again only once passed;
  // `indexOf` of one character runs natively, several times faster than a loop over char codes in
  // JavaScript (#12). Locals, not an object's fields: the loop turns millions of times per 100 MB.
  let colon = text.indexOf(":");
  let atSign = text.indexOf("@");
  let equals = text.indexOf("=");
  for (let from = 0; ;) {
    if (colon >= 0 && colon < from) colon = text.indexOf(":", from);
    if (atSign >= 0 && atSign < from) atSign = text.indexOf("@", from);
    if (equals >= 0 && equals < from) equals = text.indexOf("=", from);
    let i = colon;
    if (atSign >= 0 && (i < 0 || atSign < i)) i = atSign;
    if (equals >= 0 && (i < 0 || equals < i)) i = equals;
    if (i < 0) break;
    from = i + 1;
    if (i < consumed) continue;
    const ch = text.charCodeAt(i);
    if (ch === EQUALS || i + 1 === text.length || KEY_END[text.charCodeAt(i + 1)] === 1) {
      // `key: value`, `key = value`, `"key": "value"`: a value of an image-ish key may be a bare name.
      if (ch === AT) continue;
      if (isImageKeyBefore(text, i) && !comments.at(i)) {
        const end = candidateValue(text, i + 1, lines, found);
        if (end > 0) {
          consumed = end;
          from = end;
        }
      }
      continue;
    }
    // A token around the anchor: expand over token characters. On the way, note what a reference with
    // no image context needs (see {@link candidate}): a `@` (a digest), or a `/` and a `:` after it.
    let at = ch === AT;
    let firstSlash = -1; // the token's first `/`
    let lastColon = -1; // the token's last `:` (the part before the anchor is read first, backwards)
    let s = i;
    while (s > 0) {
      const c = TOKEN[text.charCodeAt(s - 1)] as number;
      if ((c & IN_TOKEN) === 0) break;
      s--;
      if (c === IN_TOKEN) continue; // most characters: a letter, a digit, `.`, `-` or `_`
      if (c === SLASH_CHAR) firstSlash = s;
      else if (c === COLON_CHAR && lastColon < 0) lastColon = s;
      else if (c === AT_CHAR) at = true;
    }
    if (ch === COLON) lastColon = i;
    let e = i + 1;
    while (e < text.length) {
      const c = TOKEN[text.charCodeAt(e)] as number;
      if ((c & IN_TOKEN) === 0) break;
      if (c !== IN_TOKEN) {
        if (c === SLASH_CHAR && firstSlash < 0) firstSlash = e;
        else if (c === COLON_CHAR) lastColon = e;
        else if (c === AT_CHAR) at = true;
      }
      e++;
    }
    const mayStandAlone = at || (firstSlash >= 0 && lastColon > firstSlash);
    if (s < consumed) continue;
    // IPv6 host: `[::1]:5000/app:1` — the token stopped at `]`.
    if (text.charCodeAt(s - 1) === 93) {
      const open = text.lastIndexOf("[", s - 1);
      if (open >= 0 && /^\[[0-9A-Fa-f:.%]+\]$/.test(text.slice(open, s))) s = open;
    }
    // Most tokens (`0.0.0.0:8080`, `sha256:…`, times) have neither a context that could make them an
    // image nor the `/` and tag a free-text reference needs: decided in a few steps back (#12).
    const mayHaveContext = contextMayFollow(text, s);
    if ((mayHaveContext || mayStandAlone) && mayBeReference(text, s, e)) {
      let context = false;
      let flag = false;
      if (mayHaveContext) {
        // The key before a token is short: look at a bounded window, not the whole line (a line of 10k
        // references made this quadratic). A window cut inside the line cannot start a `FROM` line.
        const ls = starts.of(s);
        const window = Math.max(ls, s - CONTEXT_WINDOW);
        context = imageContext(text, window, s, window > ls);
        // `--upstream=acme/app:8080`: the value of a command-line flag that is not an image flag (#13).
        flag = !context && flagValue(text, window, s, window > ls);
      }
      if (!flag && !comments.at(s)) {
        const r = candidate(text, s, e, !context, lines);
        if (r) {
          found.push(r);
          consumed = e;
        }
      }
    }
    consumed = Math.max(consumed, e);
    from = e;
  }
  return ordered(found, text);
}

/**
 * The findings in order of position, without a second finding at the same offset (the FROM pass and the
 * anchor pass can meet on the same token) and without examples in CRD and schema `description:` text,
 * which are prose, not deployed images (issue #13). The common case, already in order with nothing to
 * drop, returns the array as it is (#12).
 */
function ordered(found: FoundReference[], text: string): FoundReference[] {
  let sorted = true;
  for (let k = 1; k < found.length && sorted; k++)
    sorted = (found[k - 1] as FoundReference).start <= (found[k] as FoundReference).start;
  // A stable sort: of two findings at one offset, the FROM pass's comes first and is kept.
  if (!sorted) found.sort((a, b) => a.start - b.start);
  // A `description:` range holding a finding has its key at or before the finding, and findings are
  // mostly near a file's top: look for the key up to the last finding only, not through the file (#12).
  // (A slice of a string is a view, not a copy.)
  const last = found.length > 0 ? (found[found.length - 1] as FoundReference).start : -1;
  const prose = last >= 0 && text.slice(0, last + DESCRIPTION.length).includes(DESCRIPTION) ? proseRanges(text) : [];
  let p = 0;
  let out: FoundReference[] | undefined;
  for (let k = 0; k < found.length; k++) {
    const f = found[k] as FoundReference;
    let keep = k === 0 || (found[k - 1] as FoundReference).start !== f.start;
    if (keep && p < prose.length) {
      while (p < prose.length && (prose[p] as [number, number])[1] <= f.start) p++;
      keep = !(p < prose.length && (prose[p] as [number, number])[0] <= f.start);
    }
    if (!keep) out ??= found.slice(0, k);
    else out?.push(f);
  }
  return out ?? found;
}

const DESCRIPTION = "description";

/**
 * The spans of `description:` values in YAML (a CRD's or a JSON schema's documentation): the rest of
 * the key's line, and for a block scalar (`description: |`) every following line indented deeper than
 * the key. One forward pass; sorted, non-overlapping.
 */
function proseRanges(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
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

/**
 * Is the identifier right before the `:`/`=` at `i` (skipping blanks and a closing quote; after its
 * last `.`, without leading dashes) an image key? Most keys are out on their last bytes, before the
 * whole key is looked at (#12).
 */
function isImageKeyBefore(text: string, i: number): boolean {
  let e = i;
  while (e > 0 && (text.charCodeAt(e - 1) === 32 || text.charCodeAt(e - 1) === 9)) e--;
  if (isQuoteCode(text.charCodeAt(e - 1))) e--;
  if (!endsLikeImageKey(text, 0, e)) return false;
  // [A-Za-z0-9_.-]: the key, with a dotted prefix (`spec.image`) that the last `.` cuts off.
  let s = e;
  for (let c = text.charCodeAt(s - 1); s > 0 && TOKEN[c] === IN_TOKEN;) {
    if (c === DOT) break;
    c = text.charCodeAt(--s - 1);
  }
  while (s < e && text.charCodeAt(s) === DASH) s++;
  return isImageKeyAt(text, s, e);
}

/**
 * Is the text `[from, s)` before a token on its line an image-ish key or a FROM? (`image: `, `--image=`,
 * `"image": "`, `FROM --platform=linux/amd64 `). `cut`: the window starts inside the line, so no
 * `FROM` instruction can start there. It was two regexes on a cut string (#12):
 * `([\w-]+)["']?\s*[:=]\s*["']?$`, whose key then decides, else `(?:^|^\xEF\xBB\xBF|\s)FROM\s+(?:--\S+\s+)*$`
 * (case-insensitive), here read backwards from `s`.
 */
function imageContext(text: string, from: number, s: number, cut: boolean): boolean {
  let k = s;
  if (k > from && isQuoteCode(text.charCodeAt(k - 1))) k--;
  while (k > from && isRegexSpace(text.charCodeAt(k - 1))) k--;
  if (k > from && (text.charCodeAt(k - 1) === COLON || text.charCodeAt(k - 1) === EQUALS)) {
    let q = k - 1;
    while (q > from && isRegexSpace(text.charCodeAt(q - 1))) q--;
    if (q > from && isQuoteCode(text.charCodeAt(q - 1))) q--;
    let w = q;
    while (w > from && (isWordCode(text.charCodeAt(w - 1)) || text.charCodeAt(w - 1) === DASH)) w--;
    if (w < q) {
      while (w < q && text.charCodeAt(w) === DASH) w++;
      return isWordAt(text, w, q, "from") || isImageKeyAt(text, w, q);
    }
  }
  // `FROM` then blanks, with `--flag` words and blanks between.
  k = s;
  if (!(k > from && isRegexSpace(text.charCodeAt(k - 1)))) return false;
  for (;;) {
    while (k > from && isRegexSpace(text.charCodeAt(k - 1))) k--;
    let w = k;
    while (w > from && !isRegexSpace(text.charCodeAt(w - 1))) w--;
    if (w === k) return false;
    // At the window's start a word begins the line only if the window was not cut.
    const lineStart = w === from && !cut;
    if (isWordAt(text, w, k, "from") && (w > from || lineStart)) return true;
    if (
      lineStart &&
      k - w === 7 &&
      (text.charCodeAt(w) === 0xef || text.charCodeAt(w) === 0xcf) && // `\xEF` matched case-insensitively
      text.charCodeAt(w + 1) === 0xbb &&
      text.charCodeAt(w + 2) === 0xbf &&
      isWordAt(text, w + 3, k, "from")
    )
      return true;
    if (w > from && k - w >= 3 && text.charCodeAt(w) === DASH && text.charCodeAt(w + 1) === DASH) {
      k = w;
      continue;
    }
    return false;
  }
}

/**
 * Is the token at `s` the value of a command-line flag (`--upstream=`, `-f="`)? Was
 * `(?:^|[\s"'[,(])--?[A-Za-z][\w.-]*=["']?$` on the text `[from, s)` (#12).
 */
function flagValue(text: string, from: number, s: number, cut: boolean): boolean {
  let k = s;
  if (k > from && isQuoteCode(text.charCodeAt(k - 1))) k--;
  if (!(k > from && text.charCodeAt(k - 1) === EQUALS)) return false;
  k--;
  let r = k;
  for (let c = text.charCodeAt(r - 1); r > from && (isWordCode(c) || c === DOT || c === DASH);)
    c = text.charCodeAt(--r - 1);
  if (text.charCodeAt(r) !== DASH) return false;
  const letter = text.charCodeAt(r + 1) === DASH ? r + 2 : r + 1;
  if (!(letter < k && isLetterCode(text.charCodeAt(letter)))) return false;
  if (r === from) return !cut;
  const c = text.charCodeAt(r - 1);
  return isRegexSpace(c) || isQuoteCode(c) || c === 91 || c === 44 || c === 40;
}

/**
 * The value starting at `from` (after `key:`/`key =`): skips blanks and one quote, takes the token,
 * and emits it when it is a complete, valid reference. Returns the token end, or 0.
 */
function candidateValue(text: string, from: number, lines: LineIndex, found: FoundReference[]): number {
  let s = from;
  while (text.charCodeAt(s) === 32 || text.charCodeAt(s) === 9) s++;
  const quote = isQuoteCode(text.charCodeAt(s)) ? text.charCodeAt(s) : 0;
  if (quote) s++;
  let e = s;
  if (text.charCodeAt(e) === 91) {
    const close = text.indexOf("]", e);
    if (close > 0 && /^\[[0-9A-Fa-f:.%]+\]$/.test(text.slice(e, close + 1))) e = close + 1;
  }
  while (e < text.length && isToken(text.charCodeAt(e))) e++;
  if (e === s) return 0;
  // The whole value must be the reference: `image: {{ x }}`, `image: app:{{ .tag }}` are templates.
  const after = text.charCodeAt(e);
  const ends = quote
    ? after === quote
    : e >= text.length || isRegexSpace(after) || after === 44 || after === 93 || after === 125 || after === 35;
  if (!ends) return 0;
  const r = candidate(text, s, e, false, lines);
  if (!r) return 0;
  found.push(r);
  return e;
}

/** Can a reference end before this character? `[\s"'`,;)\]}>|\\&]`, or the end of the text. */
const endsToken = (c: number): boolean =>
  isRegexSpace(c) ||
  c === 34 ||
  c === 39 ||
  c === 96 ||
  c === 44 ||
  c === 59 ||
  c === 41 ||
  c === 93 ||
  c === 125 ||
  c === 62 ||
  c === 124 ||
  c === 92 ||
  c === 38;

/** Are the characters of `text[s, e)` (at least four, at most five) all digits: a port, not a tag? */
function isPortLike(text: string, s: number, e: number): boolean {
  if (e - s < 4 || e - s > 5) return false;
  for (let k = s; k < e; k++) if (!(text.charCodeAt(k) >= 48 && text.charCodeAt(k) <= 57)) return false;
  return true;
}

/**
 * The checks of {@link candidate} that need neither a copy of the token nor its line: the scanner makes
 * them before it asks whether the token is in a comment (#12).
 */
function mayBeReference(text: string, start: number, end: number): boolean {
  const before = text.charCodeAt(start - 1);
  // Glued to template or variable syntax: `${REGISTRY}/app:1`, `{{ .Values.x }}/app:1`, `%s/app`.
  if (before === 125 || before === 36 || before === 37 || before === 123) return false;
  // The token must end at a delimiter: `app:~1.0` (a constraint) or `app:{{ .tag }}` is no reference.
  if (end < text.length && !endsToken(text.charCodeAt(end))) return false;
  // A URL (`https://…`, `//host/…`).
  if (end - start >= 2 && text.charCodeAt(start) === 47 && text.charCodeAt(start + 1) === 47) return false;
  for (let k = start; k + 2 < end; k++)
    if (text.charCodeAt(k) === COLON && text.charCodeAt(k + 1) === 47 && text.charCodeAt(k + 2) === 47) return false;
  return true;
}

function candidate(
  text: string,
  start: number,
  end: number,
  requireSlashOrDigest: boolean,
  lines: LineIndex,
): FoundReference | undefined {
  const e = end;
  if (!mayBeReference(text, start, end)) return undefined;
  const slice = text.slice(start, e);
  const at = slice.indexOf("@");
  const nameAndTag = at >= 0 ? slice.slice(0, at) : slice;
  const slash = nameAndTag.lastIndexOf("/");
  const colon = nameAndTag.lastIndexOf(":");
  const hasTag = colon > slash && colon >= 0;
  if (requireSlashOrDigest && (slash < 0 || (!hasTag && at < 0))) return undefined;
  if (hasTag && !isWordCode(nameAndTag.charCodeAt(colon + 1))) return undefined;
  // In free text, `backend/api:8080` is a service and its port: a 4- or 5-digit tag on a name with no
  // registry host (#13). Under an image key it is still read as a tag.
  if (requireSlashOrDigest && hasTag && at < 0 && isPortLike(nameAndTag, colon + 1, nameAndTag.length)) {
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
 * A class, not a closure: a closure made per file cost more than its questions in small files (#12).
 */
class CommentTracker {
  private ls = -1; // line of the walk
  private k = 0; // walked up to here
  private quote = 0; // char code of the open quote, 0: none
  private comment = false;
  // The first `#` at or after `hashFrom` (-1: none). Kept between questions: a search per line from
  // its start ran to the next `#` of the file, often its end — quadratic in a file without `#` (#12).
  private hashFrom = -1;
  private nextHash = -1;
  constructor(
    private readonly text: string,
    private readonly lines: LineStarts,
  ) {}

  private hashAtOrAfter(p: number): number {
    if (this.hashFrom < 0 || p < this.hashFrom || (this.nextHash >= 0 && this.nextHash < p)) {
      this.hashFrom = p;
      this.nextHash = this.text.indexOf("#", p);
    }
    return this.nextHash;
  }

  at(offset: number): boolean {
    const text = this.text;
    const start = this.lines.of(offset);
    if (start !== this.ls || offset < this.k) {
      this.ls = start;
      this.k = start;
      this.quote = 0;
      this.comment = false;
      const hash = this.hashAtOrAfter(start);
      // No `#` before the offset: nothing to walk yet (the common case, one search per line).
      if (hash < 0 || hash >= offset) return false;
    }
    const ls = this.ls;
    let k = this.k;
    let quote = this.quote;
    let comment = this.comment;
    for (; k < offset && !comment; k++) {
      const c = text.charCodeAt(k);
      if (quote) {
        if (c === quote) quote = 0;
      } else if (c === 34 || c === 39) {
        // An apostrophe inside a word (`don't`) opens nothing.
        if (!(c === 39 && k > ls && isWordCode(text.charCodeAt(k - 1)))) quote = c;
      } else if (c === 35 && (k === ls || isRegexSpace(text.charCodeAt(k - 1)))) comment = true;
    }
    this.k = k;
    this.quote = quote;
    this.comment = comment;
    return comment;
  }
}
