/**
 * Laminar as a library: the same engine the CLI and the GitHub Action run, with nothing internal.
 *
 * A run is: {@link loadConfig} → {@link createRegistryClient} (credentials from the environment,
 * exactly as the CLI reads them) → {@link planRepository} → {@link formatPlan} → {@link applyPlan}
 * (or one of the delivery modes: {@link pushMode}, {@link signedPushMode}, {@link pullRequestMode})
 * → `save()` the registry cache. {@link MemoryTags} stands in for a registry in tests.
 *
 * @example
 * ```ts
 * import { applyPlan, createRegistryClient, formatPlan, loadConfig, planRepository } from "@laminar-gitops/laminar";
 *
 * const dir = process.cwd();
 * const config = await loadConfig(dir);
 * const registry = createRegistryClient(config, { dir, env: process.env });
 * const { plan } = await planRepository(dir, config, registry.source);
 * console.log(formatPlan(plan));
 * await applyPlan(dir, plan, config.commands);
 * await registry.save();
 * ```
 * @packageDocumentation
 */

// Image references: docker's own grammar and normalisation.
export { parseImageReference, familiarName, formatReference } from "./reference/index.js";
export type { ImageReference, InvalidReferenceCode } from "./reference/types.js";
export { InvalidReferenceError } from "./reference/types.js";

// Configuration (.laminar.yaml).
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

// Scan: the image sites in files.
export { scanText } from "./scan/scan.js";
export type { FoundReference } from "./scan/scan.js";
export { scanRepository } from "./scan/repository.js";
export type { RepositoryScan, ScannedFile, ScanWarning, ScanOptions } from "./scan/repository.js";
export type { ImageSite, SiteForm, SitePolicy, SiteSkip, Span, ValueStyle } from "./scan/site.js";

// Plan and apply, and the one pipeline that runs them.
export { planUpdates } from "./plan/plan.js";
export type { Plan, PlanChange, PlanUnchanged, PlanFailure, UnchangedReason, Edit } from "./plan/types.js";
export { applyPlan, CommandFailedError } from "./apply/apply.js";
export type { ApplyResult, ApplyOptions } from "./apply/apply.js";
export { StaleEditError } from "./rewrite/edits.js";
export { planRepository, scanForConfig, updatePass } from "./pipeline.js";
export type { UpdatePass, UpdateOptions } from "./pipeline.js";

// Reports.
export { planToJson, scanToJson, formatPlan } from "./report/format.js";
export { pullRequestBody } from "./report/markdown.js";

// Registries: the client built from the config, the interface the plan asks, an in-memory stand-in.
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
export {
  createTagSource as createRegistryClient,
  type TagSourceHandle as RegistryClientHandle,
} from "./registry/from-config.js";
export { MemoryTags, type MemoryTag } from "./registry/memory-tags.js";

// Secrets: one masker, fed by one collector.
export { SecretMasker, type KnownSecret } from "./secrets/masker.js";
export { knownSecrets, type SecretSources } from "./secrets/known-secrets.js";
export { collectSecrets, type CollectedSecrets } from "./secrets/collect.js";

// Commit messages and pull-request texts.
export {
  parseTemplate,
  renderTemplate,
  buildCommitMessage,
  commitSubject,
  describeChange,
  TemplateError,
  TEMPLATE_VARIABLES,
  CHANGE_VARIABLES,
  type CommitTemplate,
  type ImageChange,
} from "./git/commit-message.js";

// Delivery: commit and push, commit through the API (signed), or a pull request.
export {
  resolveCommitSettings,
  ACTION_AUTHOR,
  CLI_AUTHOR,
  type CommitSettings,
  type CommitOverrides,
} from "./delivery/commit-settings.js";
export { pushMode, PushDeniedError, type PushModeOptions } from "./delivery/push.js";
export { signedPushMode, type SignedPushOptions } from "./delivery/signed-push.js";
export {
  pullRequestMode,
  defaultPullRequestBranch,
  DEFAULT_PR_TITLE,
  type PullRequestModeOptions,
  type PullRequestModeResult,
  type PullRequestSettings,
  type PullRequestOutcome,
} from "./delivery/pull-request.js";
export type { RetryLoopOptions } from "./delivery/retry-loop.js";
export { toImageChange, type DeliveryOptions, type PushModeResult } from "./delivery/types.js";

// What the delivery modes are given: git in the checkout, and the GitHub API of the repository.
export {
  createGitCommandManager,
  GitCommandError,
  type GitCommandManager,
  type GitCommandManagerOptions,
  type GitIdentity,
  type HttpCredentials,
  type PushResult,
} from "./git/git-command-manager.js";
export { createGitHubApi, type GitHubApiOptions } from "./github/github-api.js";
export type { GitHubApi, RepositoryId } from "./github/types.js";
export { VERSION } from "./version.js";
