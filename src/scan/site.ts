import type { TagPolicy } from "../policy/policy.js";
import type { ImageReference } from "../reference/types.js";

/**
 * How an image is written in its file. `inline` is one string (`ghcr.io/acme/app:1.2`); the others
 * keep name and tag in separate fields or lines (see issue #10 and README "Forms").
 */
export type SiteForm =
  "inline" | "helm-values" | "kustomize" | "argocd-parameters" | "argocd-kustomize" | "marker" | "flux-setter";

/** Byte offsets `[start, end)` into the file (the file is read as latin1: one char = one byte). */
export type Span = readonly [start: number, end: number];

/**
 * How the tag value is written, so a new tag is written the same way: `reference` is a tag inside a
 * one-string reference (after `:`), the YAML styles are a scalar of its own. A plain YAML scalar whose
 * new value would read as a number, bool or null (`1.10`, `true`, `012`) is written double-quoted.
 */
export type ValueStyle = "reference" | "plain" | "single-quoted" | "double-quoted";

/** Why a site can never move, known from the file alone (before any registry is asked). */
export interface SiteSkip {
  readonly reason: "no-tag" | "templated" | "ignored" | "no-policy" | "setter-not-applied" | "shared-tag";
  /** For people: what was found and what to change to let Laminar move it. */
  readonly detail: string;
}

/**
 * One image found in a file: the unit `scan` finds, `plan` decides and `rewrite` edits. The name,
 * tag and digest may live on different lines (Helm `repository:` / `tag:`), so each has its own span.
 */
export interface ImageSite {
  readonly form: SiteForm;
  /** Byte span of the whole site text (inline: the reference; structured: the tag value, else the name). */
  readonly start: number;
  readonly end: number;
  /** Inline: the reference as written. Structured: the tag value as written (else the name). */
  readonly text: string;
  /** 1-based line and column of `start` (column counts characters, UTF-8 aware). */
  readonly line: number;
  readonly column: number;
  /** The image, normalised; `tag` / `digest` are the current values. */
  readonly reference: ImageReference;
  /** The image name as written, without tag and digest (structured: registry and repository joined). */
  readonly name: string;
  /** Byte span of the name when it is one span in the file. */
  readonly nameSpan?: Span;
  /** Byte span of the tag value (without `:` or quotes), when there is one. */
  readonly tagSpan?: Span;
  /** Byte span of the digest (without `@` or quotes), when there is one. */
  readonly digestSpan?: Span;
  /** How the tag is written; `reference` when absent. */
  readonly tagStyle?: ValueStyle;
  /** Set when the site is found but can never move (templated, ignored, no tag). */
  readonly skip?: SiteSkip;
  /**
   * A policy the file itself gives the site (a Flux setter's `ImagePolicy`): the site follows it
   * instead of the configuration's rules. See docs/flux.md.
   */
  readonly policy?: SitePolicy;
}

/** A tag policy that travels with a site (Flux: one per `ImagePolicy`, shared by its setters). */
export interface SitePolicy {
  /** Shown as the plan's `rule`: `flux:<namespace>/<name>`. */
  readonly name: string;
  readonly policy: TagPolicy;
  /** Tags never chosen (Flux `ImageRepository.spec.exclusionList`). */
  readonly exclude: readonly TagPolicy[];
  /** Where the policy is written (the ImagePolicy object), repo-relative. */
  readonly file: string;
  readonly line: number;
}
