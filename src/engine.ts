import type { LaminarConfig } from "./config/types.js";
import { planUpdates } from "./plan/plan.js";
import type { Plan } from "./plan/types.js";
import type { TagSource } from "./registry/types.js";
import { scanRepository, type RepositoryScan } from "./scan/repository.js";

/** Scans the files the config's rules select (or every file, for the inventory). */
export function scanForConfig(
  dir: string,
  config: LaminarConfig,
  options: { all?: boolean } = {},
): Promise<RepositoryScan> {
  const include = options.all ? undefined : [...new Set(config.updates.flatMap((u) => u.files))];
  return scanRepository(dir, {
    ...(include ? { include } : {}),
    exclude: config.scan.exclude,
    maxFileSize: config.scan.maxFileSize,
  });
}

/** Scan + plan: what would move in the repository at `dir`, and why everything else stays. */
export async function planRepository(
  dir: string,
  config: LaminarConfig,
  tags: TagSource,
): Promise<{ plan: Plan; scan: RepositoryScan }> {
  const scan = await scanForConfig(dir, config);
  const plan = await planUpdates({ config, files: scan.files, tags, warnings: scan.warnings });
  return { plan, scan };
}
