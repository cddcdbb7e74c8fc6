import type { TagDetails } from "../registry/types.js";
import { tagText } from "../rewrite/yaml-scalar.js";
import type { ImageSite } from "../scan/site.js";
import type { ScanWarning } from "../scan/repository.js";
import { repoKey } from "./classify.js";
import type { TagInfo, Tracked } from "./decide.js";
import type {
  Edit,
  Plan,
  PlanChange,
  PlanFailure,
  PlanUnchanged,
  PromotionEvidence,
  UnchangedReason,
} from "./types.js";

/**
 * Collects the plan's records as decisions come in, and hands back the sorted plan. Pure: the
 * records, byte edits and order; every "stays" of any stage goes through {@link PlanRecords.stay}
 * and every registry failure through {@link PlanRecords.registryError}.
 */
export class PlanRecords {
  private readonly changes: PlanChange[] = [];
  private readonly unchanged: PlanUnchanged[] = [];
  private readonly failures: PlanFailure[] = [];

  /** Records a site that stays, with the rule it follows and the current build time when known. */
  stay(
    file: string,
    site: ImageSite,
    reason: UnchangedReason,
    detail: string,
    extra: { rule?: string; current?: TagDetails | undefined } = {},
  ): void {
    const { rule, current } = extra;
    this.unchanged.push({
      file,
      line: site.line,
      column: site.column,
      form: site.form,
      image: site.name,
      repository: repoKey(site.reference),
      tag: site.reference.tag ?? null,
      reason,
      detail,
      ...(rule !== undefined ? { rule } : {}),
      ...(current?.created ? { buildTime: current.created.toISOString(), ...timeSource(current) } : {}),
    });
  }

  /**
   * The one path for a failed registry answer: the failure is listed once, and only the sites that
   * needed the answer stay, as `registry-error`; other repositories and sites proceed.
   */
  registryError(items: readonly Tracked[], failure: PlanFailure): void {
    const same = (f: PlanFailure): boolean =>
      f.registry === failure.registry && f.repository === failure.repository && f.message === failure.message;
    if (!this.failures.some(same)) this.failures.push(failure);
    for (const it of items) this.stay(it.file, it.site, "registry-error", failure.message, { rule: it.rule.name });
  }

  /**
   * Records a move of a tracked site to `to` (and `toDigest` for a pinned site), with its byte edits.
   * With `digestOnly` (`digest: refresh`) the tag stays as written and only the digest is edited.
   */
  change(it: Tracked, to: string, toDigest: string | undefined, info: TagInfo, digestOnly = false): void {
    const { site, rule } = it;
    const pinned = site.reference.digest;
    const next = info(to);
    const cur = info(it.tag);
    const { edits, quoted } = digestOnly
      ? { edits: editsFor(site, to, toDigest).edits.filter((e) => e.expect === pinned), quoted: false }
      : editsFor(site, to, toDigest);
    this.changes.push({
      file: it.file,
      line: site.line,
      column: site.column,
      form: site.form,
      image: site.name,
      repository: repoKey(site.reference),
      from: it.tag,
      to,
      ...(pinned ? { fromDigest: pinned } : {}),
      ...(toDigest ? { toDigest } : {}),
      ...(digestOnly ? { digestOnly: true } : {}),
      rule: rule.name,
      pattern: rule.policy.source,
      ...(next?.created ? { buildTime: next.created.toISOString() } : {}),
      ...(next ? timeSource(next) : {}),
      ...(cur?.created ? { previousBuildTime: cur.created.toISOString() } : {}),
      ...(quoted ? { quoted } : {}),
      edits,
    });
  }

  /** Records a promotion's move of a site (issue #14), with its evidence. */
  promote(
    t: { file: string; site: ImageSite; tag: string },
    to: string,
    toDigest: string | undefined,
    info: TagInfo,
    evidence: PromotionEvidence,
  ): void {
    const { site } = t;
    const next = info(to);
    const cur = info(t.tag);
    const { edits, quoted } = editsFor(site, to, toDigest);
    this.changes.push({
      file: t.file,
      line: site.line,
      column: site.column,
      form: site.form,
      image: site.name,
      repository: repoKey(site.reference),
      from: t.tag,
      to,
      ...(site.reference.digest ? { fromDigest: site.reference.digest } : {}),
      ...(toDigest ? { toDigest } : {}),
      rule: promotionRuleName(evidence.promotion),
      pattern: `soak ${evidence.soak}`,
      ...(next?.created ? { buildTime: next.created.toISOString() } : {}),
      ...(next ? timeSource(next) : {}),
      ...(cur?.created ? { previousBuildTime: cur.created.toISOString() } : {}),
      ...(quoted ? { quoted } : {}),
      promotion: evidence,
      edits,
    });
  }

  /** The plan, changes and unchanged records sorted by file, line and column. */
  plan(warnings: readonly ScanWarning[] = []): Plan {
    const order = <T extends { file: string; line: number; column: number }>(a: T, b: T): number =>
      a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
    return {
      changes: [...this.changes].sort(order),
      unchanged: [...this.unchanged].sort(order),
      failures: [...this.failures],
      warnings: [...warnings],
    };
  }
}

/**
 * The byte edits that move a site: its tag span (written so the value stays a string, see
 * `tagText`) and, for a pinned site, its digest span. Spans, not the site text, so a Helm `tag:` on
 * another line than `repository:` is edited in place.
 */
export function editsFor(
  site: ImageSite,
  to: string,
  toDigest: string | undefined,
): { edits: Edit[]; quoted: boolean } {
  const edits: Edit[] = [];
  let quoted = false;
  if (site.tagSpan) {
    const written = tagText(site.tagStyle, to);
    quoted = written.quoted;
    edits.push({
      start: site.tagSpan[0],
      end: site.tagSpan[1],
      expect: site.reference.tag ?? "",
      replace: written.text,
    });
  }
  if (site.digestSpan && toDigest)
    edits.push({
      start: site.digestSpan[0],
      end: site.digestSpan[1],
      expect: site.reference.digest ?? "",
      replace: toDigest,
    });
  return { edits, quoted };
}

/** The `rule` a promotion's changes carry (and their commits' `Laminar-Update` trailer). */
export function promotionRuleName(name: string): string {
  return `promotion:${name}`;
}

/** Where a time came from; a cached time names its original source and says it was cached. */
function timeSource(d: TagDetails): { timeSource?: PlanChange["timeSource"]; cached?: boolean } {
  if (!d.source) return {};
  if (d.source === "cache") return { timeSource: d.cachedFrom ?? "cache", cached: true };
  return { timeSource: d.source };
}
