import type { LaminarConfig } from "../config/types.js";
import { ordersByTime } from "../policy/policy.js";
import type { RepositoryRef, TagSource } from "../registry/types.js";
import type { ScannedFile, ScanWarning } from "../scan/repository.js";
import { classifySite, repoKey, rulesForFile } from "./classify.js";
import {
  checkDigest,
  digestsWanted,
  RepositoryDecisions,
  tagInfo,
  type StaysDecided,
  type TagInfo,
  type Tracked,
} from "./decide.js";
import { askTagDetails, askTagList } from "./facts.js";
import { PlanRecords } from "./output.js";
import { PlatformGate } from "./platform-gate.js";
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
  /**
   * A targeted run (Action input `images`, CLI `--image`): only references of these repositories
   * are planned, the others stay `not-targeted`; a target with a tag is planned from that tag alone.
   */
  targets?: readonly ImageTarget[];
}): Promise<Plan> {
  const { config, files, tags } = input;
  const records = new PlanRecords();
  const targeted = input.targets?.length ? targetsByRepository(input.targets) : undefined;

  const groups = new Map<string, { repo: RepositoryRef; items: Tracked[] }>();
  for (const file of files) {
    const rules = rulesForFile(config, file.path);
    for (const site of file.references) {
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
      g.items.push({ file: file.path, site, rule: c.follows, tag: c.tag });
    }
  }

  // Repositories are independent: ask them concurrently (the registry client bounds concurrency).
  await Promise.all(
    [...groups.entries()].map(([key, { repo, items }]) => {
      const pushed = targeted?.get(key);
      return pushed?.length
        ? planPushedTags(tags, repo, pushed, items, records)
        : planRepository(tags, repo, items, records);
    }),
  );
  return records.plan(input.warnings);
}

/** The sites of one repository: list its tags, learn the times and digests needed, decide each. */
async function planRepository(
  tags: TagSource,
  repo: RepositoryRef,
  items: readonly Tracked[],
  records: PlanRecords,
): Promise<void> {
  const listed = await askTagList(tags, repo);
  if (!listed.ok) return records.registryError(items, listed.failure);
  const decisions = new RepositoryDecisions(repo, listed.value);

  const described = await askTagDetails(tags, repo, { times: decisions.timesWanted(items), digests: [] });
  if (!described.ok) return records.registryError(items, described.failure);
  const info = tagInfo(listed.value, described.value);
  await decideAll(tags, repo, decisions, items, info, records);
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
): Promise<void> {
  const asked = new RepositoryDecisions(repo, { tags: pushed });
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
  const decisions = new RepositoryDecisions(repo, { tags: found });
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
  await decideAll(tags, repo, decisions, open, info, records);
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
): Promise<void> {
  const moves: Array<{ it: Tracked; to: string }> = [];
  const refresh: Array<{ it: Tracked; d: StaysDecided }> = [];
  const gate = new PlatformGate(tags, repo);
  await Promise.all(
    items.map(async (it) => {
      const d = it.rule.platforms?.length
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
