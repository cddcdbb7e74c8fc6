import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { mayHoldImageSite } from "../src/scan/prefilter.js";
import { scanRepository } from "../src/scan/repository.js";
import { scanText } from "../src/scan/scan.js";
import { scanFile } from "../src/scan/structured/index.js";
import { CORPUS } from "./helpers/corpus.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const BOM = "\xEF\xBB\xBF";

/** Hostile files, as latin1 strings of their bytes (so a `\xEF…` is a byte, not a character). */
function hostileFiles(): Record<string, string> {
  const long = "x".repeat(300_000);
  const utf8 = Buffer.from("名前: ünïcode — ", "utf8").toString("latin1");
  return {
    "crlf.yaml":
      "kind: Pod\r\nspec:\r\n  containers:\r\n    - image: nginx\r\n      name: web\r\n    - image: ghcr.io/acme/app:1.2\r\n",
    "bom-dockerfile": `${BOM}FROM nginx\nRUN true\n`,
    "no-colon-dockerfile": "FROM --platform=$BUILDPLATFORM golang AS build\nFROM\tdebian\nfrom alpine\n",
    "no-newline.yaml": `image: ghcr.io/acme/app:9`,
    "only-at.txt": `pinned acme/app@${DIGEST}`,
    "utf8.yaml": `${utf8}ghcr.io/acme/utf:1\n${utf8}\n  image: "redis"\n`,
    "long-line.txt": `${long} ghcr.io/acme/long:1 ${long}\n`,
    "long-line-no-ref.txt": `${long}\n${long}`,
    "prose.md": "Nothing to see here.\nJust words, no keys, no tags.\n",
    "empty.yaml": "",
    "keys.yaml": [
      "IMAGE: nginx",
      "NewName: ghcr.io/acme/renamed",
      "containerImage : 'redis:7'",
      'sidecar_image = "busybox"',
      "args: [--image=acme/flag:1, --upstream=acme/app:8080]",
      "from: ghcr.io/acme/from:2",
      "# image: ghcr.io/acme/commented:1",
      "name: web ghcr.io/acme/free:3",
      "listen: 0.0.0.0:8080 sha256:abc 2024-01-01T00:00:00Z",
      "url: https://ghcr.io/acme/not:1",
      "tpl: ${REG}/acme/tpl:1 {{ .Values.r }}/acme/tpl:2",
      "ipv6: [::1]:5000/acme/v6:1",
    ].join("\n"),
    // A reference across the 8000-byte binary sniff and a 64 KiB boundary: files are read whole.
    "boundaries.txt": `${"y".repeat(7990)} ghcr.io/acme/sniff:1 ${"z".repeat(65_536 - 8020)} ghcr.io/acme/k64:1\n`,
    "values.yaml": "image:\n  repository: ghcr.io/acme/helm\n  tag: 1.0.0\n",
  };
}

describe("mayHoldImageSite (the byte prefilter)", () => {
  it("lets through every file with a site, and passes over files that certainly have none", () => {
    for (const [name, text] of Object.entries(hostileFiles())) {
      const data = Buffer.from(text, "latin1");
      const sites = scanFile(text, name).sites;
      if (sites.length) assert.equal(mayHoldImageSite(data), true, name);
    }
    assert.equal(mayHoldImageSite(Buffer.from("Nothing to see here.\n")), false);
    assert.equal(mayHoldImageSite(Buffer.from("")), false);
    assert.equal(mayHoldImageSite(Buffer.from("x".repeat(300_000))), false);
    assert.equal(mayHoldImageSite(new Uint8Array([0xff, 0xfe, 0x00, 0x01])), false);
    // A Dockerfile FROM needs none of `:`, `@`, `=`: the prefilter reads the word in any case.
    for (const t of ["FROM nginx\n", "from nginx", `${BOM}From debian`]) {
      assert.equal(mayHoldImageSite(Buffer.from(t, "latin1")), true, t);
      assert.equal(scanText(Buffer.from(t, "latin1")).length, 1, t);
    }
  });

  it("never hides a site: random hostile bytes without `:`/`@`/`=`/FROM scan to nothing", () => {
    // Pieces of references with their anchors cut out, at odd offsets, with CR, NUL-free binary and UTF-8.
    const pieces = [
      "ghcr.io/acme/app",
      "1.2.3",
      "image",
      "newName",
      "repository",
      "tag",
      " ",
      "\r\n",
      "\n",
      "\t",
      '"',
      "'",
      "#",
      "-",
      "/",
      "[",
      "]",
      "{",
      "}",
      "é",
      "\xE2\x80\x94",
      BOM,
      "FRO",
      "ROM",
      "fr om",
      "\x80\xff",
    ];
    let seed = 12;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      let text = "";
      for (let j = rnd(40); j > 0; j--) text += pieces[rnd(pieces.length)];
      const data = Buffer.from(text, "latin1");
      if (mayHoldImageSite(data)) continue;
      const scanned = scanFile(text, `f${k}.yaml`);
      assert.deepEqual(scanned.sites, [], JSON.stringify(text));
      assert.deepEqual(scanned.warnings, [], JSON.stringify(text));
    }
  });
});

describe("scanRepository with the prefilter and whole-file reads", () => {
  it("finds in each hostile file exactly what scanFile finds in its bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-prefilter-"));
    try {
      const files = hostileFiles();
      for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), Buffer.from(text, "latin1"));
      mkdirSync(join(dir, "bin"));
      writeFileSync(join(dir, "bin", "blob"), Buffer.concat([Buffer.from("image: nginx\n"), Buffer.from([0, 1, 2])]));
      const scan = await scanRepository(dir, { maxFileSize: 1_000_000 });
      const byPath = new Map(scan.files.map((f) => [f.path, f.references]));
      for (const [name, text] of Object.entries(files))
        assert.deepEqual(byPath.get(name) ?? [], scanFile(text, name).sites, name);
      assert.equal(byPath.has("bin/blob"), false, "a file with a NUL byte is binary");
      assert.equal(byPath.has("prose.md"), false);
      // Positions are byte offsets into the file as read.
      const crlf = byPath.get("crlf.yaml") ?? [];
      assert.deepEqual(
        crlf.map((r) => [r.text, r.line]),
        [
          ["nginx", 4],
          ["ghcr.io/acme/app:1.2", 6],
        ],
      );
      const raw = readFileSync(join(dir, "boundaries.txt"));
      assert.deepEqual(
        (byPath.get("boundaries.txt") ?? []).map((r) => raw.subarray(r.start, r.end).toString()),
        ["ghcr.io/acme/sniff:1", "ghcr.io/acme/k64:1"],
      );
      assert.deepEqual(
        (byPath.get("no-colon-dockerfile") ?? []).map((r) => r.text),
        ["golang", "debian", "alpine"],
      );
      const keys = (byPath.get("keys.yaml") ?? []).map((r) => r.text);
      for (const t of [
        "nginx",
        "ghcr.io/acme/renamed",
        "redis:7",
        "busybox",
        "acme/flag:1",
        "ghcr.io/acme/free:3",
        "[::1]:5000/acme/v6:1",
      ])
        assert.ok(keys.includes(t), `${t} in ${JSON.stringify(keys)}`);
      for (const t of ["acme/app:8080", "ghcr.io/acme/commented:1", "ghcr.io/acme/not:1", "acme/tpl:1"])
        assert.ok(!keys.some((k) => k.includes(t)), `${t} not in ${JSON.stringify(keys)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a file over the size limit is skipped with a warning, as before", async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-prefilter-"));
    try {
      writeFileSync(join(dir, "big.yaml"), `image: ghcr.io/acme/big:1\n${"#".repeat(2000)}\n`);
      writeFileSync(join(dir, "small.yaml"), "image: ghcr.io/acme/small:1\n");
      const scan = await scanRepository(dir, { maxFileSize: 1000 });
      assert.deepEqual(
        scan.files.map((f) => f.path),
        ["small.yaml"],
      );
      assert.match(scan.warnings[0]?.message ?? "", /^skipped: 2027 bytes is over the 1000-byte limit/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads every file into one reused buffer without a shorter file seeing a longer one's bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-prefilter-"));
    try {
      // In path order: a 200 kB file (the buffer grows), then shorter ones whose tail would hold the
      // previous file's references if a read returned more bytes than the file has.
      writeFileSync(join(dir, "a.yaml"), `${"# pad\n".repeat(40_000)}image: ghcr.io/acme/big:1\n`);
      writeFileSync(join(dir, "b.yaml"), `${"# pad\n".repeat(39_990)}x: 1\n`);
      writeFileSync(join(dir, "c.yaml"), "image: ghcr.io/acme/small:2\n");
      writeFileSync(join(dir, "d.txt"), "nothing\n");
      const scan = await scanRepository(dir, { maxFileSize: 1_000_000 });
      assert.deepEqual(
        scan.files.map((f) => [f.path, f.references.map((r) => r.text)]),
        [
          ["a.yaml", ["ghcr.io/acme/big:1"]],
          ["c.yaml", ["ghcr.io/acme/small:2"]],
        ],
      );
      assert.equal(scan.stats.bytes, 240_000 + 26 + 239_940 + 5 + 28 + 8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("on the shared corpus, finds exactly what scanFile finds in every file", async (t) => {
    const scan = await scanRepository(CORPUS, { maxFileSize: 10_000_000 }).catch(() => undefined);
    if (!scan) return t.skip(`no corpus at ${CORPUS}`);
    const byPath = new Map(scan.files.map((f) => [f.path, f.references]));
    let sites = 0;
    for (const path of scan.paths) {
      const data = readFileSync(join(CORPUS, path));
      if (data.subarray(0, 8000).includes(0)) continue;
      const expected = scanFile(data.toString("latin1"), path).sites.filter((s) => s.form !== "flux-setter");
      const got = (byPath.get(path) ?? []).filter((s) => s.form !== "flux-setter");
      assert.deepEqual(got, expected, path);
      sites += got.length;
    }
    assert.ok(sites > 100, `${sites} sites in the corpus`);
  });
});

describe("scanFile outside YAML", () => {
  it("without a `laminar:` marker, finds the inline sites in order, hint words or not (#12)", () => {
    // Before #12 a hint word sent such a file through the structured path, which sorted the inline
    // sites; now a file that is not YAML and has no marker returns them directly: the same list.
    const pieces = [
      "image = ghcr.io/acme/app:1.2\n",
      'repository = "ghcr.io/acme/repo"\n',
      "tag: 1.0\n",
      "helm install x oci://ghcr.io/acme/chart:2\n",
      "kustomize edit set image acme/k:3\n",
      "newTag: 4\n",
      `pinned acme/pin@${DIGEST}\n`,
      "FROM nginx:1.27 AS build\n",
      "# a comment with redis:7\n",
      "imageTag = 5\n",
      "plain words\n",
    ];
    let seed = 12;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const byPosition = (a: { start: number; end: number }, b: { start: number; end: number }): number =>
      a.start - b.start || a.end - b.end;
    let sites = 0;
    for (let k = 0; k < 500; k++) {
      let text = "";
      for (let j = rnd(12); j > 0; j--) text += pieces[rnd(pieces.length)];
      for (const path of ["main.tf", "README.md", "Dockerfile", ".env"]) {
        const got = scanFile(text, path);
        assert.deepEqual(got.sites, [...scanText(text)].sort(byPosition), `${path}: ${JSON.stringify(text)}`);
        assert.deepEqual(got.warnings, []);
        sites += got.sites.length;
      }
    }
    assert.ok(sites > 1000, `${sites} sites`);
    // With a marker the structured path still runs: the marker's value becomes a site.
    const marked = scanFile("FOO_TAG=1.2 # laminar: ghcr.io/acme/marked\n", "vars.env");
    assert.deepEqual(
      marked.sites.map((s) => [s.form, s.reference.repository, s.tagSpan]),
      [["marker", "acme/marked", [8, 11]]],
    );
  });
});
