import { isMap, type YAMLSeq } from "yaml";
import type { SiteSkip } from "../site.js";
import { buildSite, isEmpty, scalarPart, valueOf, type ScanContext } from "./site-builder.js";

const RENAME_ONLY: SiteSkip = {
  reason: "no-tag",
  detail: "no newTag: the tag comes from the manifests this overlay changes; add newTag to let Laminar move it",
};

/**
 * Kustomize `images:` (kustomization.yaml, Flux `Kustomization` `spec.images`), see
 * https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/images/ : the image is
 * `newName` (else `name`), the tag `newTag`, and a `digest` entry is refreshed with the tag.
 * Only lists whose entries look like that (a `name` and one of `newName`/`newTag`/`digest`) count.
 */
export function kustomizeImages(ctx: ScanContext, seq: YAMLSeq): void {
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    const name = scalarPart(ctx, valueOf(item, "name"));
    const newName = scalarPart(ctx, valueOf(item, "newName"));
    const newTag = valueOf(item, "newTag");
    const digest = valueOf(item, "digest");
    if (!name || (newName === undefined && newTag === undefined && digest === undefined)) continue;
    const image = newName && !isEmpty(newName) ? newName : name;
    const tag = scalarPart(ctx, newTag);
    const d = scalarPart(ctx, digest);
    const found = buildSite(ctx, {
      form: "kustomize",
      name: image.text,
      namePart: image,
      ...(tag ? { tag } : {}),
      ...(d ? { digest: d } : {}),
      covers: [name.span],
      ...((!tag || isEmpty(tag)) && (!d || isEmpty(d)) ? { skip: RENAME_ONLY } : {}),
    });
    if (found) ctx.found.push(found);
  }
}
