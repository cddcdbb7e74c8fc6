import semver from "semver";
import { PolicyError, type TagPolicy } from "./policy.js";
import { compileRe2, type Re2Match, type Re2Pattern } from "./re2.js";

/**
 * Laminar tag policies built from Flux `ImagePolicy` / `ImageRepository` specs. Pure: objects in,
 * policies out. Flux's model (https://fluxcd.io/flux/components/image/imagepolicies/) is a filter
 * first — `filterTags.pattern`, an unanchored Go regexp, and `extract`, a replacement template whose
 * result is what gets ordered — then exactly one ordering: `semver.range`, `numerical.order` or
 * `alphabetical.order`. Both orders default to `asc`, which selects the highest value ("given the
 * letters of the alphabet as tags, ascending order would select Z").
 */

/** The parts of an `ImagePolicy.spec` that choose a tag (v1beta2 and v1 have the same shape). */
export interface FluxPolicySpec {
  readonly policy?: {
    readonly semver?: { readonly range?: unknown };
    readonly numerical?: { readonly order?: unknown };
    readonly alphabetical?: { readonly order?: unknown };
  };
  readonly filterTags?: { readonly pattern?: unknown; readonly extract?: unknown };
}

/**
 * Flux's default `ImageRepository.spec.exclusionList` when none is given: cosign signature tags.
 * https://fluxcd.io/flux/components/image/imagerepositories/#exclusion-list
 */
export const FLUX_DEFAULT_EXCLUSIONS: readonly string[] = ["^.*\\.sig$"];

/**
 * The tag policy an `ImagePolicy.spec` describes: which tags qualify and which one wins.
 *
 * @param spec - the ImagePolicy's `spec` as parsed from YAML (unknown shapes are a PolicyError).
 * @returns a policy whose `compare` orders tags by the extracted value; `source` summarises it.
 * @throws PolicyError when the spec names no ordering, an invalid range, order or regex.
 */
export function fluxTagPolicy(spec: FluxPolicySpec): TagPolicy {
  const choice = spec.policy ?? {};
  const pattern = optionalString(spec.filterTags?.pattern, "filterTags.pattern");
  const extract = optionalString(spec.filterTags?.extract, "filterTags.extract");
  const value = tagValue(pattern, extract);
  const filterNote = pattern ? ` filter ${pattern}${extract ? ` extract ${extract}` : ""}` : "";

  if (choice.semver) {
    const range = optionalString(choice.semver.range, "policy.semver.range");
    if (!range) throw new PolicyError("ImagePolicy policy.semver.range is empty");
    // Masterminds/semver (Flux) joins constraints with "," where node-semver uses a blank.
    const npmRange = range.replace(/\s*,\s*/g, " ");
    if (semver.validRange(npmRange, { loose: true }) === null)
      throw new PolicyError(`invalid semver range ${JSON.stringify(range)}`);
    const r = new semver.Range(npmRange, { loose: true });
    const version = (tag: string): semver.SemVer | null => {
      const v = value(tag);
      return v === undefined ? null : fluxVersion(v);
    };
    return {
      kind: "semver",
      source: `semver:${range}${filterNote}`,
      sort: "semver",
      order: "asc",
      matches: (tag) => {
        const v = version(tag);
        return v !== null && r.test(v);
      },
      compare: (a, b) => {
        const va = version(a);
        const vb = version(b);
        if (!va || !vb) return 0;
        return semver.compare(va, vb) || (a < b ? 1 : a > b ? -1 : 0);
      },
    };
  }
  const ordering = choice.numerical ? "numerical" : choice.alphabetical ? "alphabetical" : undefined;
  if (!ordering) throw new PolicyError("ImagePolicy names no policy (semver, numerical or alphabetical)");
  const order = optionalString((choice.numerical ?? choice.alphabetical)?.order, `policy.${ordering}.order`) ?? "asc";
  if (order !== "asc" && order !== "desc")
    throw new PolicyError(`policy.${ordering}.order must be asc or desc, not ${JSON.stringify(order)}`);
  // Go's strconv.ParseFloat: a number written in full, nothing around it.
  const number = (tag: string): number => {
    const v = value(tag);
    return v !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v) ? Number(v) : NaN;
  };
  const ascending =
    ordering === "numerical"
      ? (a: string, b: string) => number(a) - number(b)
      : (a: string, b: string) => {
          // Go compares strings byte by byte, not by locale.
          const x = value(a) ?? "";
          const y = value(b) ?? "";
          return x < y ? -1 : x > y ? 1 : 0;
        };
  return {
    kind: "regex",
    source: `${ordering}:${order}${filterNote}`,
    sort: ordering,
    order,
    matches: (tag) => value(tag) !== undefined && (ordering !== "numerical" || !Number.isNaN(number(tag))),
    compare: order === "asc" ? ascending : (a, b) => ascending(b, a),
  };
}

/**
 * Policies for an `ImageRepository.spec.exclusionList` (Flux's default when absent): a tag matching
 * any of them is never a candidate. Each is an unanchored regexp, as in Flux.
 */
export function fluxExclusions(list: unknown): TagPolicy[] {
  const patterns = list === undefined || list === null ? FLUX_DEFAULT_EXCLUSIONS : list;
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== "string"))
    throw new PolicyError("ImageRepository spec.exclusionList must be a list of regular expressions");
  return (patterns as string[]).map((p) => {
    const re = goRegExp(p, "exclusionList");
    return { kind: "regex", source: `regex:${p}`, sort: "build-time", order: "asc", matches: (t) => re.test(t) };
  });
}

/**
 * The value a tag is ordered by: the tag itself, or with a filter, `extract` expanded from the match
 * (Go's `Regexp.ExpandString`: `$name`, `${name}`, `$1`, `$$`); undefined when the filter rejects it.
 */
function tagValue(pattern: string | undefined, extract: string | undefined): (tag: string) => string | undefined {
  if (!pattern) return (tag) => tag;
  const re = goRegExp(pattern, "filterTags.pattern");
  return (tag) => {
    const m = re.exec(tag);
    if (m === undefined) return undefined;
    return extract ? expand(extract, m) : tag;
  };
}

function expand(template: string, m: Re2Match): string {
  return template.replace(/\$(\$|\{(\w+)\}|(\w+))/g, (_all, whole: string, braced?: string, bare?: string) => {
    if (whole === "$") return "$";
    const name = braced ?? bare ?? "";
    const found = /^\d+$/.test(name) ? m.group(Number(name)) : m.group(name);
    return found ?? "";
  });
}

/** A Go (RE2) pattern, compiled by the same linear-time RE2 engine as a configured regex. */
function goRegExp(pattern: string, field: string): Re2Pattern {
  const re = compileRe2(pattern);
  if ("problem" in re) throw new PolicyError(`${field}: ${re.problem}`);
  return re;
}

/**
 * A version the way Masterminds/semver's `NewVersion` (Flux) reads it: an optional `v`, and partial
 * versions completed with zeros (`1.2` is 1.2.0); anything else is no version.
 */
function fluxVersion(text: string): semver.SemVer | null {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?((?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/.exec(text);
  if (!m) return null;
  return semver.parse(`${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}${m[4] ?? ""}`);
}

function optionalString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw new PolicyError(`ImagePolicy ${field} must be a string`);
  return v;
}
