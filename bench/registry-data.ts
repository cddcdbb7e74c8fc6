/**
 * What the benchmark registry holds: repositories of three kinds, each with its tag series and
 * distinct build times, and the tags the "after push" run adds.
 *
 *   build      CI builds `main-00042-1a2b3c4` (the channel, `glob:main-*`, ordered by build time)
 *              mixed with `pr-…` builds that no rule follows;
 *   multiarch  the same, pushed as an OCI index over linux/amd64 + linux/arm64;
 *   semver     releases `1.M.P` (+ some `-rc.1`), `semver:^1.0.0`: needs no build times at all.
 */
import type { SeedImage } from "../test/helpers/registry/seed.js";
import { Random } from "./random.js";

export type RepoKind = "build" | "multiarch" | "semver";

export interface BenchTag {
  readonly tag: string;
  readonly created: Date;
  /** Does the repository's channel pattern match it (a candidate the plan may weigh)? */
  readonly inChannel: boolean;
}

export interface BenchRepo {
  readonly name: string;
  readonly kind: RepoKind;
  readonly tags: readonly BenchTag[];
}

export const BUILD_PATTERN = "glob:main-*";
export const SEMVER_PATTERN = "semver:^1.0.0";
export const PLATFORMS = ["linux/amd64", "linux/arm64"] as const;

const WORDS = [
  "payments",
  "orders",
  "gateway",
  "checkout",
  "catalog",
  "search",
  "accounts",
  "billing",
  "ledger",
  "notifier",
  "mailer",
  "scheduler",
  "ingest",
  "exporter",
  "auth",
  "profile",
  "inventory",
  "shipping",
  "pricing",
  "reviews",
  "recommender",
  "frontend",
  "admin",
  "reporting",
  "audit",
  "webhooks",
  "uploader",
  "thumbnailer",
  "geo",
  "chat",
  "feed",
  "metrics-proxy",
  "config-server",
  "feature-flags",
  "session",
  "cart",
  "tax",
  "fraud",
  "loyalty",
  "support",
  "status-page",
  "docs-site",
  "importer",
  "sync-worker",
  "queue-worker",
  "cron-runner",
  "backup",
  "migrator",
  "edge-cache",
  "identity",
];

const BASE_TIME = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;

export function repoName(i: number): string {
  const word = WORDS[i % WORDS.length] as string;
  return i < WORDS.length ? `acme/${word}` : `acme/${word}-${Math.floor(i / WORDS.length)}`;
}

/** Every tenth repository (from the fifth) is multi-arch, every fifth (from the third) semver; the rest CI builds. */
export function repoKind(i: number): RepoKind {
  if (i % 10 === 4) return "multiarch";
  if (i % 5 === 2) return "semver";
  return "build";
}

/**
 * Build time of tag `k` of repository `r`: interleaved over repositories so no two tags anywhere
 * share a time (ties would make "newest" depend on tag text).
 */
function createdAt(k: number, r: number, repos: number): Date {
  return new Date(BASE_TIME + (k * repos + r) * MINUTE);
}

function tagText(kind: RepoKind, k: number, rng: Random): { tag: string; inChannel: boolean } {
  if (kind === "semver") {
    const minor = Math.floor(k / 20);
    const patch = k % 20;
    return k % 10 === 9
      ? { tag: `1.${minor}.${patch}-rc.1`, inChannel: false }
      : { tag: `1.${minor}.${patch}`, inChannel: true };
  }
  return k % 5 === 4
    ? { tag: `pr-${1000 + k}-${rng.hex(7)}`, inChannel: false }
    : { tag: `main-${String(k).padStart(5, "0")}-${rng.hex(7)}`, inChannel: true };
}

export function buildRepos(count: number, tagsPerRepo: number, seed = 1): BenchRepo[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, (_, r) => {
    const kind = repoKind(r);
    const tags = Array.from({ length: tagsPerRepo }, (_, k) => ({
      ...tagText(kind, k, rng),
      created: createdAt(k, r, count),
    }));
    return { name: repoName(r), kind, tags };
  });
}

export function seedImagesFor(repo: BenchRepo, tags: readonly BenchTag[] = repo.tags): SeedImage[] {
  return tags.map((t) => ({
    repository: repo.name,
    tag: t.tag,
    created: t.created,
    ...(repo.kind === "multiarch" ? { platforms: [...PLATFORMS] } : {}),
  }));
}

/**
 * The "after push" event: one new channel tag, newer than anything, in each of 5 repositories that
 * need build times (where a push costs Laminar something; a semver push would be just a tag page).
 */
export function pushedTags(
  repos: readonly BenchRepo[],
  tagsPerRepo: number,
  count = 5,
  seed = 2,
): Array<{ repo: BenchRepo; tag: BenchTag }> {
  const rng = new Random(seed);
  const eligible = repos.map((repo, r) => ({ repo, r })).filter(({ repo }) => repo.kind !== "semver");
  return eligible.slice(0, count).map(({ repo, r }) => {
    const k = tagsPerRepo + 1;
    return {
      repo,
      tag: {
        tag: `main-${String(k).padStart(5, "0")}-${rng.hex(7)}`,
        inChannel: true,
        created: createdAt(k, r, repos.length),
      },
    };
  });
}

export function channelPattern(kind: RepoKind): string {
  return kind === "semver" ? SEMVER_PATTERN : BUILD_PATTERN;
}
