import type { LaminarConfig, SourcePosition } from "../config/types.js";
import type { TagPolicy } from "../policy/policy.js";
import type { ScanWarning } from "../scan/repository.js";
import { matchesSelector } from "../scan/select.js";

const PREFIXES = ["glob", "regex", "semver"];

/**
 * Config mistakes that are valid YAML and a valid schema but make a rule do nothing, found once the
 * repository's file list is known (issue #13: they used to pass silently):
 * - a `files` entry that selects no file (a typo, a moved directory);
 * - a pattern (or an `exclude` / `blacklist` entry) whose prefix is not `glob:`, `regex:` or `semver:`
 *   (`Glob:develop-*`): it is read as a glob, and a glob holding `:` matches no tag, since tags never
 *   contain one (so the exclusion excludes nothing).
 * Pure: `paths` are the files the scan selected (repo-relative).
 */
export function configWarnings(config: LaminarConfig, paths: readonly string[]): ScanWarning[] {
  const out: ScanWarning[] = [];
  for (const rule of config.updates) {
    const pattern = unknownPrefix(rule.policy, rule.patternPosition ?? rule.position, `${rule.name}.pattern`);
    if (pattern) out.push(pattern);
    for (const e of rule.exclude) {
      const key = e.at ? `${rule.name}.${e.at.key}[${e.at.index}]` : `${rule.name}.exclude`;
      const w = unknownPrefix(e.policy, e.at?.position ?? rule.position, key, "it excludes no tag");
      if (w) out.push(w);
    }
    rule.files.forEach((selector, j) => {
      if (paths.some((p) => matchesSelector(p, selector))) return;
      const at = rule.filePositions?.[j] ?? rule.position;
      out.push({
        file: at.file,
        line: at.line,
        column: at.column,
        message: `${rule.name}.files[${j}]: ${JSON.stringify(selector)} matches no file in the repository (or only excluded ones); the rule updates nothing there`,
      });
    });
  }
  return out;
}

/** The warning for a tag pattern whose prefix is none of `glob:`, `regex:`, `semver:`, if it has one. */
function unknownPrefix(
  policy: TagPolicy,
  at: SourcePosition,
  key: string,
  effect = "it matches no tag",
): ScanWarning | undefined {
  const prefix = /^([A-Za-z][\w-]*):/.exec(policy.source)?.[1];
  if (policy.kind !== "glob" || prefix === undefined || PREFIXES.includes(prefix)) return undefined;
  const known = PREFIXES.find((p) => p === prefix.toLowerCase());
  return {
    file: at.file,
    line: at.line,
    column: at.column,
    message: `${key}: unknown prefix "${prefix}:"${known ? ` (did you mean "${known}:"?)` : ` (known: ${PREFIXES.map((p) => `${p}:`).join(", ")})`}; read as a glob, ${effect} (tags never contain ":")`,
  };
}
