/**
 * The scan corpus: `mb` MB of deployment files. The real files of /work/shared/corpus (upstream
 * example repositories: Argo CD, Flux, podinfo, awesome-compose…) go in once as they are; the rest
 * is generated in parts of the shapes in shapes.ts with heavier noise (config maps, notes) than
 * the manifests repository, about one reference per 3 kB as in real repositories.
 */
import { copyFile, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { generateTree, laminarConfig, writeTree, type RefPicker } from "./manifests.js";
import type { BenchRepo } from "./registry-data.js";

export const SHARED_CORPUS = new URL("../../shared/corpus/", import.meta.url).pathname;

export interface CorpusStats {
  readonly files: number;
  readonly bytes: number;
  /** References in the generated part (the upstream files' are not counted in advance). */
  readonly generatedRefs: number;
  readonly upstreamFiles: number;
  readonly upstreamBytes: number;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

/** Copies the upstream files (YAML only: the deployment files, not their READMEs) under `upstream/`. */
async function copyUpstream(root: string, budget: number): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  try {
    await stat(SHARED_CORPUS);
  } catch {
    return { files, bytes };
  }
  for await (const src of walk(SHARED_CORPUS)) {
    if (!/\.ya?ml$/.test(src) || /\.laminar\.ya?ml$/.test(src)) continue;
    const size = (await stat(src)).size;
    if (bytes + size > budget) break;
    const dest = join(root, "upstream", relative(SHARED_CORPUS, src));
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src, dest);
    files++;
    bytes += size;
  }
  return { files, bytes };
}

export async function writeCorpus(
  root: string,
  opts: { mb: number; repos: readonly BenchRepo[]; host: string; pick: RefPicker },
): Promise<CorpusStats> {
  const target = opts.mb * 1e6;
  await mkdir(root, { recursive: true });
  await writeFile(join(root, ".laminar.yaml"), laminarConfig(opts.host, { everyCandidate: true }));
  // Upstream files are at most a tenth of a small corpus, so the generated shapes dominate.
  const upstream = await copyUpstream(root, target / 10);
  let files = upstream.files;
  let bytes = upstream.bytes;
  let generatedRefs = 0;
  for (let part = 0; bytes < target; part++) {
    // ~200 files of ~10 kB per part: fine-grained enough to stop close to the target.
    const tree = generateTree({
      files: 200,
      refs: 600,
      repos: opts.repos,
      host: opts.host,
      pick: opts.pick,
      noise: [3000, 15000],
      noiseShare: 0.15,
      seed: 1000 + part,
    });
    const w = await writeTree(join(root, `part-${String(part).padStart(3, "0")}`), tree);
    files += w.files;
    bytes += w.bytes;
    generatedRefs += w.refs;
  }
  return { files, bytes, generatedRefs, upstreamFiles: upstream.files, upstreamBytes: upstream.bytes };
}
