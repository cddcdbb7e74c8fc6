import { Minimatch } from "minimatch";
import type { LaminarConfig, RegistrySettings, UpdateRule } from "../config/types.js";
import { familiarName } from "../reference/format.js";
import type { ImageSite, SitePolicy } from "../scan/site.js";
import { matchesAny } from "../scan/select.js";
import type { UnchangedReason } from "./types.js";

/** A site that follows a channel: the first selecting rule whose pattern its current tag matches. */
export interface Follows {
  readonly follows: UpdateRule;
  readonly tag: string;
}

/** A site that stays before any registry is asked, and why. */
export interface StaysUnasked {
  readonly stays: UnchangedReason;
  readonly detail: string;
}

/**
 * Which channel a site follows, or why it stays, from the configuration and the file alone. Pure.
 *
 * The order of the checks is the order a reader fixes them in: no rule for the file first (nothing
 * else matters), then what the file itself says can never move (`site.skip`: templated, ignored, no
 * tag — before image selection, because a templated name can match no image glob and "not selected"
 * would send the reader to the wrong place), then image selection, a missing tag, and the channel.
 *
 * @param site - the image site as scanned.
 * @param rules - the update rules whose `files` select the site's file (see {@link rulesForFile}).
 * @param registries - the configured registries; when any are listed, other registries are left alone.
 */
export function classifySite(
  site: ImageSite,
  rules: readonly UpdateRule[],
  registries: readonly RegistrySettings[],
): Follows | StaysUnasked {
  if (rules.length === 0) return { stays: "no-rule", detail: "no update rule selects this file" };
  if (site.skip) return { stays: site.skip.reason, detail: site.skip.detail };
  if (site.policy) return followsOwnPolicy(site, site.policy, registries);
  const selecting = rules.filter((u) => imageSelected(site, u, registries));
  if (selecting.length === 0) {
    const detail =
      registries.length && !registryFor(site, registries)
        ? `registry ${site.reference.registry} is not among the configured registries`
        : `no rule's \`images\` selects ${familiarName(site.reference)}`;
    return { stays: "image-not-selected", detail };
  }
  const tag = site.reference.tag;
  if (tag === undefined) {
    const detail = site.reference.digest
      ? "pinned by digest only; add a tag to let Laminar move it"
      : "no tag (docker would pull `latest`)";
    return { stays: "no-tag", detail };
  }
  // Channels: a site follows the first rule whose pattern its current tag matches.
  const rule = selecting.find((u) => u.policy.matches(tag));
  if (!rule)
    return {
      stays: "not-in-channel",
      detail: `tag ${tag} matches none of ${selecting.map((u) => u.policy.source).join(", ")}`,
    };
  return { follows: rule, tag };
}

/**
 * A site that carries its own policy (a Flux setter, docs/flux.md) follows it whatever the rules'
 * `images` and patterns say: the file names the policy, as it does for Flux. The configured
 * registries still bound where Laminar may ask, and its current tag need not match the policy (Flux
 * moves a setter to the policy's latest tag from anywhere; the monotonic guard still applies).
 */
function followsOwnPolicy(
  site: ImageSite,
  policy: SitePolicy,
  registries: readonly RegistrySettings[],
): Follows | StaysUnasked {
  if (registries.length && !registryFor(site, registries))
    return {
      stays: "image-not-selected",
      detail: `registry ${site.reference.registry} is not among the configured registries`,
    };
  const tag = site.reference.tag;
  if (tag === undefined) return { stays: "no-tag", detail: `no tag to move (${policy.name})` };
  return { follows: ruleOf(policy), tag };
}

// One rule object per site policy: the plan memoises candidates per rule object and `index`.
const siteRules = new WeakMap<SitePolicy, UpdateRule>();
let siteRuleCount = 0;

/** The update rule a site policy acts as; negative indexes never meet a configured rule's. */
function ruleOf(p: SitePolicy): UpdateRule {
  let rule = siteRules.get(p);
  if (!rule) {
    rule = {
      name: p.name,
      index: -++siteRuleCount,
      position: { file: p.file, line: p.line, column: 1 },
      policy: p.policy,
      files: [],
      images: [],
      exclude: p.exclude.map((policy) => ({ policy, images: [] })),
    };
    siteRules.set(p, rule);
  }
  return rule;
}

/** The update rules whose `files` select a repo-relative path, in configuration order. */
export function rulesForFile(config: LaminarConfig, path: string): UpdateRule[] {
  return config.updates.filter((u) => matchesAny(path, u.files));
}

/** Normalised `registry/repository`: the key registry questions are grouped by. */
export function repoKey(r: { readonly registry: string; readonly repository: string }): string {
  return `${r.registry}/${r.repository}`;
}

/**
 * Compiled image globs. `minimatch(name, glob)` compiles the glob on every call, and a plan asks
 * once per site, rule and name (#12); configs hold a handful of globs, so they are kept.
 */
const compiledGlobs = new Map<string, Minimatch>();
function compiledGlob(glob: string): Minimatch {
  let m = compiledGlobs.get(glob);
  if (!m) {
    if (compiledGlobs.size >= 1000) compiledGlobs.clear();
    compiledGlobs.set(glob, (m = new Minimatch(glob, { dot: true })));
  }
  return m;
}

/** Image globs match the normalised name, the familiar name, the name as written or the repository. */
export function imageMatches(site: ImageSite, globs: readonly string[]): boolean {
  const names = [repoKey(site.reference), familiarName(site.reference), site.name, site.reference.repository];
  return globs.some((g) => {
    const m = compiledGlob(g);
    return names.some((n) => m.match(n));
  });
}

function registryFor(site: ImageSite, registries: readonly RegistrySettings[]): RegistrySettings | undefined {
  const { registry, repository } = site.reference;
  return registries.find(
    (r) => r.host === registry && (r.prefix === "" || repository === r.prefix || repository.startsWith(`${r.prefix}/`)),
  );
}

function imageSelected(site: ImageSite, rule: UpdateRule, registries: readonly RegistrySettings[]): boolean {
  if (registries.length && !registryFor(site, registries)) return false;
  return rule.images.length === 0 || imageMatches(site, rule.images);
}
