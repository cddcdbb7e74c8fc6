/**
 * Until dist/cli.js exists, the benchmark bundles the CLI itself into its work directory with the
 * options scripts/bundle.mjs uses for dist/cli.js (only the CLI entry, so work in progress on the
 * Action entry cannot break it). Running through tsx instead would add tsx's transpiler and its
 * esbuild service to every figure, startup time and peak RSS above all.
 */
import { build } from "esbuild";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./measure.js";

/**
 * Writes `DIR/cli.js` (the name matters: the CLI runs itself when argv[1] ends in cli.js) with a
 * package.json beside it that makes `.js` ESM, as the project's own package.json does for dist/.
 */
export async function bundleCli(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: "src/cli/bin.ts" },
    outdir: dir,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    write: false,
    legalComments: "none",
    logLevel: "silent",
    banner: {
      js: "import { createRequire as __laminarCreateRequire } from 'node:module';\nconst require = __laminarCreateRequire(import.meta.url);",
    },
  });
  const out = result.outputFiles.find((f) => f.path.endsWith("cli.js"));
  if (!out) throw new Error("esbuild produced no cli.js");
  const path = join(dir, "cli.js");
  await writeFile(path, out.text);
  return path;
}
