/**
 * `laminar set IMAGE:TAG` (issue #14), pure: deploy (or roll back to) a given tag on purpose. Every
 * site of the image in the scanned files gets the tag, older or newer, through the same byte edits
 * as the plan; the commit is marked `Laminar-Set`, not `Laminar-Update`, so the rollback hold treats
 * it as a person's choice until a build newer than the one it replaced appears.
 */
import type { ImageReference } from "../reference/types.js";
import type { ScannedFile } from "../scan/repository.js";
import { repoKey } from "./classify.js";
import { editsFor } from "./output.js";
import type { Plan, PlanChange } from "./types.js";

/** The `rule` of the changes `laminar set` makes (the retry loop marks their commit `Laminar-Set`). */
export const SET_RULE = "laminar set";

/**
 * The plan that writes `tag` at every site of `image` (same registry and repository) in `files`.
 * Sites pinned by digest are left out with a warning: `set` writes no digest it has not checked.
 */
export function planSetTag(files: readonly ScannedFile[], image: ImageReference, tag: string): Plan {
  const key = repoKey(image);
  const changes: PlanChange[] = [];
  const warnings: Array<{ file: string; message: string }> = [];
  for (const file of files) {
    for (const site of file.references) {
      if (repoKey(site.reference) !== key || site.skip || !site.tagSpan || site.reference.tag === tag) continue;
      if (site.reference.digest) {
        warnings.push({ file: file.path, message: `line ${site.line}: ${site.name} is pinned by digest; not set` });
        continue;
      }
      const { edits, quoted } = editsFor(site, tag, undefined);
      changes.push({
        file: file.path,
        line: site.line,
        column: site.column,
        form: site.form,
        image: site.name,
        repository: key,
        from: site.reference.tag ?? "",
        to: tag,
        rule: SET_RULE,
        pattern: `${key}:${tag}`,
        ...(quoted ? { quoted } : {}),
        edits,
      });
    }
  }
  return { changes, unchanged: [], failures: [], warnings };
}
