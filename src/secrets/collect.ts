/**
 * Gathers the known secrets of a run: the pure {@link knownSecrets} over the environment, the
 * config and docker's config.json as read by the one reader (src/registry/docker-config.ts).
 */
import type { LaminarConfig } from "../config/types.js";
import { dockerConfigDir, readDockerConfig } from "../registry/docker-config.js";
import { knownSecrets } from "./known-secrets.js";
import type { KnownSecret } from "./masker.js";

/** The secrets found, and what was wrong with docker's config.json (file and key named, no value). */
export interface CollectedSecrets {
  readonly secrets: readonly KnownSecret[];
  readonly problems: readonly string[];
}

/**
 * Reads docker's config.json (`$DOCKER_CONFIG` or `~/.docker`) and lists every known secret. A
 * malformed entry is named in `problems`; the well-formed entries are listed all the same.
 *
 * @param env - the environment of the run
 * @param options - the loaded config, and secrets given some other way
 */
export async function collectSecrets(
  env: NodeJS.ProcessEnv,
  options: { config?: Pick<LaminarConfig, "registries">; extra?: readonly KnownSecret[] } = {},
): Promise<CollectedSecrets> {
  const docker = await readDockerConfig(dockerConfigDir(env));
  return {
    secrets: knownSecrets({
      env,
      ...(options.config ? { config: options.config } : {}),
      ...(docker ? { dockerConfig: docker.config } : {}),
      ...(options.extra ? { extra: options.extra } : {}),
    }),
    problems: docker?.problems.map((p) => p.message) ?? [],
  };
}
