import { isMap, type YAMLSeq } from "yaml";
import { buildSite, scalarPart, valueOf, type Part, type ScanContext } from "./site-builder.js";

/**
 * Argo CD `helm.parameters` (https://argo-cd.readthedocs.io/en/stable/user-guide/helm/#parameters):
 * `{name: image.repository, value: …}` and `{name: image.tag, value: …}` are one image when their names
 * share the prefix before the last `.`; `PREFIX.registry` joins in front when present.
 */
export function argocdParameters(ctx: ScanContext, seq: YAMLSeq): void {
  const byPrefix = new Map<string, Map<string, Part>>();
  const order: string[] = [];
  for (const item of seq.items) {
    if (!isMap(item)) continue;
    const name = scalarPart(ctx, valueOf(item, "name"));
    const value = scalarPart(ctx, valueOf(item, "value"));
    if (!name || !value) continue;
    const dot = name.text.lastIndexOf(".");
    const prefix = dot >= 0 ? name.text.slice(0, dot) : "";
    const field = name.text.slice(dot + 1);
    let fields = byPrefix.get(prefix);
    if (!fields) {
      fields = new Map();
      byPrefix.set(prefix, fields);
      order.push(prefix);
    }
    fields.set(field, value);
  }
  for (const prefix of order) {
    const f = byPrefix.get(prefix) as Map<string, Part>;
    const repo = f.get("repository") ?? f.get("repo");
    if (!repo || !f.has("tag")) continue;
    const registry = f.get("registry");
    const tag = f.get("tag") as Part;
    const found = buildSite(ctx, {
      form: "argocd-parameters",
      name: registry?.text ? `${registry.text}/${repo.text}` : repo.text,
      namePart: repo,
      tag,
      ...(registry ? { covers: [registry.span] } : {}),
    });
    if (found) ctx.found.push(found);
  }
}

/**
 * Argo CD `kustomize.images` (https://argo-cd.readthedocs.io/en/stable/user-guide/kustomize/):
 * strings `repo:tag`, `repo@digest` or `old=new:tag`; the image is the part after `=`. The tag sits
 * inside a string, so it keeps style `reference` (a new tag never needs quotes there).
 */
export function argocdKustomizeImages(ctx: ScanContext, seq: YAMLSeq): void {
  for (const item of seq.items) {
    const p = scalarPart(ctx, item);
    if (!p) continue;
    const eq = p.text.indexOf("=");
    const ref = p.text.slice(eq + 1);
    const base = p.span[0] + eq + 1;
    const at = ref.indexOf("@");
    const nameAndTag = at >= 0 ? ref.slice(0, at) : ref;
    const colon = nameAndTag.lastIndexOf(":");
    const hasTag = colon > nameAndTag.lastIndexOf("/");
    const nameEnd = hasTag ? colon : nameAndTag.length;
    const part = (s: number, e: number): Part => ({
      span: [base + s, base + e],
      text: ref.slice(s, e),
      style: "reference",
    });
    const found = buildSite(ctx, {
      form: "argocd-kustomize",
      name: ref.slice(0, nameEnd),
      namePart: part(0, nameEnd),
      ...(hasTag ? { tag: part(colon + 1, nameAndTag.length) } : {}),
      ...(at >= 0 ? { digest: part(at + 1, ref.length) } : {}),
      covers: [p.span],
    });
    if (found) ctx.found.push(found);
  }
}
