import { isAlias, isMap, isScalar, type YAMLMap } from "yaml";
import { buildSite, hasHost, isEmpty, scalarPart, valueOf, type Part, type ScanContext } from "./site-builder.js";

/** Keys that say "this map is an image": `image`, `initImage`, `imageOverride`, `sidecarImage`. */
const IMAGE_ISH = /image/i;

/**
 * Helm values maps (#10), under any key at any depth — values files, a HelmRelease's `spec.values`,
 * an Argo CD `helm.valuesObject` or `helm.values` block:
 * - `{registry?, repository, tag?, digest?|sha?}`; `repository` may carry the host;
 * - `name:` / `repo:` / `image:` instead of `repository:`, only in image-ish maps (parent key image-ish,
 *   or a sibling `tag` beside `pullPolicy`, `registry` or `digest`): `name:` + `tag:` alone is too
 *   common elsewhere (Helm chart dependencies, release names) to be an image;
 * - `image: acme/app` beside `imageTag: 1.2` (and `fooImage` beside `fooImageTag`).
 * `global.imageRegistry` (Bitnami) is the registry of every image that names none.
 */
export function helmValuesMap(ctx: ScanContext, map: YAMLMap, parentKey: string, globalRegistry?: Part): void {
  const get = (k: string): unknown => valueOf(map, k);
  const tagNode = get("tag");
  // An alias to an anchor outside the parsed window: its value is unknown here, so no site at all.
  if (isAlias(tagNode) && !scalarPart(ctx, tagNode)) return;
  let nameNode = get("repository");
  if (nameNode !== undefined) {
    // `repository:` also names Helm chart repositories (`https://charts…`): ask for one more sign.
    if (tagNode === undefined && get("registry") === undefined && !IMAGE_ISH.test(parentKey)) nameNode = undefined;
  } else {
    const signs =
      tagNode !== undefined &&
      (get("pullPolicy") !== undefined || get("registry") !== undefined || get("digest") !== undefined);
    if (IMAGE_ISH.test(parentKey) || signs) nameNode = get("repo") ?? get("name");
    // `{image: acme/app, tag: 1.2}`
    if (nameNode === undefined && tagNode !== undefined && isScalar(get("image"))) nameNode = get("image");
  }
  if (nameNode !== undefined) {
    const repo = scalarPart(ctx, nameNode);
    if (!repo || isEmpty(repo)) return;
    const regNode = get("registry");
    let registry = regNode !== undefined ? scalarPart(ctx, regNode) : undefined;
    if (registry && isEmpty(registry)) registry = undefined;
    if (!registry && !hasHost(repo.text) && globalRegistry && !isEmpty(globalRegistry)) registry = globalRegistry;
    const name = registry ? `${registry.text}/${repo.text}` : repo.text;
    const digestNode = get("digest") ?? get("sha");
    const tag = tagNode !== undefined ? scalarPart(ctx, tagNode) : undefined;
    // A tag we cannot rewrite byte-exact (block scalar, escapes) is no site at all.
    if (tagNode !== undefined && !tag && isScalar(tagNode) && tagNode.value !== null) return;
    const digest = digestNode !== undefined ? scalarPart(ctx, digestNode) : undefined;
    const found = buildSite(ctx, {
      form: "helm-values",
      name,
      namePart: repo,
      ...(tag ? { tag } : {}),
      ...(digest && /^sha256:/.test(digest.text) ? { digest } : {}),
      ...(registry && registry !== globalRegistry ? { covers: [registry.span] } : {}),
    });
    if (found) ctx.found.push(found);
    return;
  }
  // `image: acme/app` beside `imageTag: 1.2`.
  for (const pair of map.items) {
    if (!isScalar(pair.key) || typeof pair.key.value !== "string") continue;
    const key = pair.key.value;
    if (!/image$/i.test(key)) continue;
    const tagPart = scalarPart(ctx, get(`${key}Tag`) ?? get(`${key}_tag`));
    const image = scalarPart(ctx, pair.value);
    if (!tagPart || !image || isEmpty(image)) continue;
    const found = buildSite(ctx, { form: "helm-values", name: image.text, namePart: image, tag: tagPart });
    if (found) ctx.found.push(found);
  }
}

/** `global.imageRegistry` of a values document (Bitnami charts), when set. */
export function globalImageRegistry(ctx: ScanContext, root: unknown): Part | undefined {
  if (!isMap(root)) return undefined;
  const global = valueOf(root, "global");
  if (!isMap(global)) return undefined;
  const reg = scalarPart(ctx, valueOf(global, "imageRegistry"));
  return reg && !isEmpty(reg) ? reg : undefined;
}
