// One bundler command for dist/: the action entry (dist/index.js), the CLI (dist/cli.js) and the
// scan's worker thread (dist/scan-worker.js).
//
// Each entry is its own build with code splitting: everything an entry imports statically stays
// in its one file, and what it loads with a dynamic import() — the cloud SDKs of
// src/registry/cloud/ (issue #11) — goes to dist/chunks/, loaded only when a registry of that
// cloud is used. So the Action's file size and cold start do not grow for users of no cloud.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
// The scan's worker thread (src/scan/parallel.ts) is an entry of its own: a worker runs a file.
const entries = { index: "src/index.ts", cli: "src/cli/bin.ts", "scan-worker": "src/scan/scan-worker.ts" };
/** Where the lazily loaded chunks go (relative to dist/); check-dist.mjs checks them too. */
export const CHUNK_DIR = "chunks";

export async function bundle({ write = true } = {}) {
  // Chunk names carry a content hash: clear old ones so none is left behind.
  if (write) rmSync(new URL(`../dist/${CHUNK_DIR}`, import.meta.url), { recursive: true, force: true });
  const outputs = new Map();
  for (const [name, entry] of Object.entries(entries)) {
    const result = await build({
      absWorkingDir: root,
      entryPoints: { [name]: entry },
      outdir: "dist",
      bundle: true,
      splitting: true,
      chunkNames: `${CHUNK_DIR}/[name]-[hash]`,
      platform: "node",
      target: "node20",
      format: "esm",
      write,
      legalComments: "none",
      logLevel: "warning",
      // Some dependencies still call require() on Node built-ins from ESM output.
      banner: {
        js: "import { createRequire as __laminarCreateRequire } from 'node:module';\nconst require = __laminarCreateRequire(import.meta.url);",
      },
    });
    // The two builds share chunks of the same content (and so the same name).
    for (const f of result.outputFiles ?? []) outputs.set(f.path, { path: f.path, text: f.text });
  }
  return [...outputs.values()];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
  console.log(
    `bundled ${Object.keys(entries)
      .map((e) => relative(root, `dist/${e}.js`))
      .join(", ")} (+ dist/${CHUNK_DIR}/)`,
  );
}
