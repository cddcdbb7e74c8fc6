import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scanText } from "../src/scan/scan.js";
import { mayHoldStructuredSite, scanFile, scanStructured } from "../src/scan/structured/index.js";
import { random } from "./helpers/random.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
// Every form the structured scan reads, and what only looks like one (Helm templates, chart labels).
const FRAGMENTS = [
  "image:\n  repository: ghcr.io/acme/app\n  tag: 1.2.3\n",
  `image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: "1.25"\n  digest: ${DIGEST}\n`,
  "app: {repository: acme/app, tag: &v 1.2}\n",
  "other: {repository: acme/b, tag: *v}\n",
  '{"image": {"repository": "acme/j", "tag": "2.0"}}\n',
  "'repository': acme/q\n'tag': '3'\n",
  "images:\n- name: nginx\n  newName: ghcr.io/acme/nginx\n  newTag: 1.2\n",
  `images:\n  - name: redis\n    digest: ${DIGEST}\n`,
  "spec:\n  source:\n    helm:\n      parameters:\n      - name: image.tag\n        value: 1.4.0\n",
  "    kustomize:\n      images:\n      - acme/app:1.2.3\n",
  "    helm:\n      values: |\n        image:\n          repository: acme/v\n          tag: 9.9\n",
  "tag: 1.0 # laminar: ghcr.io/acme/m\n",
  "# laminar: ignore\n",
  "VERSION=1.2 # laminar: acme/env\n",
  '  tag: 1.0 # {"$imagepolicy": "flux-system:app:tag"}\n',
  '        image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"\n',
  '    helm.sh/chart: {{ include "x.chart" . }}\n',
  "  labels:\n    app.kubernetes.io/managed-by: Helm\n",
  "      containers:\n      - name: web\n        image: nginx:1.25\n",
  "global:\n  imageRegistry: reg.example.com\n",
  "imageTag: 4.5\nimage: acme/it\n",
  "x: .Values.kustomize.repository\n",
  "note: tag: inline\n",
  "foo: [unclosed\n",
  "a: b: c\n",
  "---\n",
  "\xEF\xBB\xBF",
  "\r\n",
  "  ",
];
const PATHS = ["values.yaml", "a.yml", "b.json", "c.txt", ".env"];

describe("mayHoldStructuredSite (#12: a hint key, not a hint word)", () => {
  it("says no to a Helm template and yes to values, markers and Kustomize images", () => {
    const template = FRAGMENTS[15]! + FRAGMENTS[16]! + FRAGMENTS[17]!;
    assert.equal(mayHoldStructuredSite(template, "templates/deployment.yaml"), false);
    assert.equal(mayHoldStructuredSite(FRAGMENTS[0]!, "values.yaml"), true);
    assert.equal(mayHoldStructuredSite(FRAGMENTS[0]!, "values.txt"), false);
    assert.equal(mayHoldStructuredSite(FRAGMENTS[13]!, "app.env"), true);
    assert.equal(mayHoldStructuredSite(FRAGMENTS[6]!, "kustomization.yaml"), true);
    assert.equal(mayHoldStructuredSite("\xEF\xBB\xBFrepo: x\n", "a.yaml"), true);
  });

  it("says no only where the full structured scan finds nothing, on 20 000 random texts", () => {
    const next = random(12);
    let no = 0;
    let yesWithSites = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = "";
      const len = 1 + Math.floor(next() * 6);
      for (let k = 0; k < len; k++) text += FRAGMENTS[Math.floor(next() * FRAGMENTS.length)];
      const path = PATHS[Math.floor(next() * PATHS.length)] as string;
      const full = scanStructured(text, path);
      if (mayHoldStructuredSite(text, path)) {
        if (full.sites.length || full.warnings.length) yesWithSites++;
        continue;
      }
      no++;
      assert.deepEqual(full, { sites: [], warnings: [] }, `case ${n} ${path}: ${JSON.stringify(text)}`);
      // And the file's scan is its one-string scan alone.
      assert.deepEqual(scanFile(text, path), { sites: scanText(text), warnings: [] }, `case ${n} ${path}`);
    }
    // Both answers must come often, or the agreement says little.
    assert.ok(no > 2000, `only ${no} texts were passed over`);
    assert.ok(yesWithSites > 2000, `only ${yesWithSites} texts had a structured site or warning`);
  });
});
