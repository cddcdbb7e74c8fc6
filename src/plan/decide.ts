import type { UpdateRule } from "../config/types.js";
import { isFixedBuildTime, isPushTime } from "../policy/build-times.js";
import { isNeverChosen, ordersByTime } from "../policy/policy.js";
import { isValidDigest, isValidTag } from "../reference/grammar.js";
import type { RepositoryRef, TagDetails, TagList } from "../registry/types.js";
import type { ImageSite } from "../scan/site.js";
import { imageMatches, repoKey } from "./classify.js";
import type { TagMove } from "./history.js";
import type { PlanFailure, UnchangedReason } from "./types.js";

/** A site that follows a channel, waiting for its repository's facts. */
export interface Tracked {
  readonly file: string;
  readonly site: ImageSite;
  readonly rule: UpdateRule;
  /** The current tag. */
  readonly tag: string;
  /**
   * The last commit that moved this tag, when it was not Laminar's (no `Laminar-Update` trailer) and
   * moved to the current tag: a person's move, which may be a rollback to respect (issue #14).
   */
  readonly manualMove?: TagMove;
}

/** What is known about a tag: from the registry's answers, else from the listing. */
export type TagInfo = (tag: string) => TagDetails | undefined;

/** A site stays after its registry facts were weighed; `current` is the current tag's details when known. */
export interface StaysDecided {
  readonly stays: UnchangedReason;
  readonly detail: string;
  /** Set for `up-to-date` and `older-than-current`: the record shows the current build time. */
  readonly current?: TagDetails | undefined;
}

/** The decision for one tracked site: move to a tag, or stay. */
export type Decision = { readonly move: string } | StaysDecided;

/**
 * Candidates of one build-time channel whose build time may be asked per run unless
 * `limits.candidates` says otherwise. Each costs a manifest and a config blob request on a cold
 * cache; 200 is far above a real channel's live tags (the newest builds of a branch) and keeps a
 * cold run against Docker Hub's 100 pulls per 6 hours within reach, where a glob over 100k tags
 * made 100,003 requests (issue #13).
 */
export const DEFAULT_MAX_CANDIDATES = 200;

/** Past this many more runs of learning, `learning-build-times` also suggests a smaller channel. */
const LONG_LEARNING_RUNS = 10;

/** The repository listed more tags than its cap: every site of it stays (`too-many-tags`). */
export function tooManyTags(repo: RepositoryRef, list: TagList): StaysDecided | undefined {
  if (list.overLimit === undefined) return undefined;
  return {
    stays: "too-many-tags",
    detail: `${repoKey(repo)} lists more than ${list.overLimit} tags (limits.tags): raise limits.tags, or delete old tags from the repository`,
  };
}

/** Looks tags up in the described details first, then in the times the listing carried. */
export function tagInfo(list: TagList, details: ReadonlyMap<string, TagDetails>): TagInfo {
  return (t) => details.get(t) ?? list.times?.get(t);
}

/**
 * The pure decisions for the sites of one repository, given its tag list (and later its details).
 * Many sites share a repository and a rule: the tag list is matched once per rule, exclusions (which
 * may name images) once per rule and image as written, and the best tag picked once per both.
 */
export class RepositoryDecisions {
  // Only valid tags (`[\w][\w.-]{0,127}`) can be written into a file: a registry that lists
  // "develop-9\n  command: …" or a 10 kB tag must not inject text or stall a pattern.
  private readonly validTags: readonly string[];
  private readonly available: ReadonlySet<string>;
  private readonly inChannel = new Map<UpdateRule, string[]>();
  private readonly candidateMemo = new Map<string, string[]>();
  private readonly bestMemo = new Map<string, string | undefined>();
  /**
   * Of the unlisted times of build-time channels, those the tag source must fetch (see
   * {@link RepositoryDecisions.fetchCosts}); undefined until told, or when the source cannot say.
   */
  private toFetch: ReadonlySet<string> | undefined;
  /** Why the registry's timestamp API gave no times this run (see {@link RepositoryDecisions.fetchCosts}). */
  private apiFailure: string | undefined;
  // Per rule and image, as the candidates: thousands of sites may share one channel of 100k tags.
  private readonly unlistedMemo = new Map<string, readonly string[]>();
  private readonly batchMemo = new Map<string, readonly string[]>();

  /**
   * @param maxCandidates - most candidates of one build-time channel whose build time is asked
   *   (`limits.candidates`, default {@link DEFAULT_MAX_CANDIDATES}).
   * @param now - the time `minAge` is measured against (the caller's clock: this module stays pure).
   */
  constructor(
    private readonly repo: RepositoryRef,
    private readonly list: TagList,
    private readonly maxCandidates: number = DEFAULT_MAX_CANDIDATES,
    private readonly now: Date = new Date(),
  ) {
    this.validTags = list.tags.filter(isValidTag);
    this.available = new Set(this.validTags);
  }

  /** The tags a site may move to: valid, in its rule's channel, never-chosen tags and exclusions left out. */
  candidates(it: Tracked): readonly string[] {
    const key = memoKey(it);
    let c = this.candidateMemo.get(key);
    if (!c) {
      let m = this.inChannel.get(it.rule);
      if (!m)
        this.inChannel.set(it.rule, (m = this.validTags.filter((t) => it.rule.policy.matches(t) && !isNeverChosen(t))));
      c = it.rule.exclude.length ? m.filter((t) => !excluded(t, it.site, it.rule)) : m;
      this.candidateMemo.set(key, c);
    }
    return c;
  }

  /**
   * Candidates of the build-time channels whose time the listing did not give, when some channel has
   * more of them than `limits.candidates`: the tags to ask the source's `TagSource.timesToFetch`
   * about. Empty (nothing to ask) while every channel is within the limit anyway.
   */
  unlistedTimes(items: readonly Tracked[]): string[] {
    const over = items.filter((it) => this.unlisted(it).length > this.maxCandidates);
    return [...new Set(over.flatMap((it) => this.unlisted(it)))];
  }

  /**
   * What the tag source said it must fetch of {@link RepositoryDecisions.unlistedTimes}: only those
   * count against `limits.candidates` (a time cached by an earlier run costs no fetch). Undefined:
   * the source cannot tell, and every unlisted time counts.
   *
   * @param apiFailure - the registry's timestamp API failed (its message names the registry and
   *   HTTP status): the times come from manifests, and a channel learnt over runs says why.
   */
  fetchCosts(toFetch: readonly string[] | undefined, apiFailure?: string): void {
    this.toFetch = toFetch && new Set(toFetch);
    this.apiFailure = apiFailure;
    this.batchMemo.clear();
  }

  /**
   * Tags whose build time must still be asked: for build-time channels, every candidate and every
   * current tag the registry still has, minus what the listing already gave. A channel with more
   * times to fetch than `limits.candidates` asks only its {@link RepositoryDecisions.learningBatch}.
   */
  timesWanted(items: readonly Tracked[]): string[] {
    const want = new Set<string>();
    const known = (t: string): boolean => this.list.times?.get(t)?.created !== undefined;
    for (const it of items) {
      const { compare } = it.rule.policy;
      if (compare) {
        // Version orderings need no times, except `minAge` on the versions that would win over the
        // current one (asked once, then cached: a warm run asks nothing).
        if (it.rule.minAge) for (const t of this.candidates(it)) if (compare(t, it.tag) > 0 && !known(t)) want.add(t);
        continue;
      }
      if (!ordersByTime(it.rule.policy)) continue;
      if (this.unknownTimes(it) > this.maxCandidates) {
        for (const t of this.learningBatch(it)) want.add(t);
        continue;
      }
      for (const t of this.candidates(it)) if (!known(t)) want.add(t);
      if (this.available.has(it.tag) && !known(it.tag)) want.add(it.tag);
      // A person's move: the tag it moved from decides whether it was a rollback (cached afterwards).
      const from = it.manualMove?.from;
      if (from !== undefined && this.available.has(from) && !known(from)) want.add(from);
    }
    return [...want];
  }

  /** Candidates of a build-time channel whose time the listing did not give (none for other orderings). */
  private unlisted(it: Tracked): readonly string[] {
    if (it.rule.policy.sort !== "build-time") return [];
    const key = memoKey(it);
    let u = this.unlistedMemo.get(key);
    if (!u) {
      u = this.candidates(it).filter((t) => this.list.times?.get(t)?.created === undefined);
      this.unlistedMemo.set(key, u);
    }
    return u;
  }

  /** Unlisted candidate times the source must fetch: cached ones are free (all count when it cannot tell). */
  private toFetchOf(it: Tracked): readonly string[] {
    const unlisted = this.unlisted(it);
    const toFetch = this.toFetch;
    return toFetch && unlisted.length > this.maxCandidates ? unlisted.filter((t) => toFetch.has(t)) : unlisted;
  }

  private unknownTimes(it: Tracked): number {
    return this.toFetchOf(it).length;
  }

  /**
   * The times a channel over `limits.candidates` fetches this run (none when the source cannot say
   * which it holds: asking would never make the channel smaller). The highest tags first, by a
   * numeric-aware comparison (`main-1000` after `main-999`): the registry lists tags in lexical
   * order, which says nothing about age, while a CI channel's tags carry a build number or a date,
   * so these are most likely the newest builds. Retention policies delete the oldest tags first,
   * so newest-first wastes the fewest requests on tags gone before the channel is fully known.
   * The order is deterministic: each run continues where the last stopped, as the cache now holds
   * what it fetched (new tags pushed in between simply join the next batch).
   */
  private learningBatch(it: Tracked): readonly string[] {
    if (!this.toFetch) return [];
    const key = memoKey(it);
    let batch = this.batchMemo.get(key);
    if (!batch) {
      batch = [...this.toFetchOf(it)].sort((a, b) => NEWEST_FIRST.compare(b, a)).slice(0, this.maxCandidates);
      this.batchMemo.set(key, batch);
    }
    return batch;
  }

  /**
   * Move or stay: best candidate, then the up-to-date and monotonic (never backwards) checks.
   *
   * @param skip - candidates a gate refused (a rule's `platforms`): the next best is decided.
   */
  decide(it: Tracked, info: TagInfo, skip?: ReadonlySet<string>): Decision {
    const all = this.candidates(it);
    const candidates = skip?.size ? all.filter((t) => !skip.has(t)) : all;
    const unknown = this.unknownTimes(it);
    if (unknown > this.maxCandidates && this.toFetch) {
      const left = unknown - this.maxCandidates;
      const runs = Math.ceil(left / this.maxCandidates);
      return {
        stays: "learning-build-times",
        detail:
          // Users expect a timestamp API to answer in pages: say why this channel costs manifests.
          (this.apiFailure ? `timestamp API failed (${this.apiFailure}), so build times come from manifests: ` : "") +
          `asked ${this.maxCandidates} of ${unknown} build times of ${repoKey(this.repo)} (${it.rule.policy.source}${exclusionNote(it.rule)}) ` +
          `this run (limits.candidates); ${left} left, about ${runs} more run${runs > 1 ? "s" : ""}; ` +
          `raise limits.candidates to finish in one run` +
          // A channel this large is better made smaller than learnt over days of runs.
          (runs > LONG_LEARNING_RUNS
            ? `, or narrow the pattern, exclude old tags, or order by a version in the tag (semver, or sort: numerical)`
            : ""),
      };
    }
    // Only with a tag source that cannot say which build times it holds (TagSource.timesToFetch):
    // learning in batches would ask the same batch every run, and asking all has no bound.
    if (unknown > this.maxCandidates)
      return {
        stays: "too-many-candidates",
        detail:
          `${unknown} tags of ${repoKey(this.repo)} match ${it.rule.policy.source}${exclusionNote(it.rule)} and would each need ` +
          `a build time; at most ${this.maxCandidates} are asked per run (limits.candidates): narrow the pattern, ` +
          `exclude old tags, order by a version in the tag (semver, or sort: numerical), or raise limits.candidates`,
      };
    const capped = this.list.truncated ? " (tag list truncated by the page cap)" : "";
    if (candidates.length === 0)
      return {
        stays: "no-candidates",
        detail: `no tag in ${repoKey(this.repo)} matches ${it.rule.policy.source}${exclusionNote(it.rule)}${capped}`,
      };
    const key = memoKey(it);
    // The memo holds the ungated best only: a refused candidate is per rule, not per repository.
    if (!skip?.size && !this.bestMemo.has(key))
      this.bestMemo.set(key, pickBest(it.rule, this.oldEnough(it, candidates, info), info));
    const best = skip?.size ? pickBest(it.rule, this.oldEnough(it, candidates, info), info) : this.bestMemo.get(key);
    const fixed = ordersByTime(it.rule.policy) ? candidates.filter((t) => info(t)?.fixedTime) : [];
    if (fixed.length && it.rule.policy.sort === "build-time")
      return {
        stays: "ambiguous-build-time",
        detail: `${listed([...fixed].sort())} ${fixed.length > 1 ? "say" : "says"} a reproducible build's fixed time (before 1980), so the newest build cannot be told; use sort: push-time where the registry reports push times, or exclude them${capped}`,
      };
    const current = info(it.tag);
    const tooNew = (): StaysDecided | undefined => {
      // Without minAge nothing is too new: no need to rank every candidate again for each site.
      if (!it.rule.minAge) return undefined;
      const newest = pickBest(it.rule, candidates, info);
      if (!newest || newest === it.tag || sameBuild(it, newest, info) || isOlder(it, newest, info)) return undefined;
      const built = info(newest)?.created;
      const eligible = built ? new Date(built.getTime() + it.rule.minAge.ms).toISOString() : undefined;
      return {
        stays: "too-new",
        detail: eligible
          ? `newest candidate ${newest} was built ${built?.toISOString()}; minAge ${it.rule.minAge.text}: eligible from ${eligible}`
          : `newest candidate ${newest} has no known build time; minAge ${it.rule.minAge.text} needs one`,
        current,
      };
    };
    if (!best)
      return (
        tooNew() ?? {
          stays: "unknown-build-time",
          detail:
            it.rule.policy.sort === "push-time"
              ? `the registry reported no push time for the ${candidates.length} candidate tag(s) (sort: push-time needs Docker Hub, GCR / Artifact Registry or ECR)${capped}`
              : `no build time could be learnt for the ${candidates.length} candidate tag(s)${capped}`,
        }
      );
    const ambiguous = ambiguity(it.rule, best, candidates, info);
    if (ambiguous) return { stays: "ambiguous-build-time", detail: ambiguous };
    if (best === it.tag || sameBuild(it, best, info) || isOlder(it, best, info)) {
      const held = tooNew();
      if (held) return held;
    }
    if (best === it.tag || sameBuild(it, best, info))
      return {
        stays: "up-to-date",
        detail: `${it.tag} is the newest of ${candidates.length} tag(s) matching ${it.rule.policy.source}${capped}`,
        current,
      };
    if (isOlder(it, best, info))
      return {
        stays: "older-than-current",
        detail: `newest candidate ${best} is older than the current ${it.tag}; Laminar never moves backwards`,
        current,
      };
    const held = heldAfterRollback(it, best, info);
    if (held) return { ...held, current };
    return { move: best };
  }

  /**
   * The candidates old enough for the rule's `minAge` (all of them without one). A candidate whose
   * build time is unknown cannot prove its age and waits too. Memoised per rule and image name, so
   * it must not depend on the site's current tag.
   */
  private oldEnough(it: Tracked, candidates: readonly string[], info: TagInfo): readonly string[] {
    const minAge = it.rule.minAge;
    if (!minAge) return candidates;
    const latest = this.now.getTime() - minAge.ms;
    return candidates.filter((t) => {
      const built = info(t)?.created?.getTime();
      return built !== undefined && !Number.isNaN(built) && built <= latest;
    });
  }
}

/** Target tags whose digest must still be asked: sites pinned `tag@digest` also move their digest. */
export function digestsWanted(moves: readonly { it: Tracked; to: string }[], info: TagInfo): string[] {
  return [...new Set(moves.filter((m) => m.it.site.reference.digest).map((m) => m.to))].filter((t) => !info(t)?.digest);
}

/**
 * The digest to write beside the new tag, or why the site stays. A pinned site needs one; whatever a
 * registry header said is only written when it is a digest.
 *
 * @param digest - the new tag's digest as learnt (undefined when the registry did not say).
 */
export function checkDigest(
  repo: RepositoryRef,
  it: Tracked,
  to: string,
  digest: string | undefined,
): { readonly toDigest: string | undefined } | (StaysDecided & { readonly failure?: PlanFailure }) {
  if (!it.site.reference.digest) return { toDigest: undefined };
  if (!digest) return { stays: "registry-error", detail: `could not learn the digest of ${to}` };
  if (!isValidDigest(digest)) {
    const shown = digest.length > 80 ? `${digest.slice(0, 80)}…` : digest;
    const message = `registry ${repo.registry}: ${repo.repository}:${to} has an invalid digest ${JSON.stringify(shown)}; not writing it`;
    return {
      stays: "registry-error",
      detail: message,
      failure: { registry: repo.registry, repository: repo.repository, message },
    };
  }
  return { toDigest: digest };
}

const memoKey = (it: Tracked): string => `${it.rule.index}\0${it.site.name}`;

/** Natural order (`main-999` before `main-1000`), fixed locale so that every machine picks the same batch. */
const NEWEST_FIRST = new Intl.Collator("en", { numeric: true });

function excluded(tag: string, site: ImageSite, rule: UpdateRule): boolean {
  return rule.exclude.some((x) => x.policy.matches(tag) && (x.images.length === 0 || imageMatches(site, x.images)));
}

function exclusionNote(rule: UpdateRule): string {
  return rule.exclude.length ? ` outside its ${rule.exclude.length} exclusion(s)` : "";
}

/** The time a time-ordered rule goes by: the build time, or (`sort: push-time`) only a registry's push time. */
function timeOf(rule: UpdateRule, d: TagDetails | undefined): number | undefined {
  if (rule.policy.sort === "push-time" && !isPushTime(d)) return undefined;
  return d?.created?.getTime();
}

/**
 * Why the winner of a time ordering cannot be trusted, or undefined: its time is a reproducible
 * build's fixed time (ko, Bazel, Nix write the epoch), or another build has the very same time.
 * Laminar then leaves the reference rather than guess (issue #15). A push time is never "fixed".
 */
function ambiguity(rule: UpdateRule, best: string, candidates: readonly string[], info: TagInfo): string | undefined {
  if (!ordersByTime(rule.policy)) return undefined;
  const d = info(best);
  const t = timeOf(rule, d);
  if (t === undefined || !d?.created) return undefined;
  const when = d.created.toISOString();
  if (!isPushTime(d) && isFixedBuildTime(d.created))
    return `the newest build time among ${candidates.length} candidate(s) is ${when}, a reproducible build's fixed time; the registry reports no push time to order them by`;
  const tied = candidates.filter((c) => {
    if (c === best || timeOf(rule, info(c)) !== t) return false;
    const digest = info(c)?.digest;
    return digest === undefined || digest !== d.digest;
  });
  if (tied.length === 0) return undefined;
  return `${best} and ${listed([...tied].sort())} are different builds with the same ${isPushTime(d) ? "push" : "build"} time ${when}: which is newer cannot be told`;
}

/** At most three tags by name, then how many more. */
function listed(tags: readonly string[]): string {
  return tags.length > 3 ? `${tags.slice(0, 3).join(", ")} and ${tags.length - 3} more` : tags.join(", ");
}

/** The winning tag: highest by the policy's ordering, or newest build (ties: highest tag text). */
function pickBest(rule: UpdateRule, candidates: readonly string[], info: TagInfo): string | undefined {
  const { compare } = rule.policy;
  if (compare) return candidates.length ? candidates.reduce((a, b) => (compare(b, a) > 0 ? b : a)) : undefined;
  let best: string | undefined;
  let bestTime = -Infinity;
  for (const t of candidates) {
    const time = timeOf(rule, info(t));
    if (time === undefined || Number.isNaN(time)) continue;
    if (time > bestTime || (time === bestTime && best !== undefined && t > best)) {
      best = t;
      bestTime = time;
    }
  }
  return best;
}

/** Build-time channels: a different tag of the same build (same digest or time) is not a move. */
function sameBuild(it: { rule: UpdateRule; tag: string }, best: string, info: TagInfo): boolean {
  if (it.rule.policy.compare) return false;
  const cur = info(it.tag);
  const next = info(best);
  const curTime = timeOf(it.rule, cur);
  return (
    (cur?.digest !== undefined && cur.digest === next?.digest) ||
    (curTime !== undefined && curTime === timeOf(it.rule, next))
  );
}

/**
 * Rollbacks respected (issue #14): when the last commit that changed this tag was a person's and
 * moved it to an older build, the site stays until a build newer than the one rolled back from
 * appears; a newer build means the fix the rollback waited for has shipped.
 */
function heldAfterRollback(it: Tracked, best: string, info: TagInfo): StaysDecided | undefined {
  const m = it.manualMove;
  if (!m || newer(it.rule, m.from, m.to, info) !== true) return undefined;
  if (newer(it.rule, best, m.from, info) === true) return undefined;
  const c = m.commit;
  return {
    stays: "held-after-rollback",
    detail: `commit ${c.sha.slice(0, 12)} by ${c.authorName} <${c.authorEmail}> (${c.date}) rolled ${m.from} back to ${m.to}; held until a build newer than ${m.from} appears (newest candidate: ${best})`,
  };
}

/** Is `a` newer than `b` (by the policy's ordering, else build time)? Undefined when a time is unknown. */
function newer(rule: UpdateRule, a: string, b: string, info: TagInfo): boolean | undefined {
  if (rule.policy.compare) return rule.policy.compare(a, b) > 0;
  const x = info(a)?.created?.getTime();
  const y = info(b)?.created?.getTime();
  if (x === undefined || y === undefined || Number.isNaN(x) || Number.isNaN(y)) return undefined;
  return x > y;
}

/** Monotonic guard: would moving to `best` go back in time (or version)? */
function isOlder(it: { rule: UpdateRule; tag: string }, best: string, info: TagInfo): boolean {
  const { compare } = it.rule.policy;
  if (compare) return compare(best, it.tag) <= 0;
  const cur = timeOf(it.rule, info(it.tag));
  const next = timeOf(it.rule, info(best));
  // An unknown current time (tag deleted from the registry) cannot hold the site back.
  if (cur === undefined || next === undefined) return false;
  return next <= cur;
}
