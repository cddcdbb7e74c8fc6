import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { scanRepository } from "../src/scan/repository.js";

/**
 * The repository scan's walk and reads (issue #12: a synchronous walk, three system calls per file,
 * `fstat` only when a read fills the buffer), on real files in a temporary directory.
 */

const MIB = 1 << 20;

/** A file of exactly `size` bytes: an image line, then padding comments. */
function fileOf(size: number, image: string): string {
  const head = `image: ${image}\n`;
  assert.ok(size >= head.length + 2);
  return `${head}#${"x".repeat(size - head.length - 2)}\n`;
}

function withDir(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "laminar-read-"));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const imagesOf = (scan: Awaited<ReturnType<typeof scanRepository>>): Array<[string, string[]]> =>
  scan.files.map((f) => [f.path, f.references.map((r) => r.text)]);

describe("scanRepository reads", () => {
  it(
    "a file exactly at the size limit is scanned, one byte over is skipped with its size, an empty file is read",
    withDir(async (dir) => {
      writeFileSync(join(dir, "at.yaml"), fileOf(1000, "ghcr.io/acme/at:1"));
      writeFileSync(join(dir, "over.yaml"), fileOf(1001, "ghcr.io/acme/over:1"));
      writeFileSync(join(dir, "empty.yaml"), "");
      const scan = await scanRepository(dir, { maxFileSize: 1000 });
      assert.deepEqual(imagesOf(scan), [["at.yaml", ["ghcr.io/acme/at:1"]]]);
      assert.deepEqual(scan.paths, ["at.yaml", "empty.yaml", "over.yaml"]);
      assert.deepEqual(scan.warnings, [
        { file: "over.yaml", message: "skipped: 1001 bytes is over the 1000-byte limit (scan.maxFileSize)" },
      ]);
      assert.equal(scan.stats.bytes, 1000);
    }),
  );

  it(
    "files around the first buffer's size (1 MiB) and the limit above it are read whole or skipped with their size",
    withDir(async (dir) => {
      const limit = 3 * MIB;
      const sizes: Record<string, number> = {
        "a-below.yaml": MIB - 1,
        "b-buffer.yaml": MIB,
        "c-above.yaml": MIB + 1,
        "d-at-limit.yaml": limit,
        "e-over.yaml": limit + 1,
        "f-far-over.yaml": 5 * MIB,
        "g-small.yaml": 40,
      };
      for (const [name, size] of Object.entries(sizes))
        writeFileSync(join(dir, name), fileOf(size, `ghcr.io/acme/${name.slice(0, 1)}:1`));
      const scan = await scanRepository(dir, { maxFileSize: limit });
      assert.deepEqual(imagesOf(scan), [
        ["a-below.yaml", ["ghcr.io/acme/a:1"]],
        ["b-buffer.yaml", ["ghcr.io/acme/b:1"]],
        ["c-above.yaml", ["ghcr.io/acme/c:1"]],
        ["d-at-limit.yaml", ["ghcr.io/acme/d:1"]],
        ["g-small.yaml", ["ghcr.io/acme/g:1"]],
      ]);
      assert.deepEqual(
        scan.warnings.map((w) => [w.file, w.message]),
        [
          ["e-over.yaml", `skipped: ${limit + 1} bytes is over the ${limit}-byte limit (scan.maxFileSize)`],
          ["f-far-over.yaml", `skipped: ${5 * MIB} bytes is over the ${limit}-byte limit (scan.maxFileSize)`],
        ],
      );
      assert.equal(scan.stats.bytes, MIB - 1 + MIB + MIB + 1 + limit + 40);
    }),
  );

  it(
    "a file that grows or shrinks between the walk and its read is read as it is then",
    withDir(async (dir) => {
      writeFileSync(join(dir, "a.yaml"), "image: ghcr.io/acme/a:1\n");
      writeFileSync(join(dir, "b.yaml"), "image: ghcr.io/acme/b:1\n");
      writeFileSync(join(dir, "c.yaml"), `image: ghcr.io/acme/c:1\n${"#".repeat(500)}\nimage: ghcr.io/acme/gone:1\n`);
      writeFileSync(join(dir, "d.yaml"), "image: ghcr.io/acme/d:1\n");
      // Files are read in path order, after the walk listed them all: reading a.yaml changes the others.
      const onFile = (path: string): void => {
        if (path !== "a.yaml") return;
        appendFileSync(join(dir, "b.yaml"), `#${"x".repeat(2000)}\n`);
        truncateSync(join(dir, "c.yaml"), "image: ghcr.io/acme/c:1\n".length);
        appendFileSync(join(dir, "d.yaml"), "image: ghcr.io/acme/grown:2\n");
      };
      const scan = await scanRepository(dir, { maxFileSize: 1000, onFile });
      assert.deepEqual(imagesOf(scan), [
        ["a.yaml", ["ghcr.io/acme/a:1"]],
        ["c.yaml", ["ghcr.io/acme/c:1"]],
        ["d.yaml", ["ghcr.io/acme/d:1", "ghcr.io/acme/grown:2"]],
      ]);
      assert.deepEqual(scan.warnings, [
        { file: "b.yaml", message: "skipped: 2026 bytes is over the 1000-byte limit (scan.maxFileSize)" },
      ]);
    }),
  );

  it(
    "a file replaced by a symbolic link between the walk and its read is not followed",
    withDir(async (dir) => {
      const outside = mkdtempSync(join(tmpdir(), "laminar-read-outside-"));
      try {
        writeFileSync(join(outside, "secret.yaml"), "image: ghcr.io/acme/outside:1\n");
        writeFileSync(join(dir, "a.yaml"), "image: ghcr.io/acme/a:1\n");
        writeFileSync(join(dir, "b.yaml"), "image: ghcr.io/acme/b:1\n");
        const onFile = (path: string): void => {
          if (path !== "a.yaml") return;
          rmSync(join(dir, "b.yaml"));
          symlinkSync(join(outside, "secret.yaml"), join(dir, "b.yaml"));
        };
        await assert.rejects(scanRepository(dir, { maxFileSize: 1000, onFile }), { code: "ELOOP" });
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    }),
  );
});

describe("scanRepository walks", () => {
  it(
    "lists files with POSIX paths, skips .git and node_modules, excluded directories, and warns about links",
    withDir(async (dir) => {
      const outside = mkdtempSync(join(tmpdir(), "laminar-read-outside-"));
      try {
        for (const d of ["apps/web/base", "apps/api", ".git/objects", "node_modules/x", "vendor/lib"])
          mkdirSync(join(dir, d), { recursive: true });
        writeFileSync(join(dir, "apps/web/base/deploy.yaml"), "image: ghcr.io/acme/web:1\n");
        writeFileSync(join(dir, "apps/api/deploy.yaml"), "image: ghcr.io/acme/api:1\n");
        writeFileSync(join(dir, ".git/objects/x.yaml"), "image: ghcr.io/acme/git:1\n");
        writeFileSync(join(dir, "node_modules/x/x.yaml"), "image: ghcr.io/acme/nm:1\n");
        writeFileSync(join(dir, "vendor/lib/x.yaml"), "image: ghcr.io/acme/vendor:1\n");
        writeFileSync(join(outside, "o.yaml"), "image: ghcr.io/acme/outside:1\n");
        symlinkSync(join(dir, "apps/api/deploy.yaml"), join(dir, "apps/inside.yaml"));
        symlinkSync(join(outside, "o.yaml"), join(dir, "apps/outside.yaml"));
        symlinkSync(join(dir, "missing.yaml"), join(dir, "apps/dangling.yaml"));
        const scan = await scanRepository(dir, { maxFileSize: 1000, exclude: ["vendor"] });
        assert.deepEqual(scan.paths, ["apps/api/deploy.yaml", "apps/web/base/deploy.yaml"]);
        assert.deepEqual(
          scan.warnings.map((w) => [w.file, w.message]),
          [
            ["apps/dangling.yaml", "skipped: symbolic link pointing outside the repository"],
            ["apps/inside.yaml", "skipped: symbolic link (its target is scanned under its own path)"],
            ["apps/outside.yaml", "skipped: symbolic link pointing outside the repository"],
          ],
        );
        const only = await scanRepository(dir, { maxFileSize: 1000, include: ["apps/web"] });
        assert.deepEqual(only.paths, ["apps/web/base/deploy.yaml"]);
        assert.deepEqual(only.warnings, []);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    }),
  );

  it(
    "gives the event loop turns while it walks and reads a large tree",
    withDir(async (dir) => {
      // 1500 directories of one file each: more entries than the walk lists between two turns.
      for (let i = 0; i < 1500; i++) {
        mkdirSync(join(dir, `d${i}`));
        writeFileSync(join(dir, `d${i}`, "f.yaml"), `image: ghcr.io/acme/app${i}:1\n`);
      }
      let turns = 0;
      let walking = true;
      const tick = (): void => {
        turns++;
        if (walking) setImmediate(tick);
      };
      setImmediate(tick);
      let turnsBeforeReads: number | undefined;
      const onFile = (): void => {
        turnsBeforeReads ??= turns;
      };
      const scan = await scanRepository(dir, { maxFileSize: 1000, onFile });
      walking = false;
      assert.equal(scan.files.length, 1500);
      // The walk lists about 4500 entries: a turn every thousand.
      assert.ok((turnsBeforeReads ?? 0) >= 3, `${turnsBeforeReads} turns of the event loop during the walk`);
      assert.ok(turns > (turnsBeforeReads ?? 0), `${turns} turns of the event loop during the scan`);
    }),
  );
});
