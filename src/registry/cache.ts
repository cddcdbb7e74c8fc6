/**
 * On-disk JSON cache that makes repeated runs cheap. It holds two kinds of facts (and, per registry,
 * the auth challenge its `/v2/` answered, so a targeted run need not ping):
 *
 *   - digest → build time + source. A digest names immutable content, so this never goes stale
 *     (an index's time depends on the wanted platforms, which are part of its key);
 *   - per repository, a snapshot of the last tag list (as a hash) and tag → digest, each entry
 *     with the time it was last confirmed. A tag still in this run's listing keeps its digest until
 *     `recheckAfterMs` has passed since it was confirmed, so a warm run makes no manifest or blob
 *     request at all, and a push costs only the new tags (#12: re-confirming all 300 known tags of
 *     a repository because one new tag appeared cost 300 HEADs). A re-pushed moving tag (`latest`,
 *     `1`) does not change the list anyway; it is caught when its own time to live runs out, and
 *     those are spread over the runs so that known tags are not all re-checked in the same run.
 *
 * Writes go through `writeFileAtomic` (temp file in the same directory, fsync, rename over the old
 * one), after merging with what is on disk so two runs sharing the path lose nothing. Where it lives by default is
 * `defaultCachePath` below, the one place the CLI, the Action and the CLI's help text take it from.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic } from "../files/atomic-write.js";
import type { TimestampSource } from "./types.js";
import { checkShape, shape } from "./wire.js";

/**
 * How long a confirmed tag → digest is trusted: between half of `maxAgeMs` and all of it, by a
 * hash of `key` (registry/repository and tag). After a cold run, every tag was confirmed at the
 * same moment; fixed ages would re-check all of them in one later run. With the spread, a
 * repository of 300 tags planned every 5 minutes re-checks one or two per run instead.
 */
export function recheckAfterMs(maxAgeMs: number, key: string): number {
  // FNV-1a: stable across runs and Node versions, and cheap enough to call per tag and run.
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  // FNV alone leaves tags that differ in their last characters (`main-17`, `main-18`) close
  // together in the high bits; MurmurHash3's finaliser spreads them over the whole range.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return maxAgeMs * (0.5 + (h >>> 0) / 2 ** 33);
}

/**
 * The registry cache file used when none is given. It is per user, not per repository, so every
 * repository a user plans shares one set of build times: `$XDG_CACHE_HOME/laminar/registry.json`,
 * else `~/.cache/laminar/registry.json`. With `runnerTemp` (the GitHub Action) and `RUNNER_TEMP`
 * set, it is `$RUNNER_TEMP/laminar-cache/registry.json` instead: a runner's home is thrown away
 * with the job, so the Action's cache must sit in a directory actions/cache can persist.
 */
export function defaultCachePath(env: NodeJS.ProcessEnv, opts: { runnerTemp?: boolean } = {}): string {
  if (opts.runnerTemp && env.RUNNER_TEMP) return join(env.RUNNER_TEMP, "laminar-cache", "registry.json");
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "laminar", "registry.json");
}
const VERSION = 1;
const MAX_FACTS = 200_000;

export interface DigestFact {
  readonly created?: Date;
  /** Where the time originally came from (never "cache"). */
  readonly source?: Exclude<TimestampSource, "cache">;
  /** The platforms the image offers (kept under `<digest>|platforms`). */
  readonly platforms?: readonly string[];
  /** No time kept because the image says a reproducible build's fixed time (before 1980). */
  readonly fixed?: boolean;
  /** A valid cosign signature was verified (kept under `<digest>|cosign|<key id>`): it stays valid. */
  readonly signed?: boolean;
}

export interface SnapshotEntry {
  readonly digest: string;
  readonly verifiedAt: number;
}

export interface RepoSnapshot {
  /** sha256 of the sorted tag list. */
  readonly hash: string;
  /** When this tag list was first seen. */
  readonly changedAt: number;
  readonly tags: Map<string, SnapshotEntry>;
}

interface FileFact {
  created: string | null;
  source?: Exclude<TimestampSource, "cache">;
  platforms?: string[];
  fixed?: boolean;
  signed?: boolean;
  at: number;
}

interface FileRepo {
  hash: string;
  changedAt: number;
  tags: Record<string, [string, number]>;
}

/** A registry's auth challenge as its `/v2/` answered (null: no auth). */
export type KnownChallenge = { scheme: string; params: Record<string, string> } | null;

interface CacheFile {
  version: number;
  digests: Record<string, FileFact>;
  repos: Record<string, FileRepo>;
  /** Registry → the challenge of its last `/v2/` ping, for targeted runs (issue #15). */
  challenges?: Record<string, KnownChallenge>;
}

export function tagListHash(tags: readonly string[]): string {
  return createHash("sha256")
    .update([...tags].sort().join("\n"))
    .digest("hex");
}

/** The file's shape, checked whole: a cache someone else wrote (or half-wrote) must not crash a run. */
const CACHE_FILE = shape<CacheFile>("a Laminar registry cache", {
  type: "object",
  required: ["version", "digests", "repos"],
  properties: {
    version: { type: "number" },
    challenges: {
      type: "object",
      additionalProperties: {
        type: ["object", "null"],
        required: ["scheme", "params"],
        properties: {
          scheme: { type: "string" },
          params: { type: "object", additionalProperties: { type: "string" } },
        },
      },
    },
    digests: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["created", "at"],
        properties: {
          created: { type: ["string", "null"] },
          source: { type: "string" },
          platforms: { type: "array", items: { type: "string" } },
          fixed: { type: "boolean" },
          at: { type: "number" },
        },
      },
    },
    repos: {
      type: "object",
      additionalProperties: {
        type: "object",
        required: ["hash", "changedAt", "tags"],
        properties: {
          hash: { type: "string" },
          changedAt: { type: "number" },
          tags: {
            type: "object",
            additionalProperties: {
              type: "array",
              items: [{ type: "string" }, { type: "number" }],
              minItems: 2,
              maxItems: 2,
            },
          },
        },
      },
    },
  },
});

/**
 * The cache file, or undefined to start afresh (the cache is only an optimisation). A missing file
 * or one of another version says nothing; a file that does not parse or has the wrong shape is
 * reported through `warn`, since the next save replaces it.
 */
async function readCacheFile(path: string, warn?: (message: string) => void): Promise<CacheFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined; // missing or unreadable: start afresh
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    warn?.(`registry cache ${path}: not JSON; starting with an empty cache`);
    return undefined;
  }
  if (parsed !== null && typeof parsed === "object" && "version" in parsed && parsed.version !== VERSION) {
    return undefined; // written by another version of Laminar
  }
  const checked = checkShape(CACHE_FILE, parsed);
  if (!checked.ok) {
    warn?.(`registry cache ${path}: not ${CACHE_FILE.expected} (${checked.problem}); starting with an empty cache`);
    return undefined;
  }
  return checked.value;
}

export class RegistryCache {
  private readonly digests = new Map<string, FileFact>();
  private readonly repos = new Map<string, FileRepo>();
  private readonly dirtyRepos = new Set<string>();
  private readonly dirtyFacts = new Set<string>();
  private readonly challenges = new Map<string, KnownChallenge>();
  private readonly dirtyChallenges = new Set<string>();

  private constructor(readonly path: string | undefined) {}

  /**
   * Loads the cache at `path`; without a path the cache lives in memory only.
   * @param warn - told when the file exists but is not a cache (it is then ignored and replaced)
   */
  static async open(path: string | undefined, warn?: (message: string) => void): Promise<RegistryCache> {
    const c = new RegistryCache(path);
    const file = path ? await readCacheFile(path, warn) : undefined;
    if (file) {
      for (const [k, v] of Object.entries(file.digests)) c.digests.set(k, v);
      for (const [k, v] of Object.entries(file.repos)) c.repos.set(k, v);
      for (const [k, v] of Object.entries(file.challenges ?? {})) c.challenges.set(k, v);
    }
    return c;
  }

  fact(key: string): DigestFact | undefined {
    const f = this.digests.get(key);
    if (!f) return undefined;
    return {
      created: f.created ? new Date(f.created) : undefined,
      source: f.source,
      ...(f.platforms ? { platforms: f.platforms } : {}),
      ...(f.fixed ? { fixed: true } : {}),
      ...(f.signed ? { signed: true } : {}),
    };
  }

  setFact(key: string, fact: DigestFact): void {
    this.digests.set(key, {
      created: fact.created?.toISOString() ?? null,
      source: fact.source,
      ...(fact.platforms ? { platforms: [...fact.platforms] } : {}),
      ...(fact.fixed ? { fixed: true } : {}),
      ...(fact.signed ? { signed: true } : {}),
      at: Date.now(),
    });
    this.dirtyFacts.add(key);
  }

  snapshot(repoKey: string): RepoSnapshot | undefined {
    const r = this.repos.get(repoKey);
    if (!r) return undefined;
    const tags = new Map<string, SnapshotEntry>();
    for (const [tag, [digest, verifiedAt]] of Object.entries(r.tags)) tags.set(tag, { digest, verifiedAt });
    return { hash: r.hash, changedAt: r.changedAt, tags };
  }

  setSnapshot(repoKey: string, s: RepoSnapshot): void {
    const tags: Record<string, [string, number]> = {};
    for (const [tag, e] of s.tags) tags[tag] = [e.digest, e.verifiedAt];
    this.repos.set(repoKey, { hash: s.hash, changedAt: s.changedAt, tags });
    this.dirtyRepos.add(repoKey);
  }

  /** The auth challenge a registry's `/v2/` gave on an earlier run (null: none), or undefined. */
  challenge(registry: string): KnownChallenge | undefined {
    return this.challenges.get(registry);
  }

  setChallenge(registry: string, ch: KnownChallenge): void {
    if (JSON.stringify(this.challenges.get(registry)) === JSON.stringify(ch)) return;
    this.challenges.set(registry, ch);
    this.dirtyChallenges.add(registry);
  }

  get dirty(): boolean {
    return this.dirtyFacts.size > 0 || this.dirtyRepos.size > 0 || this.dirtyChallenges.size > 0;
  }

  /** Writes the cache (merged with the file's current content) atomically. */
  async save(): Promise<void> {
    if (!this.path || !this.dirty) return;
    const onDisk = await readCacheFile(this.path);
    const digests: Record<string, FileFact> = { ...(onDisk?.digests ?? {}) };
    for (const [k, v] of this.digests) if (this.dirtyFacts.has(k) || !(k in digests)) digests[k] = v;
    const repos: Record<string, FileRepo> = { ...(onDisk?.repos ?? {}) };
    for (const [k, v] of this.repos) if (this.dirtyRepos.has(k) || !(k in repos)) repos[k] = v;
    let entries = Object.entries(digests);
    if (entries.length > MAX_FACTS) {
      entries = entries.sort(([, a], [, b]) => b.at - a.at).slice(0, MAX_FACTS);
    }
    const challenges: Record<string, KnownChallenge> = { ...(onDisk?.challenges ?? {}) };
    for (const [k, v] of this.challenges) if (this.dirtyChallenges.has(k) || !(k in challenges)) challenges[k] = v;
    const file: CacheFile = { version: VERSION, digests: Object.fromEntries(entries), repos, challenges };
    await writeFileAtomic(this.path, Buffer.from(JSON.stringify(file)));
    this.dirtyFacts.clear();
    this.dirtyRepos.clear();
    this.dirtyChallenges.clear();
  }
}
