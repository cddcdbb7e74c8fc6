import { minimatch } from "minimatch";
import type { LaminarConfig, RegistrySettings, UpdateRule } from "../config/types.js";
import { isNeverChosen } from "../policy/policy.js";
import { familiarName } from "../reference/format.js";
import { isValidDigest, isValidTag } from "../reference/grammar.js";
import type { FoundReference } from "../scan/scan.js";
import type { ScannedFile, ScanWarning } from "../scan/repository.js";
import { matchesAny } from "../scan/select.js";
import { RegistryError, type RepositoryRef, type TagDetails, type TagList, type TagSource } from "../registry/types.js";
import type { Edit, Plan, PlanChange, PlanFailure, PlanUnchanged, UnchangedReason } from "./types.js";

/**
 * Computes the plan: for every reference, the change or the reason it stays. The only outside world
 * it touches is the `TagSource` interface; files come in already scanned. Registry questions are
 * asked once per repository however many references point at it.
 */
export async function planUpdates(input: {
  config: LaminarConfig;
  files: readonly ScannedFile[];
  tags: TagSource;
  warnings?: readonly ScanWarning[];
}): Promise<Plan> {
  const { config, files, tags } = input;
  const changes: PlanChange[] = [];
  const unchanged: PlanUnchanged[] = [];
  const failures: PlanFailure[] = [];

  interface Tracked {
    file: string;
    ref: FoundReference;
    rule: UpdateRule;
    tag: string;
  }
  const groups = new Map<string, { repo: RepositoryRef; items: Tracked[] }>();

  const stay = (
    file: string,
    ref: FoundReference,
    reason: UnchangedReason,
    detail: string,
    extra: Partial<PlanUnchanged> = {},
  ): void => {
    unchanged.push({
      file,
      line: ref.line,
      column: ref.column,
      image: ref.name,
      repository: repoKey(ref.reference),
      tag: ref.reference.tag ?? null,
      reason,
      detail,
      ...extra,
    });
  };

  for (const file of files) {
    const rules = config.updates.filter((u) => matchesAny(file.path, u.files));
    for (const ref of file.references) {
      if (rules.length === 0) {
        stay(file.path, ref, "no-rule", "no update rule selects this file");
        continue;
      }
      const selecting = rules.filter((u) => imageSelected(ref, u, config.registries));
      if (selecting.length === 0) {
        const why =
          config.registries.length && !registryFor(ref, config.registries)
            ? `registry ${ref.reference.registry} is not among the configured registries`
            : `no rule's \`images\` selects ${familiarName(ref.reference)}`;
        stay(file.path, ref, "image-not-selected", why);
        continue;
      }
      const tag = ref.reference.tag;
      if (tag === undefined) {
        stay(
          file.path,
          ref,
          "no-tag",
          ref.reference.digest
            ? "pinned by digest only; add a tag to let Laminar move it"
            : "no tag (docker would pull `latest`)",
        );
        continue;
      }
      // Channels: a reference follows the first rule whose pattern its current tag matches.
      const rule = selecting.find((u) => u.policy.matches(tag));
      if (!rule) {
        stay(
          file.path,
          ref,
          "not-in-channel",
          `tag ${tag} matches none of ${selecting.map((u) => u.policy.source).join(", ")}`,
        );
        continue;
      }
      const key = repoKey(ref.reference);
      let g = groups.get(key);
      if (!g)
        groups.set(
          key,
          (g = { repo: { registry: ref.reference.registry, repository: ref.reference.repository }, items: [] }),
        );
      g.items.push({ file: file.path, ref, rule, tag });
    }
  }

  // Repositories are independent: ask them concurrently (the registry client bounds concurrency).
  await Promise.all(
    [...groups.values()].map(async ({ repo, items }) => {
      let list: TagList;
      try {
        list = await tags.listTags(repo);
      } catch (e) {
        const failure = toFailure(e, repo);
        failures.push(failure);
        for (const it of items) stay(it.file, it.ref, "registry-error", failure.message, { rule: it.rule.name });
        return;
      }
      // Only valid tags (`[\w][\w.-]{0,127}`) can be written into a reference: a registry that
      // lists "develop-9\n  command: …" or a 10 kB tag must not inject text or stall a pattern.
      const validTags = list.tags.filter(isValidTag);
      const available = new Set(validTags);
      // Many references share a repository and a rule: match the tag list once per rule, and apply
      // exclusions (which may name images) once per rule and image as written.
      const inChannel = new Map<UpdateRule, string[]>();
      const candidateMemo = new Map<string, string[]>();
      const candidatesOf = (it: Tracked): string[] => {
        const key = `${it.rule.index}\0${it.ref.name}`;
        let c = candidateMemo.get(key);
        if (!c) {
          let m = inChannel.get(it.rule);
          if (!m) inChannel.set(it.rule, (m = validTags.filter((t) => it.rule.policy.matches(t) && !isNeverChosen(t))));
          c = it.rule.exclude.length ? m.filter((t) => !excluded(t, it.ref, it.rule)) : m;
          candidateMemo.set(key, c);
        }
        return c;
      };

      // Build times for build-time channels: every candidate and the current tags, minus what the listing gave.
      const wantTimes = new Set<string>();
      for (const it of items) {
        if (it.rule.policy.sort !== "build-time") continue;
        for (const t of candidatesOf(it)) if (!list.times?.get(t)?.created) wantTimes.add(t);
        if (available.has(it.tag) && !list.times?.get(it.tag)?.created) wantTimes.add(it.tag);
      }
      let details: ReadonlyMap<string, TagDetails> = new Map();
      try {
        if (wantTimes.size) details = await tags.describeTags(repo, { times: [...wantTimes], digests: [] });
      } catch (e) {
        const failure = toFailure(e, repo);
        failures.push(failure);
        for (const it of items) stay(it.file, it.ref, "registry-error", failure.message, { rule: it.rule.name });
        return;
      }
      const info = (t: string): TagDetails | undefined => details.get(t) ?? list.times?.get(t);

      const decided: Array<{ it: Tracked; to: string }> = [];
      const bestMemo = new Map<string, string | undefined>();
      for (const it of items) {
        const candidates = candidatesOf(it);
        const capped = list.truncated ? " (tag list truncated by the page cap)" : "";
        if (candidates.length === 0) {
          stay(
            it.file,
            it.ref,
            "no-candidates",
            `no tag in ${repoKey(repo)} matches ${it.rule.policy.source}${exclusionNote(it)}${capped}`,
            { rule: it.rule.name },
          );
          continue;
        }
        const current = info(it.tag);
        const times = current?.created ? { buildTime: current.created.toISOString(), ...timeSource(current) } : {};
        const bestKey = `${it.rule.index}\0${it.ref.name}`;
        if (!bestMemo.has(bestKey)) bestMemo.set(bestKey, pickBest(it, candidates, info));
        const best = bestMemo.get(bestKey);
        if (!best) {
          stay(
            it.file,
            it.ref,
            "unknown-build-time",
            `no build time could be learnt for the ${candidates.length} candidate tag(s)${capped}`,
            { rule: it.rule.name },
          );
          continue;
        }
        if (best === it.tag || sameBuild(it, best, info)) {
          stay(
            it.file,
            it.ref,
            "up-to-date",
            `${it.tag} is the newest of ${candidates.length} tag(s) matching ${it.rule.policy.source}${capped}`,
            { rule: it.rule.name, ...times },
          );
          continue;
        }
        if (isOlder(it, best, info)) {
          stay(
            it.file,
            it.ref,
            "older-than-current",
            `newest candidate ${best} is older than the current ${it.tag}; Laminar never moves backwards`,
            { rule: it.rule.name, ...times },
          );
          continue;
        }
        decided.push({ it, to: best });
      }

      // References pinned `tag@digest` also need the new digest.
      const wantDigests = [...new Set(decided.filter((d) => d.it.ref.reference.digest).map((d) => d.to))].filter(
        (t) => !info(t)?.digest,
      );
      let digests: ReadonlyMap<string, TagDetails> = new Map();
      if (wantDigests.length) {
        try {
          digests = await tags.describeTags(repo, { times: [], digests: wantDigests });
        } catch (e) {
          const failure = toFailure(e, repo);
          failures.push(failure);
          for (const { it } of decided.filter((d) => d.it.ref.reference.digest))
            stay(it.file, it.ref, "registry-error", failure.message, { rule: it.rule.name });
        }
      }
      for (const { it, to } of decided) {
        const pinned = it.ref.reference.digest;
        const toDigest = pinned ? (digests.get(to)?.digest ?? info(to)?.digest) : undefined;
        if (pinned && !toDigest) {
          if (!failures.some((f) => f.registry === repo.registry && f.repository === repo.repository)) {
            stay(it.file, it.ref, "registry-error", `could not learn the digest of ${to}`, { rule: it.rule.name });
          }
          continue;
        }
        if (toDigest !== undefined && !isValidDigest(toDigest)) {
          // Never write what a registry header says into a file unless it is a digest.
          const shown = toDigest.length > 80 ? `${toDigest.slice(0, 80)}…` : toDigest;
          const failure: PlanFailure = {
            registry: repo.registry,
            repository: repo.repository,
            message: `registry ${repo.registry}: ${repo.repository}:${to} has an invalid digest ${JSON.stringify(shown)}; not writing it`,
          };
          if (!failures.some((f) => f.message === failure.message)) failures.push(failure);
          stay(it.file, it.ref, "registry-error", failure.message, { rule: it.rule.name });
          continue;
        }
        const t = info(to);
        const cur = info(it.tag);
        changes.push({
          file: it.file,
          line: it.ref.line,
          column: it.ref.column,
          image: it.ref.name,
          repository: repoKey(repo),
          from: it.tag,
          to,
          ...(pinned ? { fromDigest: pinned } : {}),
          ...(toDigest ? { toDigest } : {}),
          rule: it.rule.name,
          pattern: it.rule.policy.source,
          ...(t?.created ? { buildTime: t.created.toISOString() } : {}),
          ...(t ? timeSource(t) : {}),
          ...(cur?.created ? { previousBuildTime: cur.created.toISOString() } : {}),
          edits: editsFor(it.ref, to, toDigest),
        });
      }
    }),
  );

  const order = <T extends { file: string; line: number; column: number }>(a: T, b: T): number =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
  changes.sort(order);
  unchanged.sort(order);
  return { changes, unchanged, failures, warnings: [...(input.warnings ?? [])] };
}

/** Where a time came from; a cached time names its original source and says it was cached. */
function timeSource(d: TagDetails): { timeSource?: PlanChange["timeSource"]; cached?: boolean } {
  if (!d.source) return {};
  if (d.source === "cache") return { timeSource: d.cachedFrom ?? "cache", cached: true };
  return { timeSource: d.source };
}

function repoKey(r: { registry: string; repository: string }): string {
  return `${r.registry}/${r.repository}`;
}

function registryFor(ref: FoundReference, registries: readonly RegistrySettings[]): RegistrySettings | undefined {
  const { registry, repository } = ref.reference;
  return registries.find(
    (r) => r.host === registry && (r.prefix === "" || repository === r.prefix || repository.startsWith(`${r.prefix}/`)),
  );
}

/** Image globs match the normalised name, the familiar name or the name as written. */
function imageMatches(ref: FoundReference, globs: readonly string[]): boolean {
  const names = [repoKey(ref.reference), familiarName(ref.reference), ref.name, ref.reference.repository];
  return globs.some((g) => names.some((n) => minimatch(n, g, { dot: true })));
}

function imageSelected(ref: FoundReference, rule: UpdateRule, registries: readonly RegistrySettings[]): boolean {
  if (registries.length && !registryFor(ref, registries)) return false;
  return rule.images.length === 0 || imageMatches(ref, rule.images);
}

function excluded(tag: string, ref: FoundReference, rule: UpdateRule): boolean {
  return rule.exclude.some((x) => x.policy.matches(tag) && (x.images.length === 0 || imageMatches(ref, x.images)));
}

function exclusionNote(it: { rule: UpdateRule }): string {
  return it.rule.exclude.length ? ` outside its ${it.rule.exclude.length} exclusion(s)` : "";
}

/** The winning tag: highest by the policy's ordering, or newest build (ties: highest tag text). */
function pickBest(
  it: { rule: UpdateRule },
  candidates: readonly string[],
  info: (t: string) => TagDetails | undefined,
): string | undefined {
  const { compare } = it.rule.policy;
  if (compare) return candidates.reduce((a, b) => (compare(b, a) > 0 ? b : a));
  let best: string | undefined;
  let bestTime = -Infinity;
  for (const t of candidates) {
    const time = info(t)?.created?.getTime();
    if (time === undefined || Number.isNaN(time)) continue;
    if (time > bestTime || (time === bestTime && best !== undefined && t > best)) {
      best = t;
      bestTime = time;
    }
  }
  return best;
}

function sameBuild(
  it: { rule: UpdateRule; tag: string },
  best: string,
  info: (t: string) => TagDetails | undefined,
): boolean {
  if (it.rule.policy.compare) return false;
  const cur = info(it.tag);
  const next = info(best);
  return (
    (cur?.digest !== undefined && cur.digest === next?.digest) ||
    (cur?.created !== undefined && cur.created.getTime() === next?.created?.getTime())
  );
}

/** Monotonic guard: would moving to `best` go back in time (or version)? */
function isOlder(
  it: { rule: UpdateRule; tag: string },
  best: string,
  info: (t: string) => TagDetails | undefined,
): boolean {
  const { compare } = it.rule.policy;
  if (compare) return compare(best, it.tag) <= 0;
  const cur = info(it.tag)?.created?.getTime();
  const next = info(best)?.created?.getTime();
  // An unknown current time (tag deleted from the registry) cannot hold the reference back.
  if (cur === undefined || next === undefined) return false;
  return next <= cur;
}

function editsFor(ref: FoundReference, to: string, toDigest: string | undefined): Edit[] {
  const edits: Edit[] = [];
  if (ref.tagSpan)
    edits.push({ start: ref.tagSpan[0], end: ref.tagSpan[1], expect: ref.reference.tag ?? "", replace: to });
  if (ref.digestSpan && toDigest)
    edits.push({
      start: ref.digestSpan[0],
      end: ref.digestSpan[1],
      expect: ref.reference.digest ?? "",
      replace: toDigest,
    });
  return edits;
}

function toFailure(e: unknown, repo: RepositoryRef): PlanFailure {
  if (e instanceof RegistryError) {
    return {
      registry: e.registry,
      repository: e.repository ?? repo.repository,
      ...(e.status !== undefined ? { status: e.status } : {}),
      message: e.message,
    };
  }
  return {
    registry: repo.registry,
    repository: repo.repository,
    message: `registry ${repo.registry}: ${(e as Error)?.message ?? String(e)}`,
  };
}
