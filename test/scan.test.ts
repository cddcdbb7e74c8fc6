import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import { tryParseImageReference } from "../src/reference/parse.js";
import { scanText } from "../src/scan/scan.js";
import { CORPUS, CORPUS_SKIP } from "./helpers/corpus.js";

const texts = (s: string): string[] => scanText(Buffer.from(s, "utf8")).map((r) => r.text);

describe("scanText", () => {
  it("finds quoted, unquoted, several on a line and in flow sequences", () => {
    assert.deepEqual(texts(`image: "ghcr.io/acme/app:1.2.3"\n`), ["ghcr.io/acme/app:1.2.3"]);
    assert.deepEqual(texts(`image: 'ghcr.io/acme/app:1.2.3'\n`), ["ghcr.io/acme/app:1.2.3"]);
    assert.deepEqual(texts(`images: [acme/a:1, acme/b:2, "acme/c:3"]\n`), ["acme/a:1", "acme/b:2", "acme/c:3"]);
    assert.deepEqual(texts(`run: docker pull acme/a:1 && docker pull quay.io/x/y:2\n`), ["acme/a:1", "quay.io/x/y:2"]);
    assert.deepEqual(texts(`{image: nginx:1.25, name: web}`), ["nginx:1.25"]);
  });

  it("handles registry ports, IPv6 hosts, tag@digest and digest-only", () => {
    const d = "sha256:" + "a".repeat(64);
    assert.deepEqual(texts(`a: localhost:5000/acme/app:develop-1\n`), ["localhost:5000/acme/app:develop-1"]);
    assert.deepEqual(texts(`a: 10.42.0.1:30000/test-image:1.0.0\n`), ["10.42.0.1:30000/test-image:1.0.0"]);
    assert.deepEqual(texts(`a: [::1]:5000/acme/app:2\n`), ["[::1]:5000/acme/app:2"]);
    const [r] = scanText(Buffer.from(`x: acme/app:1.0@${d}\n`));
    assert.ok(r);
    assert.equal(r.text, `acme/app:1.0@${d}`);
    assert.deepEqual(r.reference, { registry: "docker.io", repository: "acme/app", tag: "1.0", digest: d });
    assert.deepEqual(texts(`x: acme/app@${d}\n`), [`acme/app@${d}`]);
  });

  it("gives exact byte spans of tag and digest, and UTF-8 aware columns", () => {
    const src = `# é\nname: ünïcode ghcr.io/a/b:v1@sha256:${"b".repeat(64)}\n`;
    const bytes = Buffer.from(src, "utf8");
    const [r] = scanText(bytes);
    assert.ok(r?.tagSpan && r.digestSpan);
    assert.equal(bytes.subarray(r.tagSpan[0], r.tagSpan[1]).toString(), "v1");
    assert.equal(bytes.subarray(r.digestSpan[0], r.digestSpan[1]).toString(), `sha256:${"b".repeat(64)}`);
    assert.equal(r.line, 2);
    assert.equal(r.column, 15);
    assert.equal(r.name, "ghcr.io/a/b");
  });

  it("never over-matches a longer tag or name", () => {
    const found = scanText(Buffer.from("a: acme/app:develop-12\nb: acme/app-other:develop-1\n"));
    assert.deepEqual(
      found.map((r) => [r.name, r.reference.tag]),
      [
        ["acme/app", "develop-12"],
        ["acme/app-other", "develop-1"],
      ],
    );
  });

  it("finds bare names only as the value of an image key", () => {
    assert.deepEqual(texts("image: nginx\n"), ["nginx"]);
    assert.deepEqual(texts(`resource "x" {\n  image = "redis"\n}\n`), ["redis"]);
    assert.deepEqual(texts(`{"image": "mongo"}`), ["mongo"]);
    assert.deepEqual(texts("name: nginx\nrepo: acme/app\n"), []);
    assert.deepEqual(texts("  newName: quay.io/argoprojlabs/argocd-image-updater\n"), [
      "quay.io/argoprojlabs/argocd-image-updater",
    ]);
    assert.deepEqual(texts("FROM --platform=linux/amd64 node:20-alpine AS build\nFROM build\n"), [
      "node:20-alpine",
      "build",
    ]);
  });

  it("ignores ports, URLs, templates, constraints and comments", () => {
    assert.deepEqual(texts(`ports:\n  - "5000:5000/tcp"\n`), []);
    assert.deepEqual(texts(`exec: [grpc_health_probe, localhost:9898/healthz]\n- localhost:9898/healthz\n`), []);
    assert.deepEqual(texts(`url: https://github.com/acme/app:1\n`), []);
    assert.deepEqual(texts(`image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"\n`), []);
    assert.deepEqual(texts(`image: {{ .Values.registry }}/app:1.0\n`), []);
    assert.deepEqual(texts(`image: \${REGISTRY}/app:1.0\n`), []);
    assert.deepEqual(texts(`image: acme/app:{{ .Values.tag }}\n`), []);
    assert.deepEqual(texts(`imageName: "quay.io/dkarpele/my-guestbook:~1.0"\n`), []);
    assert.deepEqual(texts(`#image: mysql:8.0.27\n  # use acme/app:1 here\nx: 1 # acme/b:2\n`), []);
    assert.deepEqual(texts(`when: 2024-01-01T10:00:00Z\nsha: sha256:abc\n`), []);
    assert.deepEqual(texts("imagePullPolicy: Always\nimage-updater: my-image-updater\n"), []);
  });

  it("keeps a # inside quotes from starting a comment", () => {
    assert.deepEqual(texts(`cmd: "echo '#' acme/app:1"\n`), ["acme/app:1"]);
  });

  it("handles CRLF, BOM and files without a trailing newline", () => {
    const src = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from("a: 1\r\nimage: acme/app:2\r\nimage: acme/b:3"),
    ]);
    const found = scanText(src);
    assert.deepEqual(
      found.map((r) => [r.text, r.line]),
      [
        ["acme/app:2", 2],
        ["acme/b:3", 3],
      ],
    );
  });

  it("reads non-UTF-8 bytes without breaking spans", () => {
    const src = Buffer.concat([Buffer.from("x: "), Buffer.from([0xff, 0xfe, 0x20]), Buffer.from("acme/app:1\n")]);
    const [r] = scanText(src);
    assert.ok(r?.tagSpan);
    assert.equal(src.subarray(r.tagSpan[0], r.tagSpan[1]).toString("latin1"), "1");
  });
});

describe("scanText on long lines (issue #13: 10k references on one line took 37 s)", () => {
  it(
    "finds 10k references on one line with their columns; the walk is linear (bounded by the test timeout)",
    { timeout: 120_000 },
    () => {
      const n = 10_000;
      const line = Array.from({ length: n }, (_, i) => `ghcr.io/acme/app${i}:1.${i}`).join(" ");
      const found = scanText(Buffer.from(`kind: List\n${line}\n`));
      assert.equal(found.length, n);
      const last = found[n - 1];
      assert.equal(last?.text, `ghcr.io/acme/app${n - 1}:1.${n - 1}`);
      assert.equal(last?.line, 2);
      assert.equal(last?.column, line.length - (last?.text.length ?? 0) + 1);
    },
  );

  it("a # in the middle of a long line still ends the references there, unless quoted", () => {
    const refs = (k: number, p: string) => Array.from({ length: k }, (_, i) => `ghcr.io/acme/${p}${i}:1`).join(" ");
    const text = `${refs(300, "a")} '#quoted' ${refs(2, "b")} # ${refs(300, "c")}\n${refs(2, "d")}\n`;
    const got = texts(text);
    assert.equal(got.length, 304);
    assert.deepEqual(got.slice(298), [
      "ghcr.io/acme/a298:1",
      "ghcr.io/acme/a299:1",
      "ghcr.io/acme/b0:1",
      "ghcr.io/acme/b1:1",
      "ghcr.io/acme/d0:1",
      "ghcr.io/acme/d1:1",
    ]);
  });

  it("on a long line, the key right before a value still counts and a FROM glued to a word does not", () => {
    assert.deepEqual(texts(`${"x".repeat(5000)} image: nginx:1.25\n`), ["nginx:1.25"]);
    assert.deepEqual(texts(`${"x ".repeat(300)}FROM nginx:1.25\n`), ["nginx:1.25"]);
    assert.deepEqual(texts(`${"x".repeat(300)}FROM nginx:1.25\n`), []);
    assert.deepEqual(texts(`FROM nginx:1.25\n`), ["nginx:1.25"]);
  });
});

describe("scanText: ports, flags and prose are not images (#13)", () => {
  it("a flag's value, a service and its port, and description text are left alone", () => {
    assert.deepEqual(texts("args: [--upstream=acme/app:8080]\n"), []);
    assert.deepEqual(texts("command: proxy --upstream=acme/app:8080 --x\n"), []);
    assert.deepEqual(texts("env: [{name: UPSTREAM, value: backend/api:8080}]\n"), []);
    assert.deepEqual(texts("description: The image, e.g. quay.io/prometheus/prometheus:v2.0.0 (optional)\n"), []);
    assert.deepEqual(
      texts(
        "spec:\n  description: |\n    For example `nginx/nginx:1.25`.\n\n    Or acme/app:2.\n  template: acme/real:1\n",
      ),
      ["acme/real:1"],
    );
    assert.deepEqual(texts(`{\n  "description": "e.g. acme/app:1.0",\n  "image": "acme/app:2.0"\n}\n`), [
      "acme/app:2.0",
    ]);
  });

  it("keeps what is an image: image flags and keys, registries with ports, long tags with a registry host", () => {
    assert.deepEqual(texts("args: ['--image=ghcr.io/acme/app:1.2']\n"), ["ghcr.io/acme/app:1.2"]);
    assert.deepEqual(texts("IMAGE=ghcr.io/acme/app:1.2\n"), ["ghcr.io/acme/app:1.2"]);
    assert.deepEqual(texts("kustomize edit set image app=ghcr.io/acme/app:1.2\n"), ["ghcr.io/acme/app:1.2"]);
    assert.deepEqual(texts("image: acme/app:8080\n"), ["acme/app:8080"]);
    assert.deepEqual(texts("x: registry.io:5000/acme/app:1.2\n"), ["registry.io:5000/acme/app:1.2"]);
    assert.deepEqual(texts("x: ghcr.io/acme/app:20240101\n"), ["ghcr.io/acme/app:20240101"]);
    assert.deepEqual(texts("x: acme/app:80\n"), ["acme/app:80"]);
    assert.deepEqual(texts("descriptionImage: acme/app:1.0\n"), ["acme/app:1.0"]);
  });
});

describe("scanText on the real-world corpus (160 files from six public repositories)", { skip: CORPUS_SKIP }, () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!p.endsWith(".md")) files.push(p);
    }
  };
  if (!CORPUS_SKIP) walk(CORPUS);
  const IMAGE_KEY = /^(?:image|imagename|newname|[a-z0-9]*(?:[_-]image|Image))$/;

  /**
   * An independent oracle: parse each file as YAML and take every string value of an image key
   * that is a valid reference, and every token of any other string that is a tagged or digested
   * reference with a `/`. Comments vanish in the parse, so they count for nothing; `description` text
   * is documentation.
   */
  function oracle(text: string): string[] | undefined {
    const out: string[] = [];
    const visit = (n: unknown, key?: string): void => {
      if (isMap(n)) for (const p of n.items) visit(p.value, isScalar(p.key) ? String(p.key.value) : undefined);
      else if (isSeq(n)) for (const x of n.items) visit(x);
      else if (isScalar(n) && typeof n.value === "string") {
        // Documentation text (CRD and schema descriptions) holds examples, not deployed images (#13).
        if (key === "description") return;
        if (key && (IMAGE_KEY.test(key) || IMAGE_KEY.test(key.toLowerCase())) && tryParseImageReference(n.value)) {
          out.push(n.value);
          return;
        }
        for (const tok of n.value.split(/[\s"'(),;=]+/)) {
          const r = tryParseImageReference(tok);
          if (r && tok.includes("/") && (r.tag || r.digest) && !tok.includes("://")) out.push(tok);
        }
      }
    };
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs) || docs.some((d) => d.errors.length)) return undefined;
    for (const d of docs) visit(d.contents);
    return out.sort();
  }

  it("finds exactly what a YAML-aware oracle finds in every parseable file", () => {
    assert.equal(files.length, 160);
    let checked = 0;
    let total = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      const expected = oracle(bytes.toString("utf8"));
      const got = scanText(bytes)
        .map((r) => r.text)
        .sort();
      total += got.length;
      if (!expected) continue; // Helm templates are not YAML until rendered: checked below
      checked++;
      assert.deepEqual(got, expected, relative(CORPUS, f));
    }
    assert.ok(checked >= 150, `only ${checked} files parsed as YAML`);
    // 171 before #13: four were examples in the argocd-image-updater CRD descriptions.
    assert.equal(total, 167);
  });

  it("finds references in Helm templates, and none in their template expressions", () => {
    const cart = readFileSync(
      join(CORPUS, "GoogleCloudPlatform__microservices-demo/helm-chart/templates/cartservice.yaml"),
    );
    assert.deepEqual(
      scanText(cart).map((r) => r.text),
      ["redis:alpine@sha256:8096655e437712b07503796fb64d81359256cfcff0ab29d95a7da72863786efb"],
    );
    const cache = readFileSync(join(CORPUS, "stefanprodan__podinfo/charts/podinfo/templates/tests/cache.yaml"));
    assert.deepEqual(
      scanText(cache).map((r) => r.text),
      ["curlimages/curl:7.69.0"],
    );
  });

  it("does not take the probe URL in podinfo or compose port mappings for images", () => {
    const all = files.flatMap((f) => scanText(readFileSync(f)).map((r) => r.text));
    assert.ok(!all.some((t) => t.includes("healthz") || t.endsWith("/tcp") || t.endsWith("/udp")));
    assert.ok(all.includes("ghcr.io/stefanprodan/podinfo:6.14.1"));
    assert.ok(all.includes("mongo"), "bare names under image: keys are references");
  });
});
