import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { applyPlan, CommandFailedError } from "../src/apply/apply.js";
import type { Edit, Plan, PlanChange } from "../src/plan/types.js";
import { parseImageReference } from "../src/reference/parse.js";
import { writeFileAtomic } from "../src/files/atomic-write.js";
import { applyEdits, StaleEditError } from "../src/rewrite/edits.js";
import { scanText } from "../src/scan/scan.js";

const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[-_.][a-z0-9]{1,4})?$/);
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/);
const host = fc.constantFrom(
  "ghcr.io",
  "localhost:5000",
  "123.dkr.ecr.eu-west-2.amazonaws.com",
  "[::1]:5000",
  "quay.io",
  "10.0.0.1:30000",
);
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`);
const reference = fc
  .record({
    host,
    path: fc.array(component, { minLength: 1, maxLength: 3 }),
    tag,
    digest: fc.option(digest, { nil: undefined }),
  })
  .map((r) => `${r.host}/${r.path.join("/")}:${r.tag}${r.digest ? `@${r.digest}` : ""}`);
// Noise: anything but token characters glued to a reference — comments, templates, CRLF, non-UTF-8 bytes.
const noise = fc.oneof(
  fc.constantFrom(
    "\n",
    "\r\n",
    "  ",
    "# a comment\n",
    "{{ .Values.x }}",
    "key: value\n",
    "- ",
    '"',
    "\t",
    ", ",
    "é",
    "\uFEFF",
  ),
  fc
    .uint8Array({ minLength: 0, maxLength: 12 })
    .map((b) => Buffer.from(b.map((x) => (x >= 0x20 && x < 0x7f ? 0x20 : x))).toString("latin1")),
);
const file = fc.array(
  fc.tuple(
    noise,
    fc.constantFrom("image: ", "x: ", "- ", "  image: '"),
    reference,
    fc.constantFrom("\n", " ", "'\n", "\r\n", ""),
  ),
  { minLength: 1, maxLength: 6 },
);

describe("byte-exact rewrite (property)", () => {
  it("changes only the tag and digest spans, and every rewritten reference parses", () => {
    fc.assert(
      fc.property(file, fc.array(tag, { minLength: 6, maxLength: 6 }), digest, (parts, newTags, newDigest) => {
        const bytes = Buffer.from(parts.map(([n, k, r, e]) => n + k + r + e).join(""), "latin1");
        const found = scanText(bytes);
        const edits: Edit[] = [];
        found.forEach((r, i) => {
          if (r.tagSpan)
            edits.push({
              start: r.tagSpan[0],
              end: r.tagSpan[1],
              expect: r.reference.tag ?? "",
              replace: newTags[i % 6] as string,
            });
          if (r.digestSpan)
            edits.push({
              start: r.digestSpan[0],
              end: r.digestSpan[1],
              expect: r.reference.digest ?? "",
              replace: newDigest,
            });
        });
        const out = applyEdits(bytes, edits);
        // Walk both buffers: outside the spans every byte is the same.
        let i = 0;
        let j = 0;
        for (const e of [...edits].sort((a, b) => a.start - b.start)) {
          assert.ok(bytes.subarray(i, e.start).equals(out.subarray(j, j + (e.start - i))));
          j += e.start - i + Buffer.byteLength(e.replace, "latin1");
          i = e.end;
        }
        assert.ok(bytes.subarray(i).equals(out.subarray(j)));
        // Each rewritten reference is still a valid reference with the new tag.
        for (const r of scanText(out)) parseImageReference(r.text);
        for (const [k, r] of found.entries()) {
          const delta = edits
            .filter((e) => e.start < r.start)
            .reduce((d, e) => d + e.replace.length - (e.end - e.start), 0);
          const after = scanText(out).find((x) => x.start === r.start + delta);
          assert.ok(after, `reference ${k} still found`);
          if (r.tagSpan) assert.equal(after.reference.tag, newTags[k % 6]);
        }
      }),
      { numRuns: 10_000, seed: 20261125 },
    );
  });

  it("refuses stale and overlapping edits without changing anything", () => {
    const b = Buffer.from("image: acme/app:1\n");
    assert.throws(() => applyEdits(b, [{ start: 16, end: 17, expect: "2", replace: "3" }]), StaleEditError);
    assert.throws(
      () =>
        applyEdits(b, [
          { start: 15, end: 17, expect: ":1", replace: "x" },
          { start: 16, end: 17, expect: "1", replace: "y" },
        ]),
      StaleEditError,
    );
    assert.equal(b.toString(), "image: acme/app:1\n");
  });

  it("applies an edit shared by several sites once, and still refuses two different ones", () => {
    // One anchored tag read through two aliases: two changes carry the same edit of one span.
    const b = Buffer.from("tag: &v 1.9\na: {tag: *v}\nb: {tag: *v}\n");
    const edit: Edit = { start: 8, end: 11, expect: "1.9", replace: '"1.10"' };
    assert.equal(applyEdits(b, [edit, { ...edit }]).toString(), 'tag: &v "1.10"\na: {tag: *v}\nb: {tag: *v}\n');
    assert.throws(() => applyEdits(b, [edit, { ...edit, replace: "2.0" }]), /overlapping edits at byte 8/);
  });
});

describe("writeFileAtomic and applyPlan", () => {
  const change = (file: string, start: number, from: string, to: string): PlanChange => ({
    file,
    line: 1,
    column: 1,
    form: "inline",
    image: "acme/app",
    repository: "docker.io/acme/app",
    from,
    to,
    rule: "updates[0]",
    pattern: "glob:*",
    edits: [{ start, end: start + from.length, expect: from, replace: to }],
  });
  const plan = (changes: PlanChange[]): Plan => ({ changes, unchanged: [], failures: [], warnings: [] });

  it("keeps the file mode, works on read-only files and leaves no temp file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-write-"));
    const p = join(dir, "a.sh");
    await writeFile(p, "old");
    await chmod(p, 0o555);
    await writeFileAtomic(p, Buffer.from("new"));
    assert.equal(await readFile(p, "utf8"), "new");
    assert.equal((await stat(p)).mode & 0o777, 0o555);
    assert.deepEqual(await readdir(dir), ["a.sh"]);
  });

  it("creates a file that does not exist yet, with its parent directories and writeFile's mode", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-write-"));
    const p = join(dir, "a", "b", "new.json");
    await writeFileAtomic(p, Buffer.from("{}"));
    assert.equal(await readFile(p, "utf8"), "{}");
    await writeFile(join(dir, "plain.json"), "{}");
    assert.equal((await stat(p)).mode & 0o777, (await stat(join(dir, "plain.json"))).mode & 0o777);
    assert.deepEqual(await readdir(join(dir, "a", "b")), ["new.json"]);
  });

  it("rewrites, runs commands in the repo root, and restores everything when a command fails", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-apply-"));
    const text = "\uFEFFimage: acme/app:1\r\n# keep\r\n";
    await writeFile(join(dir, "a.yaml"), text);
    await writeFile(join(dir, "other.txt"), "untouched");
    const off = Buffer.from(text).indexOf(":1") + 1;
    const ok = await applyPlan(dir, plan([change("a.yaml", off, "1", "2")]), [
      { run: "cat a.yaml > rendered.txt", timeout: 10 },
    ]);
    assert.deepEqual(ok.files, ["a.yaml"]);
    assert.equal(await readFile(join(dir, "a.yaml"), "utf8"), text.replace(":1", ":2"));
    assert.equal(await readFile(join(dir, "rendered.txt"), "utf8"), text.replace(":1", ":2"));

    const before = await readFile(join(dir, "a.yaml"));
    const failing = applyPlan(dir, plan([change("a.yaml", off, "2", "3")]), [
      {
        run: "echo rendering; echo x > new.txt; echo changed > other.txt; rm rendered.txt; echo boom >&2; exit 7",
        timeout: 10,
      },
    ]);
    await assert.rejects(failing, (e: unknown) => {
      assert.ok(e instanceof CommandFailedError);
      assert.equal(e.result.exitCode, 7);
      assert.match(e.result.output, /rendering[\s\S]*boom/);
      assert.match(e.message, /failed with exit code 7; the work tree was restored/);
      return true;
    });
    assert.ok((await readFile(join(dir, "a.yaml"))).equals(before));
    assert.equal(await readFile(join(dir, "other.txt"), "utf8"), "untouched");
    assert.equal(await readFile(join(dir, "rendered.txt"), "utf8"), text.replace(":1", ":2"));
    assert.deepEqual((await readdir(dir)).sort(), ["a.yaml", "other.txt", "rendered.txt"]);
  });

  it("kills a command that runs past its timeout and restores the tree", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-timeout-"));
    await writeFile(join(dir, "a.yaml"), "image: acme/app:1\n");
    await assert.rejects(
      applyPlan(dir, plan([change("a.yaml", 16, "1", "2")]), [{ run: "sleep 30", timeout: 1 }]),
      (e: unknown) => e instanceof CommandFailedError && e.result.timedOut && /timed out after 1s/.test(e.message),
    );
    assert.equal(await readFile(join(dir, "a.yaml"), "utf8"), "image: acme/app:1\n");
  });

  it("does nothing when nothing changes", async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-noop-"));
    const r = await applyPlan(dir, plan([]), [{ run: "touch ran", timeout: 5 }]);
    assert.deepEqual(r, { files: [], commandChanges: [], commands: [] });
    assert.deepEqual(await readdir(dir), []);
  });
});
