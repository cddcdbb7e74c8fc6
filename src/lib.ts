/**
 * Laminar as a library: everything the CLI and the GitHub Action are built from.
 * @packageDocumentation
 */
export { parseImageReference, familiarName, formatReference } from "./reference/index.js";
export type { ImageReference, InvalidReferenceCode } from "./reference/types.js";
export { InvalidReferenceError } from "./reference/types.js";
export { parseConfig } from "./config/parse.js";
export { loadConfig, DEFAULT_CONFIG_FILE } from "./config/load.js";
export { ConfigError } from "./config/errors.js";
export type {
  LaminarConfig,
  UpdateRule,
  RegistrySettings,
  CommandSpec,
  TagFilter,
  SourcePosition,
} from "./config/types.js";
export { laminarSchema } from "./config/schema.js";
export { parsePolicy, PolicyError } from "./policy/policy.js";
export type { TagPolicy, SortSpec } from "./policy/policy.js";
export { scanText } from "./scan/scan.js";
export type { FoundReference } from "./scan/scan.js";
export { scanRepository } from "./scan/repository.js";
export type { RepositoryScan, ScannedFile, ScanWarning, ScanOptions } from "./scan/repository.js";
export { planUpdates } from "./plan/plan.js";
export type { Plan, PlanChange, PlanUnchanged, PlanFailure, UnchangedReason, Edit } from "./plan/types.js";
export { applyEdits, StaleEditError } from "./rewrite/edits.js";
export { rewriteFiles, restoreFiles } from "./rewrite/rewrite.js";
export { writeFileAtomic } from "./files/atomic-write.js";
export { applyPlan, CommandFailedError } from "./apply/apply.js";
export type { ApplyResult } from "./apply/apply.js";
export { planRepository, scanForConfig, updatePass } from "./pipeline.js";
export type { UpdatePass, UpdateOptions } from "./pipeline.js";
export { planToJson, scanToJson, formatPlan } from "./report/format.js";
export { RegistryError } from "./registry/types.js";
export type {
  TagSource,
  TagList,
  TagDetails,
  RepositoryRef,
  RequestCounts,
  TimestampSource,
  DescribeRequest,
} from "./registry/types.js";
export { createTagSource, type TagSourceHandle } from "./registry/from-config.js";
export {
  parseDockerConfig,
  readDockerConfig,
  dockerConfigDir,
  type DockerConfig,
  type DockerConfigFile,
  type DockerConfigProblem,
} from "./registry/docker-config.js";
export { SecretMasker, maskableForms, MIN_SECRET_LENGTH, type KnownSecret } from "./secrets/masker.js";
export { knownSecrets, type SecretSources } from "./secrets/known-secrets.js";
export { collectSecrets, type CollectedSecrets } from "./secrets/collect.js";
