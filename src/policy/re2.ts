import { RE2JS, RE2JSSyntaxException } from "re2js";

/**
 * A tag regex compiled by an RE2 engine. Flux's image policies use Go's `regexp` (RE2 syntax), and
 * RE2 matches in time linear in the tag, so no pattern can hang a run: there is no catastrophic
 * backtracking to guard against (issue #13 — the old static check refused ordinary patterns and the
 * timing probe made config loading slow and nondeterministic).
 */
export interface Re2Pattern {
  /** True when the pattern matches somewhere in `text` (unanchored, like Go's `MatchString`). */
  test(text: string): boolean;
  /** The first match's groups by number (0 = whole match) and by name, or undefined when none. */
  exec(text: string): Re2Match | undefined;
  /** The named groups, in the order they open in the pattern. */
  readonly groupNames: readonly string[];
}

/** One match: `group(1)`, `group("name")`; undefined for a group that did not take part. */
export interface Re2Match {
  group(ref: number | string): string | undefined;
}

/**
 * Compiles `pattern` with RE2 semantics (`(?P<name>…)` and `(?<name>…)` both name a group).
 * Returns a problem sentence instead of throwing, so each caller words its own error with its key.
 * @param shown - the pattern as the user wrote it, for the message (the caller may have wrapped it).
 */
export function compileRe2(pattern: string, shown = pattern): Re2Pattern | { problem: string } {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    if (!(e instanceof RE2JSSyntaxException)) throw e;
    return { problem: re2Problem(shown, e.message) };
  }
  const named = re.namedGroups() as Record<string, number>;
  const groupNames = Object.keys(named).sort((a, b) => (named[a] as number) - (named[b] as number));
  return {
    groupNames,
    test: (text) => re.matcher(text).find(),
    exec: (text) => {
      const m = re.matcher(text);
      if (!m.find()) return undefined;
      return {
        group: (ref) => {
          if (typeof ref === "string" && !(ref in named)) return undefined;
          return m.group(ref) ?? undefined;
        },
      };
    },
  };
}

function re2Problem(pattern: string, message: string): string {
  const detail = message.replace(/^error parsing regexp: /, "");
  // JavaScript and PCRE habits RE2 leaves out on purpose (they need backtracking): say so plainly.
  const unsupported = /\\[1-9]|\\k<|\(\?<?[=!]/.test(pattern)
    ? "backreferences and lookaround ((?=…), (?!…), (?<=…), (?<!…)) are not supported; "
    : "";
  return `invalid regex ${JSON.stringify(pattern)}: ${unsupported}${detail} (tag regexes use RE2 syntax, as in Flux)`;
}
