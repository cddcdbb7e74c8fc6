/**
 * A targeted run (`images`, `--image`, issue #15) that updates a pull request keeps the changes the
 * pull request already had for the images it did not look at.
 *
 * Why here and this way: the pull-request branch is rebuilt from the base on every run (one commit
 * on top of it, pull-request.ts). A targeted run plans only its images, so a plain rebuild would drop
 * the other images' updates from the pull request until the next full run. Planning those images
 * from the registry cache instead would need a cache-only registry client and could disagree with
 * the run that found them (minAge, the tag list age); the branch itself already says what they
 * were moved to. So the other references' values are carried over from Laminar's own commit on the
 * branch, reference by reference: only where the plan left the reference `not-targeted` (or a pushed
 * tag did not move it) and the base still holds the value that commit moved it from (a base that
 * moved it since wins). The targeted changes are planned on the base as usual; both go through the
 * rewrite stage's byte edits, the commands, the commit and the pull-request body like any change.
 * A pushed tag newer than the base's value moves the reference whatever the pull request had: a
 * dispatch is about a new build (an out-of-order one could step back from the pull request's tag).
 *
 * A branch whose head is not Laminar's commit (a person pushed to it) carries nothing: it is rebuilt
 * from the base as any run does (the branch is Laminar's own, pull-request.ts). Flux setter sites
 * (resolved across files) are not carried; the next full run puts them back.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { LaminarConfig } from "../config/types.js";
import type { GitCommandManager } from "../git/git-command-manager.js";
import { repoKey } from "../plan/classify.js";
import { editsFor } from "../plan/output.js";
import { targetsByRepository, type ImageTarget } from "../plan/targets.js";
import type { Plan, PlanChange, PlanUnchanged } from "../plan/types.js";
import type { ImageSite } from "../scan/site.js";
import { scanFile } from "../scan/structured/index.js";
import { fetchBranch } from "./remote-branch.js";

/**
 * Why a site of a repository targeted with its pushed tag(s) may stay while the pull request keeps
 * its earlier move: the run only asked about those tags (one not in the channel, older, too young,
 * unsigned…), so a move a full run found still stands. Not `held-after-rollback` (a person's rollback
 * on the base wins) nor the reasons known from the file and config alone (nothing was moved there).
 */
const PUSHED_TAG_STAYS: ReadonlySet<PlanUnchanged["reason"]> = new Set<PlanUnchanged["reason"]>([
  "no-candidates",
  "up-to-date",
  "older-than-current",
  "too-new",
  "unknown-build-time",
  "ambiguous-build-time",
  "missing-platform",
  "unsigned",
  "bad-signature",
  "registry-error",
]);

/** Where to carry from: the pull-request branch as last seen on the remote, and the pass's work tree. */
export interface CarryOverSource {
  readonly git: GitCommandManager;
  /** The work tree the plan was made on (the base's files). */
  readonly dir: string;
  readonly branch: string;
  /** The branch's sha on the remote. */
  readonly sha: string;
  /** The run's targets: a repository named with its pushed tag(s) keeps its earlier move when it stays. */
  readonly targets: readonly ImageTarget[];
}

/**
 * The changes the pull-request branch `source.sha` carries for references `plan` left `not-targeted`
 * (or, for a repository targeted with its pushed tags, left alone for a reason about those tags: see
 * {@link PUSHED_TAG_STAYS}), as plan changes against the work tree's files (empty when the head is
 * not Laminar's commit).
 */
export async function carriedChanges(
  source: CarryOverSource,
  plan: Plan,
  config: LaminarConfig,
): Promise<PlanChange[]> {
  const { git, sha } = source;
  const idle = new Map<string, PlanUnchanged[]>();
  const pushed = targetsByRepository(source.targets);
  const carries = (u: PlanUnchanged): boolean =>
    u.reason === "not-targeted" || (Boolean(pushed.get(u.repository)?.length) && PUSHED_TAG_STAYS.has(u.reason));
  for (const u of plan.unchanged) if (carries(u)) idle.set(u.file, [...(idle.get(u.file) ?? []), u]);
  if (idle.size === 0) return [];
  await fetchBranch(git, source.branch, 2);
  if ((await git.laminarTrailers(sha)).length === 0) return [];
  const parent = await git.tryRevParse(`${sha}^`);
  if (parent === undefined) return [];
  const touched = new Set(await git.diffNameOnly({ from: parent, to: sha }));
  const files = [...idle].filter(([file]) => touched.has(file));
  // Both sides of Laminar's commit for every file in one `cat-file --batch`: one git process per
  // run, however many files the pull request carries.
  const texts = await git.showFiles(
    files.flatMap(([path]) => [
      { rev: parent, path },
      { rev: sha, path },
    ]),
  );
  const out: PlanChange[] = [];
  for (const [i, [file, records]] of files.entries()) {
    const [before, after] = [texts[2 * i], texts[2 * i + 1]];
    if (before === undefined || after === undefined) continue;
    const now = (await readFile(join(source.dir, file))).toString("latin1");
    out.push(...carryFile(file, { before, after, now }, records, config));
  }
  return out;
}

/**
 * One file's carried changes. Pure. `before`/`after` are the file around Laminar's commit: its edits
 * only touch tag and digest values, so both have the same sites in the same order (else nothing is
 * carried). A site of `now` is paired with its twin by image and occurrence, as the history does.
 */
export function carryFile(
  file: string,
  text: { before: string; after: string; now: string },
  records: readonly PlanUnchanged[],
  config: LaminarConfig,
): PlanChange[] {
  const before = scanFile(text.before, file).sites;
  const after = scanFile(text.after, file).sites;
  if (before.length !== after.length || before.some((s, i) => repoKey(s.reference) !== repoKey(after[i]!.reference)))
    return [];
  const twins = new Map<string, Array<{ from: ImageSite; to: ImageSite }>>();
  before.forEach((s, i) => {
    const key = repoKey(s.reference);
    twins.set(key, [...(twins.get(key) ?? []), { from: s, to: after[i]! }]);
  });
  const seen = new Map<string, number>();
  const out: PlanChange[] = [];
  for (const site of scanFile(text.now, file).sites) {
    const key = repoKey(site.reference);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    const record = records.find((r) => r.line === site.line && r.column === site.column);
    const twin = twins.get(key)?.[occurrence];
    if (!record || !twin || site.skip || !site.tagSpan) continue;
    const was = twin.from.reference;
    const moved = twin.to.reference;
    const cur = site.reference;
    // Only a value Laminar moved, and only where the base still holds what it moved it from.
    if (moved.tag === undefined || (moved.tag === was.tag && moved.digest === was.digest)) continue;
    if (cur.tag !== was.tag || cur.digest !== was.digest) continue;
    const toDigest = cur.digest !== undefined && moved.digest !== cur.digest ? moved.digest : undefined;
    const digestOnly = moved.tag === cur.tag;
    if (digestOnly && toDigest === undefined) continue;
    const { edits, quoted } = editsFor(site, moved.tag, toDigest);
    const rule = record.rule ?? "";
    out.push({
      file,
      line: site.line,
      column: site.column,
      form: site.form,
      image: site.name,
      repository: key,
      from: cur.tag ?? "",
      to: moved.tag,
      ...(cur.digest ? { fromDigest: cur.digest } : {}),
      ...(toDigest ? { toDigest } : {}),
      ...(digestOnly ? { digestOnly: true } : {}),
      rule,
      pattern: config.updates.find((u) => u.name === rule)?.policy.source ?? "",
      ...(quoted && !digestOnly ? { quoted } : {}),
      edits: digestOnly ? edits.filter((e) => e.expect === cur.digest) : edits,
    });
  }
  return out;
}

/**
 * The plan with the carried changes added (sorted as the plan sorts) and their `not-targeted`
 * records removed: a reference is either a change or left alone, never both.
 */
export function withCarried(plan: Plan, carried: readonly PlanChange[]): Plan {
  if (carried.length === 0) return plan;
  const at = (c: { file: string; line: number; column: number }): string => `${c.file}\0${c.line}\0${c.column}`;
  const moved = new Set(carried.map(at));
  const order = (a: PlanChange, b: PlanChange): number =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
  return {
    ...plan,
    changes: [...plan.changes, ...carried].sort(order),
    unchanged: plan.unchanged.filter((u) => !moved.has(at(u))),
  };
}
