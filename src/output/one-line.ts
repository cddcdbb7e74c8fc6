/**
 * The one-line sink: commit message subjects and body lines, trailers, pull-request titles. Text from
 * outside (file names, registry answers) must not add a line there: a newline in a file name would
 * start a `Co-authored-by:` trailer in the commit or a second line in a title (issue #13). Control
 * characters are shown escaped (`\n`, `\x1b`) instead of dropped, so the reader still sees that the
 * name was odd and can find the file.
 */

/**
 * C0 controls, DEL, C1 controls, the Unicode line/paragraph separators and the bidirectional
 * overrides and isolates ("Trojan Source", CVE-2021-42574), which reorder what a reader sees.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

/**
 * `\n`, `\e`, `\x07`, `\u009b`, `\u202e`: how one control character is shown. C0 controls take the
 * short forms; DEL and above take the `\u` form, which is also a valid JSON escape: `JSON.stringify`
 * leaves those characters raw, so the terminal sink can escape `--json` output without breaking it.
 */
function shown(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  return code < 0x20 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Shows every control character of `text` escaped, except those in `keep` (the terminal keeps
 * newlines and tabs of multi-line output).
 *
 * @param text - any text, typically from outside Laminar
 * @param keep - characters left as they are, e.g. `"\n\t"`
 */
export function escapeControls(text: string, keep = ""): string {
  return text.replace(CONTROL, (c) => (keep.includes(c) ? c : shown(c)));
}

/**
 * `text` on one line: every control character (newline, carriage return, tab, ESC, …) shown escaped.
 *
 * @example
 * ```ts
 * oneLine("x\nCo-authored-by: m <m@example.com>"); // "x\\nCo-authored-by: m <m@example.com>"
 * ```
 */
export function oneLine(text: string): string {
  return escapeControls(text);
}
