/**
 * Seeds the benchmark registry through the test harness (test/helpers/registry/seed.ts), a few
 * repositories at a time so progress can be shown and each repository's layer is uploaded once.
 */
import { seedImages, type SeededImage, type SeedTarget } from "../test/helpers/registry/seed.js";
import { seedImagesFor, type BenchRepo } from "./registry-data.js";

export interface SeedResult {
  readonly tags: number;
  readonly ms: number;
  /** `repository:tag` → manifest (or index) digest. */
  readonly digests: Map<string, string>;
}

export async function seedRegistry(
  registry: SeedTarget,
  repos: readonly BenchRepo[],
  opts: { concurrency: number; progress?: (done: number, total: number, ms: number) => void },
): Promise<SeedResult> {
  const started = performance.now();
  const total = repos.reduce((k, r) => k + r.tags.length, 0);
  const digests = new Map<string, string>();
  // A chunk of whole repositories with at least ~4 × concurrency images keeps every worker busy
  // except at the chunk's very end.
  const perChunk = Math.max(1, Math.ceil((opts.concurrency * 64) / Math.max(1, repos[0]?.tags.length ?? 1)));
  let done = 0;
  for (let i = 0; i < repos.length; i += perChunk) {
    const images = repos.slice(i, i + perChunk).flatMap((r) => seedImagesFor(r));
    const seeded: SeededImage[] = await seedImages(registry, images, { concurrency: opts.concurrency });
    for (const s of seeded) digests.set(`${s.repository}:${s.tag}`, s.digest);
    done += images.length;
    opts.progress?.(done, total, performance.now() - started);
  }
  return { tags: total, ms: performance.now() - started, digests };
}
