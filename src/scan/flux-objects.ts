import { LineCounter, parseAllDocuments } from "yaml";
import { fluxExclusions, fluxTagPolicy, type FluxPolicySpec } from "../policy/flux-policy.js";
import { PolicyError } from "../policy/policy.js";
import { tryParseImageReference } from "../reference/parse.js";
import type { ImageReference } from "../reference/types.js";
import type { SitePolicy } from "./site.js";

/**
 * Flux `ImagePolicy` and `ImageRepository` objects found in a repository's files, and the policies
 * they make. Pure: text in, objects out. The API group is `image.toolkit.fluxcd.io` (v1beta2, v1):
 * https://fluxcd.io/flux/components/image/imagepolicies/ and …/imagerepositories/.
 */

/** One `ImagePolicy` or `ImageRepository` object as written in a file. */
export interface FluxObject {
  readonly kind: "ImagePolicy" | "ImageRepository";
  /** `metadata.namespace`, or undefined when the file leaves it to the applier (kustomize, `-n`). */
  readonly namespace: string | undefined;
  readonly name: string;
  readonly spec: Record<string, unknown>;
  /** Repo-relative path and 1-based line of the object's document. */
  readonly file: string;
  readonly line: number;
}

/** A YAML document that declares a Flux image object but does not parse: named in "not found" details. */
export interface FluxUnreadable {
  readonly kind: "unreadable";
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The cheap check before any YAML is parsed: does the text declare one of the objects? */
const DECLARES = /^kind:[ \t]*["']?Image(?:Policy|Repository)\b/m;

/**
 * The Flux image objects in one file (YAML, any number of documents). A document that does not parse
 * or is not of the `image.toolkit.fluxcd.io` group is passed over.
 *
 * @param file - the repo-relative path, recorded on each object.
 * @param text - the file's text.
 */
export function findFluxObjects(file: string, text: string): Array<FluxObject | FluxUnreadable> {
  if (!DECLARES.test(text)) return [];
  const lines = new LineCounter();
  const found: Array<FluxObject | FluxUnreadable> = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    if (!("errors" in doc)) continue;
    const error = doc.errors[0];
    if (error) {
      // Said where the setter's policy is looked for: "not found" alone would send the reader astray.
      const line = lines.linePos(error.pos[0]).line;
      const declared = /^kind:[ \t]*["']?(Image(?:Policy|Repository))\b/m.exec(text.slice(doc.range[0], doc.range[2]));
      if (declared) found.push({ kind: "unreadable", file, line, message: error.message.split("\n")[0] ?? "" });
      continue;
    }
    let o: unknown;
    try {
      o = doc.toJS({ maxAliasCount: 100 });
    } catch {
      continue;
    }
    if (!isRecord(o)) continue;
    const { apiVersion, kind, metadata, spec } = o;
    if (typeof apiVersion !== "string" || !apiVersion.startsWith("image.toolkit.fluxcd.io/")) continue;
    if (kind !== "ImagePolicy" && kind !== "ImageRepository") continue;
    if (!isRecord(metadata) || typeof metadata.name !== "string" || !isRecord(spec)) continue;
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
    const line = lines.linePos(doc.contents?.range[0] ?? 0).line;
    found.push({ kind, namespace, name: metadata.name, spec, file, line });
  }
  return found;
}

/** A resolved ImagePolicy: the image its ImageRepository scans and the policy that picks its tag. */
export interface FluxPolicy extends SitePolicy {
  readonly image: ImageReference;
}

/** What a setter's `namespace:name` resolves to: a policy, or why there is none, for people. */
export type FluxCatalogEntry = { readonly policy: FluxPolicy } | { readonly problem: string };

/** The ImagePolicies of a repository, by `namespace/name`. */
export interface FluxCatalog {
  /** The entry for a setter's `namespace` and `name`. */
  lookup(namespace: string, name: string): FluxCatalogEntry;
}

/**
 * Links each ImagePolicy to its ImageRepository (`spec.imageRepositoryRef`, namespace defaulting to
 * the policy's own, as in Flux) and builds its tag policy. An object written without a namespace
 * (left to kustomize or `kubectl -n`) matches a setter of any namespace when its name is unique.
 */
export function fluxCatalog(found: readonly (FluxObject | FluxUnreadable)[]): FluxCatalog {
  const objects = found.filter((o): o is FluxObject => o.kind !== "unreadable");
  const unreadable = found.filter((o): o is FluxUnreadable => o.kind === "unreadable");
  const notFound = (what: string): string =>
    `${what} not found in the repository` +
    (unreadable.length
      ? ` (not valid YAML: ${unreadable.map((u) => `${u.file}:${u.line} ${u.message}`).join("; ")})`
      : "");
  const find = (kind: FluxObject["kind"], namespace: string, name: string): FluxObject | undefined => {
    const named = objects.filter((o) => o.kind === kind && o.name === name);
    return (
      named.find((o) => o.namespace === namespace) ??
      (named.filter((o) => o.namespace === undefined).length === 1
        ? named.find((o) => o.namespace === undefined)
        : undefined)
    );
  };
  const memo = new Map<string, FluxCatalogEntry>();
  const resolve = (namespace: string, name: string): FluxCatalogEntry => {
    const ip = find("ImagePolicy", namespace, name);
    if (!ip) return { problem: notFound(`ImagePolicy ${namespace}/${name}`) };
    const ref = isRecord(ip.spec.imageRepositoryRef) ? ip.spec.imageRepositoryRef : {};
    const repoName = typeof ref.name === "string" ? ref.name : undefined;
    if (!repoName) return { problem: `ImagePolicy ${namespace}/${name} has no spec.imageRepositoryRef.name` };
    const repoNamespace = typeof ref.namespace === "string" ? ref.namespace : (ip.namespace ?? namespace);
    const ir = find("ImageRepository", repoNamespace, repoName);
    if (!ir)
      return {
        problem: notFound(`ImageRepository ${repoNamespace}/${repoName} (of ImagePolicy ${namespace}/${name})`),
      };
    const image = typeof ir.spec.image === "string" ? tryParseImageReference(ir.spec.image) : undefined;
    if (!image?.registry || image.tag || image.digest)
      return { problem: `ImageRepository ${repoNamespace}/${repoName} has no valid spec.image (a name without tag)` };
    try {
      const policy = fluxTagPolicy(ip.spec as FluxPolicySpec);
      const exclude = fluxExclusions(ir.spec.exclusionList);
      return {
        policy: { name: `flux:${namespace}/${name}`, policy, exclude, image, file: ip.file, line: ip.line },
      };
    } catch (e) {
      if (!(e instanceof PolicyError)) throw e;
      return { problem: `ImagePolicy ${namespace}/${name} (${ip.file}:${ip.line}): ${e.message}` };
    }
  };
  return {
    lookup(namespace, name) {
      const key = `${namespace}/${name}`;
      let e = memo.get(key);
      if (!e) memo.set(key, (e = resolve(namespace, name)));
      return e;
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
