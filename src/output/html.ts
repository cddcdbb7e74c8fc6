/**
 * HTML escaping: the one place text from files, tags, registries and remotes becomes HTML.
 * `markup` is a tagged template that escapes every interpolated value unless it is already `SafeHtml`
 * built by `markup` itself, so a page cannot forget to escape one value. (Not named `html`: Prettier
 * would reformat such templates as HTML, changing the text and the CSS inside them.)
 */

/** The characters that can end a text node or an attribute value, and their references. */
const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes `& < > " '` so the text shows as text in element content and in quoted attribute values.
 * @example escapeHtml('<img src=x onerror="alert(1)">') // '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** HTML markup that is already safe: only `markup` makes one. */
export class SafeHtml {
  /** @internal Use `markup`. */
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

/** A value `markup` accepts: text (escaped), numbers, safe markup, lists of these; null/undefined/false print nothing. */
export type HtmlValue = string | number | SafeHtml | null | undefined | false | readonly HtmlValue[];

/**
 * Builds markup: the literal parts are the caller's markup, every `${value}` is escaped.
 * @example markup`<td>${file}</td>` // a file named `<b>.yaml` shows as text
 */
export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((v, i) => (out += render(v) + (strings[i + 1] ?? "")));
  return new SafeHtml(out);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof SafeHtml) return v.html;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join("");
  return escapeHtml(String(v));
}
