import type { TagPolicy } from "../policy/policy.js";
import type { ConfigDuration } from "./duration.js";

/** Where a value sits in the config file, for error messages and plan explanations. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * One `registries` entry: how to reach a registry (or a prefix of it). Credentials are never in the
 * config: it names the environment variables that hold them (`usernameEnv`, `passwordEnv`, `tokenEnv`).
 */
export interface RegistrySettings {
  /** `host[:port]`, lower-cased; `docker.io` for Docker Hub. */
  readonly host: string;
  /** Repository prefix inside the registry (`acme` for `ghcr.io/acme`), or "" for the whole registry. */
  readonly prefix: string;
  readonly name?: string;
  readonly insecure?: boolean;
  /** Send credentials to a token realm on another host or over plain http (issue #13). */
  readonly trustRealm?: boolean;
  readonly usernameEnv?: string;
  readonly passwordEnv?: string;
  readonly tokenEnv?: string;
  readonly pageCap?: number;
  readonly platforms?: readonly string[];
  /** Seconds per request. */
  readonly timeout?: number;
  /**
   * The registry's own timestamp API: `auto` (default: Docker Hub, GCR, ECR and quay.io by host),
   * `none`, or one named (`quay` / `harbor` for a self-hosted Quay or Harbor).
   */
  readonly api?: "auto" | "none" | "docker-hub" | "gcr" | "ecr" | "quay" | "harbor";
  /** Whose credential chain logs in when docker's config has nothing (default: from the host). */
  readonly cloud?: "aws" | "google" | "azure" | "none";
  /** ECR: role to assume, region, profile, API endpoint for the AWS SDK chain. */
  readonly aws?: {
    readonly roleArn?: string;
    readonly region?: string;
    readonly profile?: string;
    readonly endpoint?: string;
  };
}

/** One `exclude` entry of a rule: tags its policy matches are never chosen for the images listed. */
export interface TagFilter {
  readonly policy: TagPolicy;
  /** Image globs this exclusion is limited to; empty = every image of the rule. */
  readonly images: readonly string[];
  /** Where it is written (`exclude[1]` or its `blacklist` alias), for warnings that name file, line and key. */
  readonly at?: { readonly key: "exclude" | "blacklist"; readonly index: number; readonly position: SourcePosition };
}

/** One `updates` entry: which files and images it covers, and the tag policy that picks the new tag. */
export interface UpdateRule {
  /** `updates[N]` or the rule's `name`. */
  readonly name: string;
  readonly index: number;
  readonly position: SourcePosition;
  /** Where `pattern` is written. */
  readonly patternPosition?: SourcePosition;
  readonly policy: TagPolicy;
  /** Normalised file selectors: globs relative to the repo root (`dev/**`, `k8s/app.yaml`). */
  readonly files: readonly string[];
  /** Where each `files` entry is written, parallel to `files`. */
  readonly filePositions?: readonly SourcePosition[];
  readonly images: readonly string[];
  readonly exclude: readonly TagFilter[];
  /** `minAge`: candidates built less than this long ago are not chosen yet (issue #14). */
  readonly minAge?: ConfigDuration;
  /** Required platforms (`os/arch[/variant]`): candidates lacking one are skipped (issue #15). */
  readonly platforms?: readonly string[];
  /** `refresh`: a reference pinned `tag@digest` whose tag now names another digest gets it (issue #15). */
  readonly digest?: "refresh";
  /** `verify.cosign`: only candidates signed by this key are chosen (issue #15). */
  readonly verify?: { readonly cosign: CosignKeySource };
}

/**
 * Where a rule's cosign public key (PEM) comes from: a file relative to the repository root, or an
 * environment variable. Read by src/verify/keys.ts before planning; `position` is where it is set.
 */
export type CosignKeySource = ({ readonly key: string } | { readonly keyEnv: string }) & {
  readonly position: SourcePosition;
};

/**
 * One `promotions` entry (issue #14): each reference in `to` takes the tag the same image has in
 * `from` once that tag has soaked there (measured from git history).
 */
export interface PromotionRule {
  readonly name: string;
  readonly index: number;
  readonly position: SourcePosition;
  /** Normalised file selectors, as `UpdateRule.files`. */
  readonly from: readonly string[];
  readonly to: readonly string[];
  /** Where each `from` and `to` entry is written, parallel to them. */
  readonly pathPositions?: { readonly from: readonly SourcePosition[]; readonly to: readonly SourcePosition[] };
  readonly images: readonly string[];
  readonly soak: ConfigDuration;
  readonly minAge?: ConfigDuration;
}

/**
 * `limits`: bounds on the work a run asks of registries (issue #13). Unset keys keep the defaults
 * of the code that enforces them: `tags` 100,000 (registry/tag-list.ts), `candidates` 200
 * (plan/decide.ts), `registryDeadline` 60 s (registry/http.ts).
 */
export interface Limits {
  /** Most tags read per repository. */
  readonly tags?: number;
  /**
   * Most build times of one build-time channel fetched per run (cached ones are free); a channel
   * with more to fetch is learnt over several runs (`learning-build-times`).
   */
  readonly candidates?: number;
  /** Seconds each registry may keep requests outstanding per run. */
  readonly registryDeadline?: number;
}

/** One `commands` entry: a shell command run in the repository root after the files are rewritten. */
export interface CommandSpec {
  readonly run: string;
  readonly name?: string;
  /** Seconds. */
  readonly timeout: number;
}

/**
 * `pullRequests.group` (issue #14): which changes share a pull request in pull-request mode.
 * `promotion` (the default) is one for the update rules plus one per promotion.
 */
export type PullRequestGroup = "all" | "rule" | "image" | "promotion";

/**
 * A validated `.laminar.yaml`, as {@link loadConfig} and {@link parseConfig} return it: defaults
 * filled in, policies parsed, selectors normalised. Everything downstream takes this, never raw YAML.
 */
export interface LaminarConfig {
  /** Path of the config file as given (for messages). */
  readonly file: string;
  readonly registries: readonly RegistrySettings[];
  readonly updates: readonly UpdateRule[];
  /** `promotions` (empty when the file has none). */
  readonly promotions: readonly PromotionRule[];
  readonly commands: readonly CommandSpec[];
  readonly scan: {
    readonly maxFileSize: number;
    readonly exclude: readonly string[];
    /** Threads reading and scanning files (src/scan/parallel.ts); absent: decided by size. */
    readonly threads?: number;
  };
  /** `limits`: only what the file sets; each consumer has its own default (see {@link Limits}). */
  readonly limits?: Limits;
  readonly commit: { readonly authorName?: string; readonly authorEmail?: string; readonly message?: string };
  /** `pullRequests`: only what the file sets (the grouping defaults to `promotion`). */
  readonly pullRequests?: { readonly group?: PullRequestGroup };
}

export const DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024;
export const DEFAULT_COMMAND_TIMEOUT = 600;
