import { minimatch } from "minimatch";
import semver from "semver";
import { isArtifactTag } from "./artifact-tags.js";
import { compileRe2 } from "./re2.js";

/**
 * A tag policy: which tags belong to a channel and how they are ordered.
 * Pure: no I/O. Build-time ordering needs times the registry layer supplies.
 */
export type SortKind = "build-time" | "push-time" | "numerical" | "alphabetical" | "semver";

/**
 * The `sort` of a glob or regex rule: order by build time, by the registry's push time (only where
 * it reports one: Docker Hub, GCR / Artifact Registry, ECR), or by a value (optionally a regex capture).
 */
export interface SortSpec {
  readonly by: "build-time" | "push-time" | "numerical" | "alphabetical";
  readonly capture?: string;
  readonly order?: "asc" | "desc";
}

/** A parsed tag policy (see {@link parsePolicy}): which tags are in the channel and which one wins. */
export interface TagPolicy {
  readonly kind: "glob" | "regex" | "semver";
  /** As written in the config, with its prefix: `glob:develop-*`. */
  readonly source: string;
  readonly sort: SortKind;
  readonly order: "asc" | "desc";
  /**
   * Set when the pattern is one literal tag (`glob:v1.2.3`, `regex:v1\.2\.3`): it matches that tag
   * only, needs no backtracking check, and a long list of them costs nothing to load (issue #13).
   */
  readonly literal?: string;
  matches(tag: string): boolean;
  /**
   * For value orderings (semver, numerical, alphabetical): compares two matching tags;
   * positive when `a` should win over `b`. Undefined for time orderings (build-time, push-time).
   */
  readonly compare?: (a: string, b: string) => number;
}

/** A pattern or sort that cannot be a policy (bad glob, regex, semver range or capture); the config reports it with its line. */
export class PolicyError extends Error {
  override readonly name = "PolicyError";
}

const MAX_REGEX_LENGTH = 1000;

/** Parses `glob:…`, `regex:…`, `semver:…` (a bare value is a glob). Throws PolicyError. */
export function parsePolicy(
  text: string,
  options: { sort?: SortSpec | undefined; prerelease?: boolean | undefined } = {},
): TagPolicy {
  const m = /^(glob|regex|semver):(.*)$/s.exec(text);
  const kind = (m?.[1] ?? "glob") as TagPolicy["kind"];
  const body = m ? (m[2] ?? "") : text;
  if (body.trim() === "") throw new PolicyError(`empty ${kind} pattern`);
  if (kind === "semver") {
    if (options.sort && options.sort.by !== "build-time")
      throw new PolicyError("`sort` applies to regex patterns; semver is always ordered by version");
    return semverPolicy(text, body, options.prerelease ?? false);
  }
  if (kind === "glob") {
    if (options.sort && options.sort.by !== "build-time" && options.sort.by !== "push-time")
      throw new PolicyError("`sort` by a capture needs a regex pattern with a named group");
    if (!/[*?[\]{}()!+@\\]/.test(body)) return literalPolicy("glob", text, body);
    return globPolicy(text, body, options.sort?.by === "push-time" ? "push-time" : "build-time");
  }
  if (!options.sort || options.sort.by === "build-time") {
    // Only escaped punctuation and plain characters: `v1\.2\.3` is the tag v1.2.3.
    const plain = body.replace(/\\([^\w\s])/g, "$1");
    if (!/[\\^$.|?*+()[\]{}]/.test(body.replace(/\\[^\w\s]/g, "")) && body.length <= MAX_REGEX_LENGTH)
      return literalPolicy("regex", text, plain, options.sort?.order);
  }
  return regexPolicy(text, body, options.sort);
}

/** A pattern that is one literal tag: compared as a string, nothing to compile or check. */
function literalPolicy(kind: "glob" | "regex", source: string, tag: string, order: "asc" | "desc" = "asc"): TagPolicy {
  return { kind, source, sort: "build-time", order, literal: tag, matches: (t) => t === tag };
}

/** Why a glob is invalid, or undefined. minimatch accepts anything, so unclosed `[` / `{` are caught here. */
export function globProblem(glob: string): string | undefined {
  return /\[[^\]]*$/.test(glob) || /\{[^}]*$/.test(glob)
    ? `invalid glob ${JSON.stringify(glob)}: unclosed bracket`
    : undefined;
}

function globPolicy(source: string, glob: string, sort: "build-time" | "push-time"): TagPolicy {
  // Tags never contain "/", so minimatch's path semantics reduce to plain wildcard matching.
  const problem = globProblem(glob);
  if (problem) throw new PolicyError(problem);
  const mm = new minimatch.Minimatch(glob, { dot: true, nocomment: true, nonegate: true });
  return { kind: "glob", source, sort, order: "asc", matches: (tag) => mm.match(tag) };
}

/**
 * Most tags whose parsed version and channel membership one semver policy remembers. A plan asks
 * the same tags again and again (every site of a repository, every comparison of a reduce); past
 * this many the memo starts afresh, so a long-running `laminar serve` does not keep every tag it
 * ever saw.
 */
const SEMVER_MEMO_LIMIT = 50_000;

function semverPolicy(source: string, range: string, includePrerelease: boolean): TagPolicy {
  const r = semver.validRange(range, { loose: true, includePrerelease });
  if (r === null) throw new PolicyError(`invalid semver range ${JSON.stringify(range)}`);
  const parsed = new semver.Range(range, { loose: true, includePrerelease });
  // Parsed once per tag (#12: at 2,000 references × 500 repositories, re-parsing each tag in every
  // comparison was the plan's top cost). The versions are parsed with the range's options: the
  // range's comparators re-parse any SemVer whose `loose` / `includePrerelease` differ from theirs.
  // The strict parse decides what is a version at all (`1.2` and `=1.2.3` are not releases).
  const versions = new Map<string, semver.SemVer | null>();
  const inRange = new Map<string, boolean>();
  const version = (tag: string): semver.SemVer | null => {
    let v = versions.get(tag);
    if (v !== undefined) return v;
    // `v1.2.3` and `1.2.3` are the same version; partial versions (`1.2`) are not releases.
    const text = tag.startsWith("v") || tag.startsWith("V") ? tag.slice(1) : tag;
    v = semver.valid(text, { loose: false }) ? new semver.SemVer(text, { loose: true, includePrerelease }) : null;
    if (versions.size >= SEMVER_MEMO_LIMIT) versions.clear();
    versions.set(tag, v);
    return v;
  };
  return {
    kind: "semver",
    source,
    sort: "semver",
    order: "asc",
    matches: (tag) => {
      let m = inRange.get(tag);
      if (m === undefined) {
        const v = version(tag);
        m = v !== null && parsed.test(v);
        if (inRange.size >= SEMVER_MEMO_LIMIT) inRange.clear();
        inRange.set(tag, m);
      }
      return m;
    },
    compare: (a, b) => {
      const va = version(a);
      const vb = version(b);
      if (!va || !vb) return 0;
      const c = va.compare(vb);
      // Same version written two ways (v1.0.0 / 1.0.0): prefer the spelling without build metadata, then text.
      return c !== 0 ? c : b.localeCompare(a);
    },
  };
}

function regexPolicy(source: string, body: string, sort: SortSpec | undefined): TagPolicy {
  if (body.length > MAX_REGEX_LENGTH) throw new PolicyError(`regex longer than ${MAX_REGEX_LENGTH} characters`);
  // Anchored: `regex:develop-\d+` must not match `feature-develop-1`. RE2 (linear time, Flux's
  // syntax) instead of RegExp: no pattern can backtrack catastrophically on a hostile tag (#13).
  const re = compileRe2(`^(?:${body})$`, body);
  if ("problem" in re) throw new PolicyError(re.problem);
  const by = sort?.by ?? "build-time";
  const order = sort?.order ?? "asc";
  if (by === "build-time" || by === "push-time")
    return { kind: "regex", source, sort: by, order, matches: (t) => re.test(t) };
  const groups = re.groupNames;
  const capture = sort?.capture ?? groups[0];
  if (!capture) throw new PolicyError(`sort by ${by} needs a named capture group in the regex, e.g. (?<build>\\d+)`);
  if (!groups.includes(capture)) throw new PolicyError(`the regex has no named group ${JSON.stringify(capture)}`);
  const key = (tag: string): string => re.exec(tag)?.group(capture) ?? "";
  const cmp =
    by === "numerical"
      ? (a: string, b: string) => {
          const x = Number(key(a));
          const y = Number(key(b));
          if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
          return x - y;
        }
      : (a: string, b: string) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  return {
    kind: "regex",
    source,
    sort: by,
    order,
    matches: (t) => re.test(t) && (by !== "numerical" || !Number.isNaN(Number(key(t)))),
    compare: order === "asc" ? cmp : (a, b) => cmp(b, a),
  };
}

/** True for policies ordered by a time (build or push) the registry must supply, not by the tag text. */
export function ordersByTime(policy: TagPolicy): boolean {
  return policy.sort === "build-time" || policy.sort === "push-time";
}

/**
 * Tags Laminar never picks whatever the policy says: `latest` moves under everyone's feet, and
 * signature / attestation / SBOM tags are artifacts, not images ({@link isArtifactTag}).
 */
export function isNeverChosen(tag: string): boolean {
  return tag === "latest" || isArtifactTag(tag);
}
