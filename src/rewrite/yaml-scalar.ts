import type { ValueStyle } from "../scan/site.js";

/** What to write for a new tag, and whether quotes were added that the old value did not have. */
export interface TagText {
  readonly text: string;
  /** True when a plain YAML scalar is written double-quoted so it stays a string. */
  readonly quoted: boolean;
}

// YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
const CORE_INT = /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/;
const CORE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
// YAML 1.1 types (https://yaml.org/type/int.html, /float.html) as the common parsers read them
// (PyYAML, go-yaml v2, `yaml` version 1.1): underscores are allowed between digits, `0b…` is binary,
// a leading `0` is octal, and the exponent form `1e3` is a float too. The spec's float regex reads
// `[0-9.]*`, which would make every `1.2.3` a float; no parser does that, and quoting every semver
// tag would churn files for nothing, so the practical form `[0-9_]*` is used.
const V11_INT = /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$/i;
const V11_FLOAT = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/;
// `.inf`, `.nan` and friends cannot start a valid tag (`[\w][\w.-]*`) but cost nothing to catch.
const SPECIAL_FLOAT = /^[-+]?\.(?:inf|nan)$/i;
// YAML 1.1 booleans and null (https://yaml.org/type/bool.html, /null.html), plus 1.2 core's
// true/false/null. Matched case-insensitively: quoting an odd `yEs` is harmless, leaving it plain is not.
const WORDS = /^(?:y|yes|n|no|true|false|on|off|null|~)$/i;

/**
 * True when `value`, written as a plain YAML scalar, would be read as something other than a string
 * (number, bool, null) by a YAML 1.1 or 1.2 core-schema parser: `1.10`, `012`, `0x1F`, `1e3`,
 * `1_000`, `yes`, `off`, `null`. Sexagesimal `1:20` cannot occur (a tag has no colon).
 */
export function readsAsNonString(value: string): boolean {
  if (value === "" || WORDS.test(value) || SPECIAL_FLOAT.test(value)) return true;
  if (CORE_INT.test(value) || CORE_FLOAT.test(value) || V11_INT.test(value)) return true;
  // The 1.1 float pattern is all-optional: require a digit so `.` alone stays a string. With an
  // empty mantissa it matches `e3`, which the `yaml` package indeed reads as a number in 1.1 mode.
  return /[0-9]/.test(value) && V11_FLOAT.test(value);
}

/**
 * The text that replaces a tag value written in `style`, so the value stays a string (issue #10).
 * A tag inside a reference or a quoted scalar is written as is: valid tags (`[\w][\w.-]*`) need no
 * escaping in either quote style, and a quoted value stays quoted. A plain scalar whose new tag would
 * read as a number, bool or null (`tag: 1.9` → `1.10`) is written double-quoted: `"1.10"`.
 *
 * @param style - how the current value is written (`reference` when the site has no style).
 * @param tag - the new tag, already checked against the tag grammar.
 */
export function tagText(style: ValueStyle | undefined, tag: string): TagText {
  if (style === "plain" && readsAsNonString(tag)) return { text: JSON.stringify(tag), quoted: true };
  return { text: tag, quoted: false };
}
