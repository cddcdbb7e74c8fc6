import type { TimestampSource } from "../registry/types.js";
import type { SiteForm } from "../scan/site.js";

/** One byte edit: replace `[start, end)` (which must still read `expect`) by `replace`. */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly expect: string;
  readonly replace: string;
}

/** A reference that moves. Field names are a stable interface: other tools read `plan --json`. */
export interface PlanChange {
  /** Repo-relative POSIX path. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** How the image is written (`inline` reference, Helm values, kustomize…); added with issue #10. */
  readonly form: SiteForm;
  /** The image as written, without tag and digest (structured forms: registry and repository joined). */
  readonly image: string;
  /** Normalised `registry/repository`. */
  readonly repository: string;
  readonly from: string;
  readonly to: string;
  readonly fromDigest?: string;
  readonly toDigest?: string;
  /** True when only the digest changes (`digest: refresh`: the tag was pushed again); absent otherwise. */
  readonly digestOnly?: boolean;
  /** The update rule that moved it (`updates[0]` or its name) and its pattern. */
  readonly rule: string;
  readonly pattern: string;
  /** ISO 8601 build time of the new tag, and where that time came from. */
  readonly buildTime?: string;
  readonly timeSource?: TimestampSource;
  /** True when the time was read from Laminar's registry cache (learnt on an earlier run). */
  readonly cached?: boolean;
  readonly previousBuildTime?: string;
  /**
   * True when the new tag is written double-quoted where the old value was a plain YAML scalar, so it
   * stays a string (`tag: 1.9` → `tag: "1.10"`, not the number 1.1). Absent otherwise.
   */
  readonly quoted?: boolean;
  /** Set when a promotion (issue #14) moved it: the evidence that the tag soaked in the source. */
  readonly promotion?: PromotionEvidence;
  readonly edits: readonly Edit[];
}

/** Why a promotion moved a reference: where the tag came from, since when, and which commit brought it. */
export interface PromotionEvidence {
  /** The promotion's `name`. */
  readonly promotion: string;
  /** The `from` file (and line) holding the tag. */
  readonly from: string;
  readonly fromLine: number;
  /** The commit that brought the tag into that file, its author and committer date. */
  readonly commit: string;
  readonly author: string;
  readonly arrivedAt: string;
  /** False when the history read stopped at that commit (the tag may have arrived earlier). */
  readonly arrivalExact: boolean;
  /** How long it has soaked (`1d 2h`) and the promotion's `soak`. */
  readonly soaked: string;
  readonly soak: string;
  /** When `from` holds several tags of the image: which won and why. */
  readonly choice?: string;
  /** The promoted tag's digest as the registry gives it: what both environments run. */
  readonly digest?: string;
}

/** Why a reference stays as it is. Stable codes, for tools; `detail` is for people. */
export type UnchangedReason =
  | "no-rule" // no update rule selects this file
  | "image-not-selected" // the rules selecting this file do not select this image (images / registries)
  | "no-tag" // bare name or digest only: nothing to move
  | "templated" // the name or tag is template text (`{{ .Values.tag }}`): only a person can move it
  | "ignored" // the file marks this image to be left alone
  | "no-policy" // a Flux setter whose ImagePolicy (or its ImageRepository) is not in the repository or is invalid
  | "setter-not-applied" // a Flux `:name` / `:digest` setter, or a setter whose policy follows another image
  | "shared-tag" // one anchored tag value serves several images: moving it for one would move the others
  | "not-in-channel" // the current tag does not match any rule's pattern
  | "no-candidates" // the registry has no tag in the channel (after excludes and `latest`)
  | "up-to-date" // the current tag is the newest in its channel
  | "older-than-current" // the best candidate is older than the current tag (monotonic guard)
  | "too-new" // the newer candidates are younger than the rule's `minAge` (issue #14)
  | "soaking" // promotion: the source tag has not been in `from` for `soak` yet; the detail says until when
  | "not-in-source" // promotion: the image is not in the promotion's `from` files
  | "same-as-source" // promotion: the reference already has the newest tag of `from`
  | "no-history" // promotion: no git history to measure a soak time with
  | "held-after-rollback" // a person rolled this tag back; held until a build newer than the rolled-back one
  | "unknown-build-time" // no candidate's build time could be learnt
  | "too-many-tags" // the repository lists more tags than `limits.tags` (issue #13)
  | "learning-build-times" // more build times to fetch than `limits.candidates`: this run fetched that many (cached), later runs the rest
  | "too-many-candidates" // as above, but the tag source cannot say which times it holds (a library `TagSource` without `timesToFetch`)
  | "registry-error" // the registry or repository failed: see `detail`
  | "not-targeted" // a targeted run (`images` input, `--image`) is about other repositories
  | "missing-platform" // the newer candidates lack a platform the rule's `platforms` requires
  | "unsigned" // the newer candidates have no cosign signature (`verify.cosign`)
  | "bad-signature" // a newer candidate's cosign signature does not verify with the rule's key
  | "ambiguous-build-time"; // reproducible builds: the newest time is fixed (epoch) or shared by another build

/** A reference the plan leaves alone, and why (`reason`, with a readable `detail`). */
export interface PlanUnchanged {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** How the image is written; see `PlanChange.form`. */
  readonly form: SiteForm;
  readonly image: string;
  readonly repository: string;
  /** The current tag, or null for a reference without one. */
  readonly tag: string | null;
  readonly reason: UnchangedReason;
  readonly detail: string;
  readonly rule?: string;
  /** Build time of the current tag when it was learnt, and its source. */
  readonly buildTime?: string;
  readonly timeSource?: TimestampSource;
  readonly cached?: boolean;
}

/** A registry or repository that failed: only its references are marked, others proceed. */
export interface PlanFailure {
  readonly registry: string;
  readonly repository?: string;
  readonly status?: number;
  readonly message: string;
}

/**
 * What a run would do: every reference found is either a change or left alone with a reason;
 * `failures` names the registries that failed (only their references are affected). Pure data:
 * print it with `formatPlan`, serialise it with `planToJson`, apply it with `applyPlan`.
 */
export interface Plan {
  readonly changes: readonly PlanChange[];
  readonly unchanged: readonly PlanUnchanged[];
  readonly failures: readonly PlanFailure[];
  readonly warnings: readonly {
    readonly file: string;
    readonly line?: number;
    readonly column?: number;
    readonly message: string;
  }[];
}
