import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../src/config/parse.js";
import { planUpdates } from "../src/plan/plan.js";
import type { Edit } from "../src/plan/types.js";
import { applyEdits } from "../src/rewrite/edits.js";
import { scanFile } from "../src/scan/structured/index.js";
import { MemoryTags } from "./helpers/memory-tags.js";

// Issue #10, "Proof: the byte-exact property test extended": random YAML documents holding Helm
// values image maps and Kustomize `images:` entries, at the top level or inside an Argo CD
// `helm.values: |` block (registry / repository / tag / digest present or not, every scalar style,
// flow and block maps, comments between keys, anchors and aliases, CRLF, BOM, several documents) go
// through scan → plan → applyEdits. Every byte outside the edited tag and digest values must stay,
// and the YAML must parse to the same tree except those values, which are strings equal to the new
// tag (so `1.10`, `1e3`, `012`, `true` must have been quoted where they were written plain).

// Fixed seed so a failure reproduces; bump it locally to explore further.
const SEED = 20261201;

/** The images the documents use, each written with or without a `registry:` key. */
const IMAGES = [
  { registry: "ghcr.io", path: "acme/app" },
  { registry: "quay.io", path: "acme/db" },
  { registry: "docker.io", path: "acme/web" },
] as const;
// Current tags: some read as numbers when plain (`1.9`, `01`), none is ever offered as the new tag.
const CURRENT = ["1.9", "1.0.0", "0.9", "v1", "01", "rc-1"] as const;
// New tags, most of which would not read as a string written plain (YAML 1.1 or 1.2).
const NEWER = ["1.10", "1e3", "012", "true", "yes", "0x1F", "1_000", "null", "on", "2.0.0", "v3"] as const;
const OLD_DIGEST = `sha256:${"a".repeat(64)}`;

type Style = "plain" | "single" | "double";
interface ImageMap {
  /** A Helm values `image:` map, or a one-entry Kustomize `images:` list. */
  shape: "helm" | "kustomize";
  image: number;
  withRegistry: boolean;
  tag: "value" | "empty" | "absent";
  current: (typeof CURRENT)[number];
  digest: boolean;
  /** Helm only: the digest pinned in the tag value itself, `tag: 1.9@sha256:…`. */
  digestInTag: boolean;
  styles: { repository: Style; tag: Style; digest: Style };
  flow: boolean;
  comments: boolean;
  pullPolicy: boolean;
  keyOrder: number;
  /** Anchor this tag (`&tN`) or reuse an earlier anchor of the same image in the document (`*tN`). */
  anchor: "none" | "define" | "alias";
  nesting: number;
}

const style = fc.constantFrom<Style>("plain", "single", "double");
const imageMap: fc.Arbitrary<ImageMap> = fc.record({
  shape: fc.constantFrom<ImageMap["shape"]>("helm", "helm", "kustomize"),
  image: fc.integer({ min: 0, max: IMAGES.length - 1 }),
  withRegistry: fc.boolean(),
  tag: fc.constantFrom<ImageMap["tag"]>("value", "value", "value", "empty", "absent"),
  current: fc.constantFrom(...CURRENT),
  digest: fc.boolean(),
  digestInTag: fc.boolean(),
  styles: fc.record({ repository: style, tag: style, digest: style }),
  flow: fc.boolean(),
  comments: fc.boolean(),
  pullPolicy: fc.boolean(),
  keyOrder: fc.nat(),
  anchor: fc.constantFrom<ImageMap["anchor"]>("none", "define", "alias", "alias"),
  nesting: fc.integer({ min: 0, max: 2 }),
});
const repositoryFile = fc.record({
  docs: fc.array(
    fc.record({
      maps: fc.array(imageMap, { minLength: 1, maxLength: 5 }),
      argo: fc.option(fc.record({ indicator: fc.constantFrom("", "2", "4"), chomp: fc.constantFrom("", "-", "+") }), {
        nil: undefined,
      }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  newer: fc.tuple(...IMAGES.map(() => fc.constantFrom(...NEWER))),
  newDigest: fc.constantFrom("b", "c", "d").map((c) => `sha256:${c.repeat(64)}`),
});

const quote = (s: Style, v: string): string => (s === "single" ? `'${v}'` : s === "double" ? `"${v}"` : v);

/** A Helm map whose digest is written in its tag value (an alias has no value of its own). */
const pinnedInTag = (m: ImageMap): boolean =>
  m.shape === "helm" && m.digest && m.digestInTag && m.tag === "value" && m.anchor !== "alias";

/** Where each generated image map sits in its document's tree, and what it holds. */
interface Placed {
  doc: number;
  path: string[];
  map: ImageMap;
  /** Whether the map has a `digest:` key of its own. */
  digestKey: boolean;
  /** The anchor defining this map's tag, when it is an alias. */
  aliasOf?: ImageMap;
}

/** Writes the documents as YAML lines and records where each image map is. */
/**
 * One document: its image maps, written at the top level or inside an Argo CD Application's
 * `helm.values: |` block scalar (with an indentation indicator and chomping), which the scan must map
 * back into the outer file byte for byte.
 */
interface Doc {
  maps: ImageMap[];
  argo: { indicator: string; chomp: string } | undefined;
}

const ARGO_VALUES = ["spec", "source", "helm", "values"];

function render(docs: Doc[]): { lines: string[]; placed: Placed[] } {
  const lines: string[] = [];
  const placed: Placed[] = [];
  docs.forEach(({ maps, argo }, d) => {
    if (d > 0) lines.push("---");
    lines.push(`# document ${d}`);
    const outer = lines;
    // Inside the block scalar, lines are collected apart and indented as the indicator says.
    const body: string[] = argo ? [] : lines;
    const anchors = new Map<string, { name: string; map: ImageMap }>();
    maps.forEach((m, k) => {
      const img = IMAGES[m.image] as (typeof IMAGES)[number];
      const helm = m.shape === "helm";
      const path = [`c${k}`, ...Array.from({ length: m.nesting }, (_, n) => `sub${n}`), helm ? "image" : "images"];
      // An alias needs an anchor of the same image and shape earlier in the same document (YAML scopes anchors
      // to a document); otherwise the tag is written as a value.
      const earlier = anchors.get(`${m.shape}:${m.image}`);
      const mode = m.tag !== "value" ? "none" : m.anchor === "alias" && !earlier ? "none" : m.anchor;
      let tagText: string | undefined;
      if (m.tag === "empty") tagText = quote(m.styles.tag === "plain" ? "double" : m.styles.tag, "");
      else if (m.tag === "value") {
        if (mode === "alias" && earlier) tagText = `*${earlier.name}`;
        else {
          tagText = quote(m.styles.tag, pinnedInTag(m) ? `${m.current}@${OLD_DIGEST}` : m.current);
          if (mode === "define") {
            const name = `t${d}x${k}`;
            tagText = `&${name} ${tagText}`;
            anchors.set(`${m.shape}:${m.image}`, { name, map: m });
          }
        }
      }
      const entries: Array<[string, string]> = helm
        ? [["repository", quote(m.styles.repository, m.withRegistry ? img.path : `${img.registry}/${img.path}`)]]
        : [
            ["name", "app"],
            ["newName", quote(m.styles.repository, `${img.registry}/${img.path}`)],
          ];
      if (helm && m.withRegistry) entries.push(["registry", quote(m.styles.repository, img.registry)]);
      if (tagText !== undefined) entries.push([helm ? "tag" : "newTag", tagText]);
      // Two digests for one image (one in the anchored tag, one in a `digest:` key beside the alias)
      // is not a shape anyone writes: such an alias gets no digest key.
      const digestKey = m.digest && !pinnedInTag(m) && !(mode === "alias" && earlier && pinnedInTag(earlier.map));
      if (digestKey)
        entries.push(["digest", quote(m.styles.digest === "plain" ? "double" : m.styles.digest, OLD_DIGEST)]);
      if (m.pullPolicy) entries.push(["pullPolicy", "IfNotPresent"]);
      // A stable shuffle: rotate the keys by keyOrder.
      const r = m.keyOrder % entries.length;
      const ordered = [...entries.slice(r), ...entries.slice(0, r)];
      path.slice(0, -1).forEach((p, n) => body.push(`${"  ".repeat(n)}${p}:`));
      const indent = "  ".repeat(path.length - 1);
      const last = path[path.length - 1] as string;
      if (m.flow) {
        const map = `{${ordered.map(([key, v]) => `${key}: ${v}`).join(", ")}}`;
        body.push(`${indent}${last}: ${helm ? map : `[${map}]`}${m.comments ? "  # flow map" : ""}`);
      } else {
        body.push(`${indent}${last}:${m.comments ? " # block map" : ""}`);
        // A Kustomize entry is a list item: `- ` before its first key, two spaces before the others.
        ordered.forEach(([key, v], n) => {
          if (m.comments) body.push(`${indent}  # about ${key}`);
          const lead = helm ? "  " : n === 0 ? "  - " : "    ";
          body.push(`${indent}${lead}${key}: ${v}${m.comments && key.endsWith("ag") ? "   # the tag" : ""}`);
        });
      }
      placed.push({
        doc: d,
        path: [...(argo ? ARGO_VALUES : []), ...path, ...(helm ? [] : ["0"])],
        map: m,
        digestKey,
        ...(mode === "alias" && earlier ? { aliasOf: earlier.map } : {}),
      });
    });
    if (argo) {
      outer.push("apiVersion: argoproj.io/v1alpha1", "kind: Application", "spec:", "  source:", "    helm:");
      outer.push(`      values: |${argo.indicator}${argo.chomp}`);
      const pad = " ".repeat(6 + (argo.indicator ? Number(argo.indicator) : 2));
      outer.push(...body.map((l) => pad + l));
    }
  });
  return { lines, placed };
}

/** Every document of `text` as plain JS, after checking it parses without error. */
function trees(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  assert.ok(Array.isArray(docs), "parses as documents");
  for (const d of docs) assert.deepEqual(d.errors, [], String(d.errors[0]));
  return docs.map((d) => d.toJS());
}

/** The trees with each Argo CD `helm.values` block read as the YAML document it holds. */
function readValuesBlocks(docs: unknown[], spec: readonly Doc[]): unknown[] {
  return docs.map((tree, d) => {
    if (!spec[d]?.argo) return tree;
    const helm = at(tree, ARGO_VALUES.slice(0, -1));
    const inner = trees(String(helm.values));
    assert.equal(inner.length, 1);
    return { ...(tree as object), spec: { source: { helm: { values: inner[0] } } } };
  });
}

function at(tree: unknown, path: readonly string[]): Record<string, unknown> {
  return path.reduce((node, key) => (node as Record<string, unknown>)[key], tree) as Record<string, unknown>;
}

const config = parseConfig('updates:\n  - pattern: "glob:*"\n    files: ["**"]\n');

describe("byte-exact rewrite of split images (property, #10)", () => {
  it("changes only tag and digest values; the YAML reads the same except those, as string tags", async () => {
    // What the runs exercised, so a generator that stops producing a shape fails instead of passing.
    const seen = {
      argoBlock: 0,
      pinnedInTag: 0,
      kustomize: 0,
      quoted: 0,
      aliased: 0,
      digests: 0,
      flow: 0,
      crlf: 0,
      bom: 0,
      multiDoc: 0,
      noTag: 0,
    };
    await fc.assert(
      fc.asyncProperty(repositoryFile, async ({ docs, crlf, bom, newer, newDigest }) => {
        const { lines, placed } = render(docs);
        const text = (bom ? "\uFEFF" : "") + lines.join(crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n");
        const bytes = Buffer.from(text, "utf8");
        const before = readValuesBlocks(trees(text), docs);

        // Built by time (glob ordering): every current tag is older than the one new tag per image.
        const tags = new MemoryTags(
          Object.fromEntries(
            IMAGES.map((img, i) => [
              `${img.registry}/${img.path}`,
              {
                ...Object.fromEntries(CURRENT.map((t) => [t, { created: "2026-01-01T00:00:00Z", digest: OLD_DIGEST }])),
                [newer[i] as string]: { created: "2026-06-01T00:00:00Z", digest: newDigest },
              },
            ]),
          ),
        );
        const sites = scanFile(bytes.toString("latin1"), "values.yaml");
        assert.deepEqual(sites.warnings, []);
        const plan = await planUpdates({ config, files: [{ path: "values.yaml", references: sites.sites }], tags });
        assert.deepEqual(plan.failures, []);
        const edits: Edit[] = plan.changes.flatMap((c) => c.edits);
        const out = applyEdits(bytes, edits);
        seen.quoted += plan.changes.filter((c) => c.quoted).length;
        seen.argoBlock += docs.filter((d) => d.argo).length;
        seen.pinnedInTag += placed.filter((p) => pinnedInTag(p.map)).length;
        seen.kustomize += plan.changes.filter((c) => c.form === "kustomize").length;
        seen.aliased += placed.filter((p) => p.aliasOf).length;
        seen.digests += plan.changes.filter((c) => c.toDigest).length;
        seen.flow += placed.filter((p) => p.map.flow).length;
        seen.noTag += plan.unchanged.filter((u) => u.reason === "no-tag").length;
        seen.crlf += crlf ? 1 : 0;
        seen.bom += bom ? 1 : 0;
        seen.multiDoc += docs.length > 1 ? 1 : 0;

        // Walk both buffers: outside the edited spans every byte is the same, and each edited span
        // held a current tag or digest.
        const unique = [...new Map(edits.map((e) => [`${e.start}:${e.end}`, e])).values()].sort(
          (a, b) => a.start - b.start,
        );
        let i = 0;
        let j = 0;
        for (const e of unique) {
          assert.ok(bytes.subarray(i, e.start).equals(out.subarray(j, j + (e.start - i))), "bytes before an edit");
          assert.ok([...CURRENT, OLD_DIGEST].includes(bytes.subarray(e.start, e.end).toString("latin1") as never));
          j += e.start - i + Buffer.byteLength(e.replace, "latin1");
          i = e.end;
        }
        assert.ok(bytes.subarray(i).equals(out.subarray(j)), "bytes after the last edit");

        // The same tree, except each image's tag and digest, now the new ones and strings.
        const expected = structuredClone(before);
        for (const p of placed) {
          const node = at(expected[p.doc], p.path);
          const defining = p.aliasOf ?? p.map;
          const tag = newer[defining.image] as string;
          if (p.map.tag === "value") node[p.map.shape === "helm" ? "tag" : "newTag"] = tag;
          if (p.digestKey && p.map.tag === "value") node.digest = newDigest;
          if (pinnedInTag(defining) && p.map.tag === "value") node.tag = `${tag}@${newDigest}`;
        }
        assert.deepEqual(readValuesBlocks(trees(out.toString("utf8")), docs), expected);
      }),
      { numRuns: 500, seed: SEED },
    );
    for (const [shape, n] of Object.entries(seen)) assert.ok(n >= 20, `${shape}: only ${n} cases`);
  });
});
