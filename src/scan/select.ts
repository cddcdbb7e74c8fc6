import { minimatch } from "minimatch";

/**
 * Does a repo-relative POSIX path fall under a `files` selector? A selector is a file, a directory
 * (everything below it) or a glob; we cannot tell a file from a directory without the disk, and need
 * not: `dev` selects `dev` itself and everything under `dev/`.
 */
export function matchesSelector(path: string, selector: string): boolean {
  if (selector === "**" || path === selector || path.startsWith(`${selector}/`)) return true;
  return minimatch(path, selector, { dot: true }) || minimatch(path, `${selector}/**`, { dot: true });
}

export function matchesAny(path: string, selectors: readonly string[]): boolean {
  return selectors.some((s) => matchesSelector(path, s));
}
