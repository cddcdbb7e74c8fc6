/**
 * The repository scan on several threads (src/scan/parallel.ts, issue #12) finds exactly what one
 * thread finds, in the same order, on real files — from source and from the dist/ bundle as users
 * run it — and a file that fails on a worker fails the scan the way a one-thread scan does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { cp, mkdir, readdir, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { streamScan } from "../src/scan/parallel.js";
import { scanRepository } from "../src/scan/repository.js";
import { CORPUS } from "./helpers/corpus.js";
import { laminar, writeRepo } from "./helpers/cli.js";

const root = new URL("..", import.meta.url).pathname;

/** 2,600 files of every kind the scan tells apart, and the real corpus when it is beside the clone. */
async function bigRepository(): Promise<string> {
  const dir = await writeRepo({}, "laminar-parallel-");
  for (let d = 0; d < 26; d++) {
    const sub = join(dir, `team-${String.fromCharCode(97 + d)}`);
    await mkdir(sub, { recursive: true });
    for (let f = 0; f < 100; f++) {
      const n = d * 100 + f;
      const kind = n % 7;
      const name = join(sub, `f${f}${kind === 3 ? ".Dockerfile" : kind === 6 ? ".txt" : ".yaml"}`);
      const text =
        kind === 0
          ? `containers:\n  - image: ghcr.io/acme/app${n}:1.${n}.0\n`
          : kind === 1
            ? `image:\n  repository: ghcr.io/acme/values${n}\n  tag: "2.${n}"\n`
            : kind === 2
              ? `images:\n  - name: app\n    newName: ghcr.io/acme/k${n}\n    newTag: v${n}\n`
              : kind === 3
                ? `FROM --platform=linux/amd64 docker.io/library/node:20.${n}\n`
                : kind === 4
                  ? `image:\n  repository: ghcr.io/acme/broken${n}\n  tag: [1\n`
                  : kind === 5
                    ? `nothing: here\n`
                    : `# laminar: ignore\nghcr.io/acme/text${n}:3.0 and ghcr.io/acme/kept${n}:4.0\n`;
      await writeFile(name, text);
    }
  }
  await writeFile(join(dir, "binary.bin"), Buffer.from([0x69, 0x6d, 0x61, 0x67, 0x65, 0x3a, 0, 1, 2]));
  await writeFile(join(dir, "big.yaml"), `image: ghcr.io/acme/big:1.0\n${"x".repeat(5000)}\n`);
  await symlink("team-a/f0.yaml", join(dir, "link.yaml"));
  if (existsSync(CORPUS)) await cp(CORPUS, join(dir, "corpus"), { recursive: true });
  return dir;
}

/**
 * Makes the first batch (64 files, in path order) 64 MB of YAML: the CLI's main thread takes it at
 * once and is busy with it long enough for a worker to start and take the rest, however slow the
 * machine. Without it, a scan of tiny files can end before a new worker is up.
 */
async function addHeavyFirstBatch(dir: string): Promise<void> {
  await mkdir(join(dir, "aaa"));
  const heavy = "metadata:\n  labels:\n    app: heavy\n".repeat(30_000);
  for (let k = 0; k < 64; k++) await writeFile(join(dir, "aaa", `heavy-${String(k).padStart(2, "0")}.yaml`), heavy);
}

test("two and three threads find what one thread finds, file for file and warning for warning", async () => {
  const dir = await bigRepository();
  try {
    const one = await scanRepository(dir, { maxFileSize: 4096, threads: 1 });
    assert.equal(one.stats.threads, 1);
    assert.ok(one.files.length > 1800, `${one.files.length} files with references`);
    assert.ok(
      one.warnings.some((w) => /not valid YAML/.test(w.message)) &&
        one.warnings.some((w) => /over the 4096-byte limit/.test(w.message)) &&
        one.warnings.some((w) => /symbolic link/.test(w.message)),
      "the repository gives every kind of warning",
    );
    for (const threads of [2, 3]) {
      // The workers start while this thread scans; a scan of tiny files could end before they are up.
      // Once started they are kept, and this thread's first files are made slow: the workers scan.
      await scanRepository(dir, { maxFileSize: 4096, threads });
      const seen: string[] = [];
      const onFile = (p: string): void => {
        if (seen.push(p) <= 100) for (const end = performance.now() + 5; performance.now() < end;);
      };
      const many = await scanRepository(dir, { maxFileSize: 4096, threads, onFile });
      assert.equal(many.stats.threads, threads);
      assert.deepEqual(many.files, one.files);
      assert.deepEqual(many.warnings, one.warnings);
      assert.deepEqual(many.paths, one.paths);
      assert.deepEqual(many.stats.bytes, one.stats.bytes);
      assert.deepEqual([...seen].sort(), [...one.paths].sort(), "onFile hears of every file once");
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("two scans at once share the workers and each finds what one thread finds", async () => {
  const a = await bigRepository();
  const b = await bigRepository();
  try {
    await writeFile(join(b, "team-b", "extra.yaml"), "image: ghcr.io/acme/only-in-b:9.9\n");
    const [oneA, oneB] = [
      await scanRepository(a, { maxFileSize: 4096, threads: 1 }),
      await scanRepository(b, { maxFileSize: 4096, threads: 1 }),
    ];
    const [manyA, manyB] = await Promise.all([
      scanRepository(a, { maxFileSize: 4096, threads: 2 }),
      scanRepository(b, { maxFileSize: 4096, threads: 2 }),
    ]);
    assert.deepEqual(manyA.files, oneA.files);
    assert.deepEqual(manyB.files, oneB.files);
    assert.deepEqual(manyB.warnings, oneB.warnings);
    assert.notDeepEqual(manyA.files, manyB.files, "each scan got its own files back");
    // A later scan in the same process runs on the workers kept from these.
    let calls = 0;
    const slowStart = (): void => {
      if (++calls <= 100) for (const end = performance.now() + 5; performance.now() < end;);
    };
    const again = await scanRepository(a, { maxFileSize: 4096, threads: 2, onFile: slowStart });
    assert.equal(again.stats.threads, 2);
    assert.deepEqual(again.files, oneA.files);
  } finally {
    await rm(a, { recursive: true, force: true });
    await rm(b, { recursive: true, force: true });
  }
});

test("a small repository stays on one thread (a worker would cost more than it saves)", async () => {
  const dir = await writeRepo({ "a.yaml": "image: ghcr.io/acme/app:1.0\n" });
  try {
    const scan = await scanRepository(dir, { maxFileSize: 4096 });
    assert.equal(scan.stats.threads, 1);
    assert.equal(scan.files.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("a file swapped for a symbolic link while workers read fails the scan as on one thread", async () => {
  const dir = await bigRepository();
  try {
    // The last file in path order is read last; it becomes a link once the first file is read.
    const last = join(dir, "team-z", "f99.yaml");
    const failure = (threads: number): Promise<NodeJS.ErrnoException | undefined> => {
      writeFileSync(last, "image: ghcr.io/acme/last:1\n");
      let swapped = false;
      // Synchronous, so the swap is done before the scan reads on.
      const onFile = (): void => {
        if (swapped) return;
        swapped = true;
        unlinkSync(last);
        symlinkSync("f0.yaml", last);
      };
      return scanRepository(dir, { maxFileSize: 4096, threads, onFile }).then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
    };
    const single = await failure(1);
    await unlink(last);
    const threaded = await failure(2);
    assert.ok(single, "one thread refuses to follow the link (O_NOFOLLOW)");
    assert.ok(threaded, "the threaded scan fails too");
    assert.equal(threaded.code, single.code);
    assert.equal(threaded.message, single.message);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the dist/ CLI scans a big repository on its worker threads and prints the same inventory", async (t) => {
  if (availableParallelism() < 2) return t.skip("one CPU: the scan stays on one thread");
  const cli = join(root, "dist", "cli.js");
  assert.ok(existsSync(join(root, "dist", "scan-worker.js")), "dist/ carries the worker's bundle");
  const dir = await bigRepository();
  await addHeavyFirstBatch(dir);
  try {
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    // Threads from the variable: by default a repository of this size (2,800 files) stays on one.
    const text = run(["scan", "--dir", dir], { LAMINAR_SCAN_THREADS: "2" });
    assert.match(text, /scanned on 2 threads\)/);
    const threaded = run(["scan", "--json", "--dir", dir], { LAMINAR_SCAN_THREADS: "2" });
    const single = run(["scan", "--json", "--dir", dir], { LAMINAR_SCAN_THREADS: "1" });
    assert.equal(threaded, single);
    assert.ok(JSON.parse(threaded) && (await readdir(dir)).length > 20);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("`scan.threads` in .laminar.yaml sets the threads; a bad value names the file, line and key", async () => {
  const dir = await bigRepository();
  await addHeavyFirstBatch(dir);
  const config = (threads: number): Promise<void> =>
    writeFile(
      join(dir, ".laminar.yaml"),
      `version: 1\nupdates:\n  - pattern: glob:*\n    files: [team-a/]\nscan:\n  threads: ${threads}\n`,
    );
  try {
    await config(1);
    const one = laminar(["scan", "--dir", dir]);
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /\(\d+ scanned\)/);
    assert.doesNotMatch(one.stdout, /threads\)/, "threads: 1 keeps a big repository on one thread");
    const two = laminar(["scan", "--dir", dir], { LAMINAR_SCAN_THREADS: "2" });
    assert.equal(two.status, 0, two.stderr);
    assert.match(two.stdout, /scanned on 2 threads\)/, "the variable wins over the file");
    await config(0);
    const bad = laminar(["scan", "--dir", dir]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /\.laminar\.yaml:6/);
    assert.match(bad.stderr, /threads/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("files reach the workers while the walk goes on; the result is in path order; an abort frees them", async () => {
  const dir = await bigRepository();
  try {
    // The walk lists `a` before `a-b`, but `a-b/x.yaml` sorts before `a/x.yaml`.
    for (const d of ["a", "a-b", "a.b"]) {
      await mkdir(join(dir, "team-a", d));
      await writeFile(join(dir, "team-a", d, "x.yaml"), `image: ghcr.io/acme/${d.replace(".", "-")}:1.0\n`);
    }
    const one = await scanRepository(dir, { maxFileSize: 4096, threads: 1 });
    const sorted = [...one.paths].sort();
    assert.deepEqual(one.paths, sorted, "paths in path order");
    assert.deepEqual(
      one.files.map((f) => f.path),
      one.files.map((f) => f.path).sort(),
    );
    assert.ok(one.paths.indexOf("team-a/a-b/x.yaml") < one.paths.indexOf("team-a/a/x.yaml"));

    // A stream given the files one by one, as the walk does: outcomes in the order they were given.
    const stream = streamScan(dir, { maxFileSize: 4096, threads: 2 });
    const reversed = [...one.paths].reverse();
    for (const path of reversed) stream.add(path);
    const { outcomes } = await stream.finish();
    assert.equal(outcomes.length, reversed.length);
    const sites = (k: number) => {
      const o = outcomes[k];
      return o?.kind === "text" ? o.sites : [];
    };
    for (const f of one.files) assert.deepEqual(sites(reversed.indexOf(f.path)), f.references, f.path);

    // A walk that fails half way: the workers stop at once, and the next scan has them back.
    const aborted = streamScan(dir, { maxFileSize: 4096, threads: 2 });
    for (const path of one.paths.slice(0, 1000)) aborted.add(path);
    aborted.abort();
    const again = await scanRepository(dir, { maxFileSize: 4096, threads: 2 });
    assert.deepEqual(again.files, one.files);
    assert.deepEqual(again.warnings, one.warnings);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
