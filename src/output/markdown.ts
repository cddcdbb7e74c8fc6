/**
 * The Markdown sink: the job summary and pull-request bodies, which GitHub renders as Markdown with
 * HTML. Text from outside (registry messages, file names, tags) is shown as the text it is: it
 * cannot close a `<details>`, add an image or a link, break a table, or notify anyone with an
 * `@mention` or a `#123` reference (issue #13). Laminar's own Markdown is written around these
 * pieces; only the pieces pass through here.
 */
import { oneLine } from "./one-line.js";

const ZWSP = "\u200b";

const HTML: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * GitHub's own links in text: `@user` / `@org/team` mentions, `#123` references, bare URLs and
 * `www.` autolinks. A zero-width space breaks each without changing what a reader sees.
 */
function unlink(text: string): string {
  return text
    .replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`)
    .replace(/#(?=[0-9])/g, `#${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\b(www)\./gi, `$1${ZWSP}.`);
}

/**
 * Outside text as inline Markdown: one line (control characters shown escaped, so it cannot start a
 * block or end a table row), HTML escaped, Markdown punctuation backslash-escaped, mentions,
 * references and autolinks neutralised.
 *
 * @example
 * ```ts
 * markdownText("</details><img src=x> @admin [a](http://evil)");
 * ```
 */
export function markdownText(text: string): string {
  const escaped = oneLine(text)
    .replace(/[\\`*_[\]|~!]/g, "\\$&")
    .replace(/[&<>"]/g, (c) => HTML[c] ?? c);
  return unlink(escaped);
}

/**
 * Outside text as a code span that may stand in a table cell: one line, backticks replaced (a span
 * cannot hold its own delimiter reliably), pipes escaped (GitHub splits table cells on `|` even
 * inside code). Inside a code span GitHub renders no HTML, mention or link.
 */
export function markdownCode(text: string): string {
  return `\`${oneLine(text).replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}
