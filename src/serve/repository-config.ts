/**
 * The rules one repository runs with: the server file's `updates` and `promotions` always, plus —
 * with `remoteConfig: true` — the `updates` and `promotions` of the repository's own `.laminar.yaml`,
 * read again on every pass (a new head may change them). Promotions measure soak from the working
 * clone's git history, which the pipeline reads in `dir` (a full clone: nothing to deepen).
 */
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import type { ServerRepository } from "../config/server.js";
import type { LaminarConfig } from "../config/types.js";

/** Thrown when neither the server file nor the repository gives any rule: reported, never idle. */
export class NoRulesError extends Error {
  override readonly name = "NoRulesError";
}

/**
 * Reads the repository's config for one pass. The registries, commit settings and commands stay
 * the server file's: one registry client serves every repository, and a command in a file anyone
 * with push access can edit must not run on the server. A broken `.laminar.yaml` is a warning
 * while the server's own rules still apply; with no rule at all the pass fails with NoRulesError.
 */
export async function readRepositoryConfig(
  repo: Pick<ServerRepository, "name" | "remoteConfig" | "config">,
  dir: string,
  warn: (message: string) => void,
): Promise<LaminarConfig> {
  let updates = repo.config.updates;
  let promotions = repo.config.promotions;
  let scan = repo.config.scan;
  if (repo.remoteConfig) {
    try {
      const own = await loadConfig(dir);
      updates = [...updates, ...own.updates];
      // A promotion's name is its branch and trailer: the server file's wins a clash, and says so.
      for (const p of own.promotions) {
        if (promotions.some((q) => q.name === p.name))
          warn(
            `${repo.name}: .laminar.yaml promotion ${JSON.stringify(p.name)} is ignored: the server file has one of that name`,
          );
        else promotions = [...promotions, p];
      }
      scan = own.scan;
    } catch (e) {
      const missing = e instanceof ConfigError && e.line === 0 && /not found/.test(e.detail);
      if (!missing) {
        if (!(e instanceof ConfigError)) throw e;
        warn(`${repo.name}: its .laminar.yaml is ignored: ${e.message}`);
      }
    }
  }
  if (updates.length === 0 && promotions.length === 0)
    throw new NoRulesError(
      `${repo.name}: no rules: the server file gives it no \`updates\` or \`promotions\` and the repository has no usable .laminar.yaml`,
    );
  return { ...repo.config, updates, promotions, scan };
}
