import type { LaminarConfig, Limits, PromotionRule, UpdateRule } from "../config/types.js";
import type { RepositoryHistory } from "../git/file-history.js";
import { ordersByTime, parsePolicy } from "../policy/policy.js";
import type { RepositoryRef, TagSource } from "../registry/types.js";
import type { ScannedFile, ScanWarning } from "../scan/repository.js";
import { matchesAny } from "../scan/select.js";
import type { ImageSite } from "../scan/site.js";
import { classifySite, imageMatches, repoKey, rulesForFile } from "./classify.js";
import {
  checkDigest,
  digestsWanted,
  RepositoryDecisions,
  tagInfo,
  tooManyTags,
  type StaysDecided,
  type TagInfo,
  type Tracked,
} from "./decide.js";
import { askTagDetails, askTagList, askTimesToFetch } from "./facts.js";
import { HistoryView } from "./history.js";
import { PlanRecords, promotionRuleName } from "./output.js";
import { PlatformGate } from "./platform-gate.js";
import { SignatureGate } from "./signature-gate.js";
import type { VerifyKey } from "../verify/cosign.js";
import { decidePromotion, type PromotionSource, type PromotionTarget } from "./promote.js";
import { targetsByRepository, type ImageTarget } from "./targets.js";
import type { Plan } from "./types.js";

/**
 * Computes the plan: for every image site, the change or the reason it stays. The only outside
 * world it touches is the `TagSource` interface; files come in already scanned. Registry questions
 * are asked once per repository however many sites point at it.
 *
 * @remarks Four stages: {@link classifySite} (pure: which channel, or why not), the registry facts
 * (`facts.ts`, the only async part), {@link RepositoryDecisions} (pure: move or stay) and
 * {@link PlanRecords} (records, byte edits, order).
 */
export async function planUpdates(input: {
  config: LaminarConfig;
  files: readonly ScannedFile[];
  tags: TagSource;
  warnings?: readonly ScanWarning[];
  /** The time `minAge` and soak times are measured against (default: now). */
  now?: Date;
  /** The files' recent git history (src/git/file-history.ts): rollbacks are respected with it. */
  history?: RepositoryHistory;
  /**
   * A targeted run (Action input `images`, CLI `--image`): only references of these repositories
   * are planned, the others stay `not-targeted`; a target with a tag is planned from that tag alone.
   */
  targets?: readonly ImageTarget[];
  /**
   * The public key of each rule with `verify.cosign`, by rule index (src/verify/keys.ts reads them).
   * A rule with `verify` but no key here moves nothing: its candidates stay `unsigned`.
   */
  verifyKeys?: ReadonlyMap<number, VerifyKey>;
}): Promise<Plan> {
  const { config, files, tags } = input;
  const records = new PlanRecords();
  const now = input.now ?? new Date();
  const targeted = input.targets?.length ? targetsByRepository(input.targets) : undefined;

  const history = new HistoryView(input.history);
  const keys = input.verifyKeys ?? new Map<number, VerifyKey>();
  const groups = new Map<string, { repo: RepositoryRef; items: Tracked[] }>();
  const promotions = new PromotionSites(config);
  for (const file of files) {
    promotions.addSources(file);
    const rules = rulesForFile(config, file.path);
    // Which occurrence of its image each site is, in file order: how history versions are matched.
    const seen = new Map<string, number>();
    for (const site of file.references) {
      const image = repoKey(site.reference);
      const occurrence = site.reference.tag === undefined ? -1 : (seen.get(image) ?? 0);
      if (occurrence >= 0) seen.set(image, occurrence + 1);
      const move = history.lastMove(file.path, image, occurrence);
      const manual = move && move.commit.laminar.length === 0 ? move : undefined;
      // A reference in a promotion's `to` files follows the promotion, not the update rules.
      const promotion = promotions.targetOf(file.path, site);
      if (promotion) {
        if (site.skip) records.stay(file.path, site, site.skip.reason, site.skip.detail);
        else if (site.reference.tag === undefined)
          records.stay(file.path, site, "no-tag", "no tag to promote", { rule: promotionRuleName(promotion.name) });
        else {
          const tag = site.reference.tag;
          promotions.track(image, site.reference, {
            file: file.path,
            site,
            promotion,
            tag,
            ...(manual && manual.to === tag ? { manualMove: manual } : {}),
          });
        }
        continue;
      }
      const c = classifySite(site, rules, config.registries);
      if ("stays" in c) {
        records.stay(file.path, site, c.stays, c.detail);
        continue;
      }
      const key = repoKey(site.reference);
      // What the file and config say (templated, not in a channel…) still counts; only the
      // registry questions are limited to the targeted repositories.
      if (targeted && !targeted.has(key)) {
        const about = [...targeted.keys()].join(", ");
        records.stay(file.path, site, "not-targeted", `this run is only about ${about}`, { rule: c.follows.name });
        continue;
      }
      let g = groups.get(key);
      if (!g) {
        g = { repo: { registry: site.reference.registry, repository: site.reference.repository }, items: [] };
        groups.set(key, g);
      }
      g.items.push({
        file: file.path,
        site,
        rule: c.follows,
        tag: c.tag,
        ...(manual && manual.to === c.tag ? { manualMove: manual } : {}),
      });
    }
  }

  // Repositories are independent: ask them concurrently (the registry client bounds concurrency).
  await Promise.all(
    [...groups.entries()].map(([key, { repo, items }]) => {
      const pushed = targeted?.get(key);
      return pushed?.length
        ? planPushedTags(tags, repo, pushed, items, records, now, keys)
        : planRepository(tags, repo, items, records, config.limits ?? {}, now, keys);
    }),
  );
  // After the update rules: a repository they listed is then known to the registry client, so its
  // promoted tags' times and digests come from this run's answers where it can.
  await Promise.all(
    promotions
      .groups()
      .map((g) => planPromotions(tags, g, (t) => promotions.sourcesFor(t), history, records, now, input.history?.note)),
  );
  return records.plan(input.warnings);
}

/** The sites of one repository: list its tags, learn the times and digests needed, decide each. */
async function planRepository(
  tags: TagSource,
  repo: RepositoryRef,
  items: readonly Tracked[],
  records: PlanRecords,
  limits: Limits,
  now: Date,
  keys: ReadonlyMap<number, VerifyKey>,
): Promise<void> {
  const listed = await askTagList(tags, repo);
  if (!listed.ok) return records.registryError(items, listed.failure);
  const over = tooManyTags(repo, listed.value);
  if (over) {
    for (const it of items) records.stay(it.file, it.site, over.stays, over.detail, { rule: it.rule.name });
    return;
  }
  const decisions = new RepositoryDecisions(repo, listed.value, limits.candidates, now);
  // A channel with more unlisted times than limits.candidates: only the ones the source must fetch
  // count (its cache holds the rest); past the limit this run fetches a batch and the sites wait.
  const toFetch = await askTimesToFetch(tags, repo, decisions.unlistedTimes(items));
  if (!toFetch.ok) return records.registryError(items, toFetch.failure);
  decisions.fetchCosts(toFetch.value.toFetch, toFetch.value.apiFailure);

  const described = await askTagDetails(tags, repo, { times: decisions.timesWanted(items), digests: [] });
  if (!described.ok) return records.registryError(items, described.failure);
  const info = tagInfo(listed.value, described.value);
  await decideAll(tags, repo, decisions, items, info, records, keys);
}

/**
 * A targeted run with the pushed tag(s) named: the registry is asked about those tags only (and the
 * current tags' build times, which a warm cache answers), never for the tag list. A reference moves
 * when a pushed tag is in its channel and newer than its current build, as in a full run.
 */
async function planPushedTags(
  tags: TagSource,
  repo: RepositoryRef,
  pushed: readonly string[],
  items: readonly Tracked[],
  records: PlanRecords,
  now: Date,
  keys: ReadonlyMap<number, VerifyKey>,
): Promise<void> {
  const asked = new RepositoryDecisions(repo, { tags: pushed }, undefined, now);
  const byTime = items.filter((it) => ordersByTime(it.rule.policy));
  const inChannel = [...new Set(items.flatMap((it) => asked.candidates(it)))];
  const timed = new Set(byTime.flatMap((it) => asked.candidates(it)));
  // Every pushed candidate is asked about, if only for its digest: it must exist before it is written.
  const described = await askTagDetails(tags, repo, {
    times: [...timed, ...new Set(byTime.map((it) => it.tag))],
    digests: inChannel.filter((t) => !timed.has(t)),
    current: [...new Set(items.map((it) => it.tag))],
  });
  if (!described.ok) return records.registryError(items, described.failure);
  const found = pushed.filter((t) => described.value.has(t));
  const decisions = new RepositoryDecisions(repo, { tags: found }, undefined, now);
  const info = tagInfo({ tags: found }, described.value);
  const open: Tracked[] = [];
  for (const it of items) {
    if (decisions.candidates(it).length > 0) open.push(it);
    else {
      const missing = pushed.filter((t) => !found.includes(t) && asked.candidates(it).includes(t));
      const detail = missing.length
        ? `${missing.join(", ")} not found in ${repoKey(repo)}`
        : `${pushed.join(", ")} ${pushed.length > 1 ? "do" : "does"} not match ${it.rule.policy.source}`;
      records.stay(it.file, it.site, "no-candidates", `targeted run: ${detail}`, { rule: it.rule.name });
    }
  }
  await decideAll(tags, repo, decisions, open, info, records, keys);
}

/**
 * `digest: refresh`: up-to-date sites pinned `tag@digest` whose tag now names another digest (the
 * tag was pushed again: a rebuilt `nginx:1.27`) get the new digest, a digest-only change. The
 * digest is asked fresh (a HEAD per tag): a re-push leaves the tag list, and so the cache, unchanged.
 */
async function refreshDigests(
  tags: TagSource,
  repo: RepositoryRef,
  items: readonly { it: Tracked; d: StaysDecided }[],
  info: TagInfo,
  records: PlanRecords,
): Promise<void> {
  if (items.length === 0) return;
  const fresh = [...new Set(items.map(({ it }) => it.tag))];
  const answer = await askTagDetails(tags, repo, { times: [], digests: [], fresh });
  if (!answer.ok)
    return records.registryError(
      items.map(({ it }) => it),
      answer.failure,
    );
  for (const { it, d } of items) {
    const now = answer.value.get(it.tag)?.digest;
    const checked = checkDigest(repo, it, it.tag, now);
    if ("toDigest" in checked && checked.toDigest && checked.toDigest !== it.site.reference.digest)
      records.change(it, it.tag, checked.toDigest, info, true);
    else if ("failure" in checked && checked.failure) records.registryError([it], checked.failure);
    else
      records.stay(it.file, it.site, d.stays, `${d.detail}; its digest is current`, {
        rule: it.rule.name,
        current: d.current,
      });
  }
}

/** Decides each site, then learns the digests pinned moves need and records every change. */
async function decideAll(
  tags: TagSource,
  repo: RepositoryRef,
  decisions: RepositoryDecisions,
  items: readonly Tracked[],
  info: TagInfo,
  records: PlanRecords,
  keys: ReadonlyMap<number, VerifyKey>,
): Promise<void> {
  const moves: Array<{ it: Tracked; to: string }> = [];
  const refresh: Array<{ it: Tracked; d: StaysDecided }> = [];
  const gate = new PlatformGate(tags, repo);
  const signatures = new SignatureGate(tags, repo, gate);
  await Promise.all(
    items.map(async (it) => {
      const key = keys.get(it.rule.index);
      const d = it.rule.verify
        ? key
          ? await signatures.decide(decisions, it, info, key, it.rule.platforms)
          : ({ stays: "unsigned", detail: "no public key loaded for verify.cosign" } as const)
        : it.rule.platforms?.length
          ? await gate.decide(decisions, it, info, it.rule.platforms)
          : decisions.decide(it, info);
      if ("move" in d) moves.push({ it, to: d.move });
      else if ("failure" in d) records.registryError([it], d.failure);
      else if (d.stays === "up-to-date" && it.site.reference.digest && it.rule.digest === "refresh")
        refresh.push({ it, d });
      else records.stay(it.file, it.site, d.stays, d.detail, { rule: it.rule.name, current: d.current });
    }),
  );
  await refreshDigests(tags, repo, refresh, info, records);

  // Sites pinned `tag@digest` also need the new digest; it is asked only for moves, once per tag.
  const wanted = digestsWanted(moves, info);
  const digests = await askTagDetails(tags, repo, { times: [], digests: wanted });
  // Only the pinned moves that needed this answer stay; a move whose digest was already known proceeds.
  const unanswered = digests.ok ? [] : moves.filter((m) => m.it.site.reference.digest && wanted.includes(m.to));
  if (!digests.ok)
    records.registryError(
      unanswered.map((m) => m.it),
      digests.failure,
    );
  for (const move of moves) {
    if (unanswered.includes(move)) continue;
    const { it, to } = move;
    const learnt = digests.ok ? digests.value.get(to)?.digest : undefined;
    const checked = checkDigest(repo, it, to, learnt ?? info(to)?.digest);
    if ("toDigest" in checked) records.change(it, to, checked.toDigest, info);
    else if (checked.failure) records.registryError([it], checked.failure);
    else records.stay(it.file, it.site, checked.stays, checked.detail, { rule: it.rule.name });
  }
}

/**
 * The promotion targets of one repository: ask the build times of the source and current tags
 * (cached after the first run) and, through the same answer, the promoted tags' digests; decide each.
 */
async function planPromotions(
  tags: TagSource,
  group: { repo: RepositoryRef; targets: PromotionTarget[] },
  sourcesFor: (t: PromotionTarget) => readonly PromotionSource[],
  history: HistoryView,
  records: PlanRecords,
  now: Date,
  note: string | undefined,
): Promise<void> {
  const { repo, targets } = group;
  const asked = new Set<string>();
  for (const t of targets) {
    asked.add(t.tag);
    for (const s of sourcesFor(t)) asked.add(s.tag);
    if (t.manualMove) asked.add(t.manualMove.from);
  }
  const asTracked = (t: PromotionTarget): Tracked => ({ ...t, rule: promotionRule(t.promotion) });
  // One tag-list page first: with it the registry client trusts its cached digests and times of an
  // unchanged repository, instead of confirming each tag's manifest (one request, not one per tag).
  const listed = await askTagList(tags, repo);
  if (!listed.ok) return records.registryError(targets.map(asTracked), listed.failure);
  const answer = await askTagDetails(tags, repo, { times: [...asked], digests: [] });
  if (!answer.ok) return records.registryError(targets.map(asTracked), answer.failure);
  const info = tagInfo(listed.value, answer.value);
  for (const t of targets) {
    const sources = sourcesFor(t);
    const d = decidePromotion(t, sources, history, info, now, note);
    const rule = promotionRuleName(t.promotion.name);
    if (!("move" in d)) {
      records.stay(t.file, t.site, d.stays, d.detail, { rule, current: d.current });
      continue;
    }
    // The digest the registry gives the promoted tag must be the one `from` runs, when `from` pins it.
    const digest = info(d.move)?.digest;
    const pinned = sources.find((s) => s.tag === d.move && s.site.reference.digest)?.site.reference.digest;
    if (pinned && digest && pinned !== digest) {
      records.stay(
        t.file,
        t.site,
        "registry-error",
        `${repoKey(repo)}:${d.move} is ${digest} in the registry but ${pinned} in ${d.evidence.from}; not promoting`,
        { rule },
      );
      continue;
    }
    const checked = checkDigest(repo, asTracked(t), d.move, digest);
    if ("toDigest" in checked)
      records.promote(t, d.move, checked.toDigest, info, { ...d.evidence, ...(digest ? { digest } : {}) });
    else if (checked.failure) records.registryError([asTracked(t)], checked.failure);
    else records.stay(t.file, t.site, checked.stays, checked.detail, { rule });
  }
}

/** The update rule a promotion acts as where the plan's shared helpers need one (records, digests). */
const promotionRules = new WeakMap<PromotionRule, UpdateRule>();
function promotionRule(p: PromotionRule): UpdateRule {
  let rule = promotionRules.get(p);
  if (!rule) {
    rule = {
      name: promotionRuleName(p.name),
      index: -1_000_000 - p.index,
      position: p.position,
      policy: parsePolicy("*"),
      files: p.to,
      images: p.images,
      exclude: [],
    };
    promotionRules.set(p, rule);
  }
  return rule;
}

/** Which sites are promotion sources and targets, grouped for the registry questions. Pure. */
class PromotionSites {
  private readonly sources = new Map<PromotionRule, Map<string, PromotionSource[]>>();
  private readonly byRepo = new Map<string, { repo: RepositoryRef; targets: PromotionTarget[] }>();

  constructor(private readonly config: LaminarConfig) {}

  /** Records the tags of the sites of a file in some promotion's `from`. */
  addSources(file: ScannedFile): void {
    for (const p of this.config.promotions) {
      if (!matchesAny(file.path, p.from)) continue;
      let m = this.sources.get(p);
      if (!m) this.sources.set(p, (m = new Map()));
      for (const site of file.references) {
        const tag = site.reference.tag;
        if (site.skip || tag === undefined || !this.selects(p, site)) continue;
        const key = repoKey(site.reference);
        m.set(key, [...(m.get(key) ?? []), { file: file.path, site, tag }]);
      }
    }
  }

  /** The first promotion whose `to` holds this file and whose `images` select the site. */
  targetOf(path: string, site: ImageSite): PromotionRule | undefined {
    return this.config.promotions.find((p) => matchesAny(path, p.to) && this.selects(p, site));
  }

  track(image: string, ref: RepositoryRef, target: PromotionTarget): void {
    let g = this.byRepo.get(image);
    if (!g) this.byRepo.set(image, (g = { repo: { registry: ref.registry, repository: ref.repository }, targets: [] }));
    g.targets.push(target);
  }

  groups(): Array<{ repo: RepositoryRef; targets: PromotionTarget[] }> {
    return [...this.byRepo.values()];
  }

  sourcesFor(t: PromotionTarget): readonly PromotionSource[] {
    return this.sources.get(t.promotion)?.get(repoKey(t.site.reference)) ?? [];
  }

  private selects(p: PromotionRule, site: ImageSite): boolean {
    return p.images.length === 0 || imageMatches(site, p.images);
  }
}
