import type { LaminarConfig } from "../config/types.js";
import type { RepositoryHistory } from "../git/file-history.js";
import type { RepositoryRef, TagSource } from "../registry/types.js";
import type { ScannedFile, ScanWarning } from "../scan/repository.js";
import { classifySite, repoKey, rulesForFile } from "./classify.js";
import { checkDigest, digestsWanted, RepositoryDecisions, tagInfo, type Tracked } from "./decide.js";
import { askTagDetails, askTagList } from "./facts.js";
import { HistoryView } from "./history.js";
import { PlanRecords } from "./output.js";
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
}): Promise<Plan> {
  const { config, files, tags } = input;
  const records = new PlanRecords();
  const now = input.now ?? new Date();

  const history = new HistoryView(input.history);
  const groups = new Map<string, { repo: RepositoryRef; items: Tracked[] }>();
  for (const file of files) {
    const rules = rulesForFile(config, file.path);
    // Which occurrence of its image each site is, in file order: how history versions are matched.
    const seen = new Map<string, number>();
    for (const site of file.references) {
      const image = repoKey(site.reference);
      const occurrence = site.reference.tag === undefined ? -1 : (seen.get(image) ?? 0);
      if (occurrence >= 0) seen.set(image, occurrence + 1);
      const c = classifySite(site, rules, config.registries);
      if ("stays" in c) {
        records.stay(file.path, site, c.stays, c.detail);
        continue;
      }
      const key = repoKey(site.reference);
      let g = groups.get(key);
      if (!g) {
        g = { repo: { registry: site.reference.registry, repository: site.reference.repository }, items: [] };
        groups.set(key, g);
      }
      const move = history.lastMove(file.path, image, occurrence);
      const manual = move && move.commit.laminar.length === 0 && move.to === c.tag ? move : undefined;
      g.items.push({ file: file.path, site, rule: c.follows, tag: c.tag, ...(manual ? { manualMove: manual } : {}) });
    }
  }

  // Repositories are independent: ask them concurrently (the registry client bounds concurrency).
  await Promise.all([...groups.values()].map(({ repo, items }) => planRepository(tags, repo, items, records, now)));
  return records.plan(input.warnings);
}

/** The sites of one repository: list its tags, learn the times and digests needed, decide each. */
async function planRepository(
  tags: TagSource,
  repo: RepositoryRef,
  items: readonly Tracked[],
  records: PlanRecords,
  now: Date,
): Promise<void> {
  const listed = await askTagList(tags, repo);
  if (!listed.ok) return records.registryError(items, listed.failure);
  const decisions = new RepositoryDecisions(repo, listed.value, now);

  const described = await askTagDetails(tags, repo, { times: decisions.timesWanted(items), digests: [] });
  if (!described.ok) return records.registryError(items, described.failure);
  const info = tagInfo(listed.value, described.value);

  const moves: Array<{ it: Tracked; to: string }> = [];
  for (const it of items) {
    const d = decisions.decide(it, info);
    if ("move" in d) moves.push({ it, to: d.move });
    else records.stay(it.file, it.site, d.stays, d.detail, { rule: it.rule.name, current: d.current });
  }

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
