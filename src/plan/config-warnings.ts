import type { LaminarConfig } from "../config/types.js";
import type { ScanWarning } from "../scan/repository.js";
import { matchesSelector } from "../scan/select.js";

const PREFIXES = ["glob", "regex", "semver"];

/**
 * Config mistakes that are valid YAML and a valid schema but make a rule do nothing, found once the
 * repository's file list is known (issue #13: they used to pass silently):
 * - a `files` entry that selects no file (a typo, a moved directory);
 * - a pattern whose prefix is not `glob:`, `regex:` or `semver:` (`Glob:develop-*`): it is read as a
 *   glob, and a glob holding `:` matches no tag, since tags never contain one.
 * Pure: `paths` are the files the scan selected (repo-relative).
 */
export function configWarnings(config: LaminarConfig, paths: readonly string[]): ScanWarning[] {
  const out: ScanWarning[] = [];
  for (const rule of config.updates) {
    const prefix = /^([A-Za-z][\w-]*):/.exec(rule.policy.source)?.[1];
    if (rule.policy.kind === "glob" && prefix !== undefined && !PREFIXES.includes(prefix)) {
      const at = rule.patternPosition ?? rule.position;
      const known = PREFIXES.find((p) => p === prefix.toLowerCase());
      out.push({
        file: at.file,
        line: at.line,
        column: at.column,
        message: `${rule.name}.pattern: unknown prefix "${prefix}:"${known ? ` (did you mean "${known}:"?)` : ` (known: ${PREFIXES.map((p) => `${p}:`).join(", ")})`}; read as a glob, it matches no tag (tags never contain ":")`,
      });
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
