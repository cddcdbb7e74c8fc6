/**
 * Promotions between environments (issue #14), pure: a reference in a promotion's `to` files takes
 * the tag the same image has in its `from` files, once that tag has been there for `soak` on the
 * branch. The time a tag reached `from` comes from git history (src/git/file-history.ts, through
 * {@link HistoryView}); build times and digests from the registry answers the plan gathered.
 */
import type { PromotionRule } from "../config/types.js";
import { formatDuration } from "../config/duration.js";
import type { ImageSite } from "../scan/site.js";
import type { StaysDecided, TagInfo } from "./decide.js";
import type { HistoryView, TagArrival, TagMove } from "./history.js";
import type { PromotionEvidence } from "./types.js";

/** A tag an image has in a promotion's `from` files. */
export interface PromotionSource {
  readonly file: string;
  readonly site: ImageSite;
  readonly tag: string;
}

/** A reference in a promotion's `to` files. */
export interface PromotionTarget {
  readonly file: string;
  readonly site: ImageSite;
  readonly promotion: PromotionRule;
  /** The current tag. */
  readonly tag: string;
  /** A person's last move of this tag (see `Tracked.manualMove`): a rollback is respected here too. */
  readonly manualMove?: TagMove;
}

/** Promote to a tag (with the evidence the plan and the pull request show), or stay. */
export type PromotionDecision = { readonly move: string; readonly evidence: PromotionEvidence } | StaysDecided;

/** One source tag with when it reached `from` and whether it may be promoted now. */
interface Weighed {
  readonly tag: string;
  readonly source: PromotionSource;
  readonly arrival: TagArrival;
  readonly soakedMs: number;
  readonly built: number | undefined;
  readonly eligible: boolean;
}

/**
 * Decides one target. The checks, in the order a reader fixes them: the image is not in `from`;
 * no history to measure a soak with; already on the newest source tag; nothing has soaked (or is
 * old enough for `minAge`) yet; a person's rollback; never backwards.
 *
 * @param sources - the tags the same image has in the promotion's `from` files (any order).
 * @param note - why the history may be cut short (shallow clone that could not be deepened).
 */
export function decidePromotion(
  t: PromotionTarget,
  sources: readonly PromotionSource[],
  history: HistoryView,
  info: TagInfo,
  now: Date,
  note?: string,
): PromotionDecision {
  const p = t.promotion;
  const current = info(t.tag);
  if (sources.length === 0)
    return { stays: "not-in-source", detail: `${t.site.name} is not in ${p.from.join(", ")} (promotion ${p.name})` };
  if (!history.history)
    return {
      stays: "no-history",
      detail: `promotion ${p.name} measures soak times from git history, and this directory is not a git work tree with commits`,
    };
  const builtAt = (tag: string): number | undefined => {
    const ms = info(tag)?.created?.getTime();
    return ms === undefined || Number.isNaN(ms) ? undefined : ms;
  };
  const byNewest = (a: { tag: string; built: number | undefined }, b: { tag: string; built: number | undefined }) =>
    (b.built ?? -Infinity) - (a.built ?? -Infinity) || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0);

  const weighed: Weighed[] = [];
  const image = `${t.site.reference.registry}/${t.site.reference.repository}`;
  for (const tag of new Set(sources.map((s) => s.tag))) {
    // A tag in several `from` files counts from its latest arrival: it must have soaked in each.
    let latest: { source: PromotionSource; arrival: TagArrival } | undefined;
    for (const s of sources.filter((x) => x.tag === tag)) {
      const arrival = history.arrival(s.file, image, tag);
      if (!arrival) continue;
      if (!latest || arrival.commit.date > latest.arrival.commit.date) latest = { source: s, arrival };
    }
    if (!latest) continue;
    const soakedMs = now.getTime() - new Date(latest.arrival.commit.date).getTime();
    const built = builtAt(tag);
    const oldEnough = !p.minAge || (built !== undefined && built <= now.getTime() - p.minAge.ms);
    weighed.push({ tag, ...latest, soakedMs, built, eligible: soakedMs >= p.soak.ms && oldEnough });
  }
  if (weighed.length === 0)
    return {
      stays: "no-history",
      detail: `the tags of ${t.site.name} in ${p.from.join(", ")} are not committed yet${note ? `; ${note}` : ""}`,
    };
  weighed.sort(byNewest);
  const newest = weighed[0] as Weighed;
  if (newest.tag === t.tag)
    return {
      stays: "same-as-source",
      detail: `${t.tag} is the newest tag of ${t.site.name} in ${newest.source.file} (promotion ${p.name})`,
      current,
    };
  const winner = weighed.find((w) => w.eligible);
  const cur = builtAt(t.tag);
  const notNewer = (w: Weighed): boolean => w.built !== undefined && cur !== undefined && w.built <= cur;
  if (!newest.eligible && (!winner || winner.tag === t.tag || notNewer(winner))) {
    const c = newest.arrival.commit;
    const soakLeft = p.soak.ms - newest.soakedMs;
    if (soakLeft > 0)
      return {
        stays: "soaking",
        detail: `${newest.tag} reached ${newest.source.file} in ${c.sha.slice(0, 12)} (${c.authorName}, ${c.date}); soaked ${formatDuration(newest.soakedMs)} of ${p.soak.text}: promotable from ${new Date(new Date(c.date).getTime() + p.soak.ms).toISOString()} (${formatDuration(soakLeft)} left)${newest.arrival.exact ? "" : `; history read back only to that commit${note ? ` (${note})` : ""}`}`,
        current,
      };
    const eligibleAt =
      newest.built !== undefined ? new Date(newest.built + (p.minAge?.ms ?? 0)).toISOString() : undefined;
    return {
      stays: "too-new",
      detail: eligibleAt
        ? `${newest.tag} has soaked, but was built ${new Date(newest.built as number).toISOString()}; minAge ${p.minAge?.text}: eligible from ${eligibleAt}`
        : `${newest.tag} has soaked, but its build time is unknown; minAge ${p.minAge?.text} needs one`,
      current,
    };
  }
  // Past the check above some source tag is promotable.
  const w = winner as Weighed;
  if (w.tag === t.tag)
    return {
      stays: "same-as-source",
      detail: `${t.tag} is the newest promotable tag in ${p.from.join(", ")}`,
      current,
    };
  if (notNewer(w))
    return {
      stays: "older-than-current",
      detail: `${w.tag} (built ${new Date(w.built as number).toISOString()}) is not newer than the current ${t.tag}; promotions never move backwards`,
      current,
    };
  const m = t.manualMove;
  const from = m ? builtAt(m.from) : undefined;
  if (m && from !== undefined && cur !== undefined && from > cur && !(w.built !== undefined && w.built > from))
    return {
      stays: "held-after-rollback",
      detail: `commit ${m.commit.sha.slice(0, 12)} by ${m.commit.authorName} <${m.commit.authorEmail}> (${m.commit.date}) rolled ${m.from} back to ${m.to}; held until a build newer than ${m.from} is promoted (candidate: ${w.tag})`,
      current,
    };
  const c = w.arrival.commit;
  // Several tags of the image in `from` (two files, or two forms): the newest build that soaked wins.
  const why =
    weighed.length > 1
      ? `${p.from.join(", ")} holds ${weighed.map((x) => x.tag).join(", ")}; ${w.tag} wins: the newest build that has soaked${w === newest ? "" : ` (${newest.tag} is not promotable yet)`}`
      : "";
  return {
    move: w.tag,
    evidence: {
      promotion: p.name,
      from: w.source.file,
      fromLine: w.source.site.line,
      commit: c.sha,
      author: `${c.authorName} <${c.authorEmail}>`,
      arrivedAt: c.date,
      arrivalExact: w.arrival.exact,
      soaked: formatDuration(w.soakedMs),
      soak: p.soak.text,
      ...(why ? { choice: why } : {}),
    },
  };
}
