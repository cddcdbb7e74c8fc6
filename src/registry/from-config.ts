import type { LaminarConfig } from "../config/types.js";
import { defaultCachePath } from "./cache.js";
import { RegistryClient, type RegistrySettings } from "./client.js";
import type { RequestCounts, TagSource } from "./types.js";

/** A registry client built from a config, with what the front ends need around it. */
export interface TagSourceHandle {
  readonly source: TagSource;
  /** Request counts so far, by kind. */
  counts(): RequestCounts;
  /** Persists the registry cache (build times, tag snapshots) for the next run. */
  save(): Promise<void>;
  /** Starts a new run: tag lists and confirmed digests are asked again; the caches stay. */
  newRun(): void;
}

/**
 * The registry client for a config: per-registry settings from `registries`, credentials from the
 * environment variables the config names (never from the config itself), docker's config.json and
 * credential helpers, and GITHUB_TOKEN for ghcr.io. The CLI, the Action and `watch` all build their
 * client here, so a library user gets exactly their registry behaviour (auth, retries, timeouts,
 * the on-disk cache of build times). The library exports it as `createRegistryClient`.
 *
 * @param config - the loaded config (its `registries`)
 * @param options - the repository directory, the environment credentials are read from, the cache
 *   file (default: `~/.cache/laminar/registry.json`, see `defaultCachePath`) and an optional log
 * @example
 * ```ts
 * const registry = createRegistryClient(config, { dir, env: process.env });
 * const { plan } = await planRepository(dir, config, registry.source);
 * await registry.save(); // keep the build times for the next run
 * ```
 */
export function createTagSource(
  config: LaminarConfig,
  options: {
    dir: string;
    env: NodeJS.ProcessEnv;
    cachePath?: string;
    /** Recall each registry's auth challenge from the cache instead of pinging (targeted runs). */
    reuseChallenges?: boolean;
    log?: { debug?: (m: string) => void; warn?: (m: string) => void };
  },
): TagSourceHandle {
  const settings = new Map<string, RegistrySettings>();
  for (const r of config.registries) {
    const seen = settings.get(r.host);
    if (seen) {
      // Several prefixes of one registry share its settings (requests go to the host, whatever
      // the prefix); a timeout set only on a later prefix still applies rather than being lost.
      if (seen.timeoutMs === undefined && r.timeout !== undefined)
        settings.set(r.host, { ...settings.get(r.host)!, timeoutMs: r.timeout * 1000 });
      if (r.trustRealm && !seen.trustRealm) settings.set(r.host, { ...settings.get(r.host)!, trustRealm: true });
      continue;
    }
    const env = (name: string | undefined): string | undefined => (name ? options.env[name] || undefined : undefined);
    const username = env(r.usernameEnv);
    const password = env(r.passwordEnv);
    const token = env(r.tokenEnv);
    settings.set(r.host, {
      host: r.host,
      ...(r.insecure !== undefined ? { insecure: r.insecure } : {}),
      ...(r.trustRealm !== undefined ? { trustRealm: r.trustRealm } : {}),
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(token !== undefined ? { token } : {}),
      ...(r.pageCap !== undefined ? { pageCap: r.pageCap } : {}),
      ...(r.platforms ? { platforms: r.platforms } : {}),
      ...(r.api !== undefined ? { api: r.api } : {}),
      // Per registry: a short timeout for one slow registry must not cut the others short.
      ...(r.timeout !== undefined ? { timeoutMs: r.timeout * 1000 } : {}),
      ...(r.cloud !== undefined ? { cloud: r.cloud } : {}),
      ...(r.aws !== undefined ? { aws: r.aws } : {}),
    });
  }
  const client = new RegistryClient({
    registries: [...settings.values()],
    cachePath: options.cachePath ?? defaultCachePath(options.env),
    ...(config.limits?.tags !== undefined ? { maxTags: config.limits.tags } : {}),
    ...(config.limits?.registryDeadline !== undefined ? { deadlineMs: config.limits.registryDeadline * 1000 } : {}),
    env: options.env,
    ...(options.reuseChallenges ? { reuseChallenges: true } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    source: client,
    counts: () => client.counts(),
    save: () => client.flush(),
    newRun: () => client.newRun(),
  };
}
