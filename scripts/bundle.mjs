// One bundler command for dist/: the action entry (dist/index.js) and the CLI (dist/cli.js).
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import { relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const entries = { index: "src/index.ts", cli: "src/cli/bin.ts" };

export async function bundle({ write = true } = {}) {
  const result = await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir: "dist",
    bundle: true,
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
  return result.outputFiles?.map((f) => ({ path: f.path, text: f.text })) ?? [];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundle();
  console.log(
    `bundled ${Object.keys(entries)
      .map((e) => relative(root, `dist/${e}.js`))
      .join(", ")}`,
  );
}
