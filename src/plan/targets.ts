import { parseImageReference } from "../reference/parse.js";
import { InvalidReferenceError } from "../reference/types.js";
import type { RepositoryRef } from "../registry/types.js";
import { repoKey } from "./classify.js";

/**
 * One image a targeted run is about (Action input `images`, CLI `--image`): only references of its
 * repository are planned. With a tag (the image just pushed), the registry is asked about that tag
 * alone instead of listing and describing the repository.
 */
export interface ImageTarget extends RepositoryRef {
  readonly tag?: string;
}

/** An `images` / `--image` value that is not `repository[:tag]`; the message names where it came from. */
export class TargetError extends Error {
  override readonly name = "TargetError";
}

/**
 * Parses `repository[:tag]` entries separated by newlines or commas (a `repository_dispatch`
 * payload may carry either), normalised as docker does (`nginx` → `docker.io/library/nginx`).
 * Empty entries are skipped. Pure.
 *
 * @param values - the raw values (one per `--image`, or the Action input as a single string).
 * @param origin - where they came from, for messages (`input images`, `--image`).
 * @throws {TargetError} naming the origin and the entry for a value that is not a reference, or
 *   that pins a digest (a digest says which build, not which tag moved).
 */
export function parseImageTargets(values: readonly string[], origin: string): ImageTarget[] {
  const out: ImageTarget[] = [];
  for (const entry of values.flatMap((v) => v.split(/[\n,]/)).map((e) => e.trim())) {
    if (entry === "") continue;
    let ref;
    try {
      ref = parseImageReference(entry);
    } catch (e) {
      if (!(e instanceof InvalidReferenceError)) throw e;
      throw new TargetError(`${origin}: ${JSON.stringify(entry)} is not an image reference: ${e.message}`);
    }
    if (ref.digest)
      throw new TargetError(
        `${origin}: ${JSON.stringify(entry)} pins a digest; give repository[:tag] (the tag that was pushed)`,
      );
    out.push({
      registry: ref.registry,
      repository: ref.repository,
      ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
    });
  }
  return out;
}

/**
 * The targets grouped by repository (`registry/repository`): the tags named for it, or an empty
 * list when one entry named the repository without a tag (then the whole channel is planned).
 */
export function targetsByRepository(targets: readonly ImageTarget[]): Map<string, readonly string[]> {
  const byRepo = new Map<string, string[] | "all">();
  for (const t of targets) {
    const key = repoKey(t);
    const prev = byRepo.get(key);
    if (t.tag === undefined || prev === "all") byRepo.set(key, "all");
    else byRepo.set(key, [...new Set([...(prev ?? []), t.tag])]);
  }
  return new Map([...byRepo].map(([k, v]) => [k, v === "all" ? [] : v]));
}
