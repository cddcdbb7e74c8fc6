/**
 * `RegistryClient`: the `TagSource` the plan engine uses, over the registry HTTP API.
 *
 * Cost model (what the tests prove with request counts):
 *   - per registry and run: one `/v2/` ping, and one token per repository scope (cached);
 *   - `listTags`: the tag pages (or Docker Hub's tag API pages, which carry push times);
 *   - `describeTags`, per requested tag, only what the caches cannot answer:
 *       tag listed before and confirmed within its time to live (`recheckAfterMs`): 0 requests,
 *       whether or not other tags were pushed since;
 *       tag listed before, time to live over: 1 HEAD (+ GET + config blob if its digest is new);
 *       never seen: GET manifest (digest + body) + GET config blob = 2
 *       (a multi-arch index: + 1 child manifest per wanted platform);
 *       digest only wanted: 1 HEAD;
 *       platforms wanted (a rule's `platforms` gate, winning candidate only): 0 when the build time
 *       already fetched the manifest (and config blob), else GET manifest (+ blob for one image);
 *       cached by digest;
 *       fresh digest wanted (`digest: refresh`): 1 HEAD, never the snapshot;
 *   - `timesToFetch` (which build times the caches lack; limits.candidates counts only those): none,
 *     except ECR's, Quay's or Harbor's timestamp API pages, which describeTags then needs not ask.
 *   Targeted runs (issue #15: `current` tags, `reuseChallenges`): no listing and no ping; the
 *   pushed tag costs GET manifest + GET config blob (+ 1 token where the registry wants one), the
 *   current tags' times come from the cache.
 *   Identical requests within a run are made once (in-flight sharing plus per-run memos).
 */
import { RegistrySession, type ChallengeMemory } from "./auth.js";
import { offeredPlatforms, resolveBuildTime, parsePlatform, platformKey, type Platform } from "./build-time.js";
import { RegistryCache, recheckAfterMs, tagListHash, type RepoSnapshot } from "./cache.js";
import { CloudAccess } from "./cloud/access.js";
import type { AwsSettings } from "./cloud/ecr.js";
import { cloudKindOf, parseEcrHost, type CloudKind } from "./cloud/kind.js";
import { registryTransport } from "./cloud/transport.js";
import { resolveSourcedCredential, type SourcedCredential } from "./credentials.js";
import { DOCKER_HUB_API_HOST, isDockerHub } from "../reference/docker-hub.js";
import { HttpClient, type RetryPolicy } from "./http.js";
import { getImageConfig, getManifest, headManifest, isIndex, type Manifest } from "./manifest.js";
import { WorkSlots } from "./concurrency.js";
import { PromiseMemo } from "./single-flight.js";
import type { ImageConfig } from "./wire.js";
import { DEFAULT_MAX_TAGS, listTagsPaged } from "./tag-list.js";
import { ecrDetails, listDockerHubTags } from "./timestamp-apis.js";
import { listVendorTagTimes, vendorApiFor } from "./quay-harbor.js";
import { TokenCache } from "./token-cache.js";
import { verifyCosignSignature } from "./signature.js";
import type { SignatureVerdict, VerifyKey } from "../verify/cosign.js";
import { registryFailure } from "./errors.js";
import {
  RegistryError,
  type DescribeRequest,
  type RepositoryRef,
  type RequestCounts,
  type TagDetails,
  type TagList,
  type TagSource,
} from "./types.js";

export type TimestampApi = "auto" | "none" | "docker-hub" | "gcr" | "ecr" | "quay" | "harbor";

export interface RegistrySettings {
  /** Registry name as in image references: `ghcr.io`, `docker.io`, `127.0.0.1:5000`. */
  readonly host: string;
  /** Base URL to use instead of the one derived from `host` (mirrors, tests). */
  readonly endpoint?: string;
  /** Plain HTTP even though the host is not a loopback address (and any token realm is trusted). */
  readonly insecure?: boolean;
  /**
   * Send credentials to the token realm the registry names even when it is on another host or
   * plain http (see `realmRefusal` in auth.ts).
   */
  readonly trustRealm?: boolean;
  readonly username?: string;
  readonly password?: string;
  /** A bearer token sent as is. */
  readonly token?: string;
  /** Most tag pages read per repository (default 100); past it the list is `truncated`. */
  readonly pageCap?: number;
  /** `n` asked per tag page (default and max 1000). */
  readonly pageSize?: number;
  /** `os/arch[/variant]` whose build time counts for multi-arch images (default linux/amd64). */
  readonly platforms?: readonly string[];
  /**
   * Timestamp API: `auto` (default) uses Docker Hub's tag API for docker.io, GCR's manifest map
   * wherever `tags/list` has one, ECR DescribeImages for ECR registries (AWS SDK credential chain),
   * Quay's tag API for quay.io. `quay` / `harbor` name the API of a self-hosted Quay or Harbor.
   */
  readonly api?: TimestampApi;
  /** Base URL of that API (Docker Hub `https://hub.docker.com`; ECR: like `aws.endpoint`; Quay and Harbor: the registry's). */
  readonly apiUrl?: string;
  /**
   * Whose credential chain serves this registry when docker's config has nothing for it: the
   * default comes from the host name (`*.dkr.ecr.*.amazonaws.com`, `gcr.io` / `*-docker.pkg.dev`,
   * `*.azurecr.io`); `none` turns it off. The cloud's SDK is loaded only when this is a cloud.
   */
  readonly cloud?: CloudKind | "none";
  /** AWS settings of an ECR registry: a role to assume, region, profile, API endpoint. */
  readonly aws?: AwsSettings;
  /**
   * Per attempt, for every request made on this registry's behalf (ping, token, tags, manifests,
   * blobs, timestamp API); default the client's `timeoutMs`.
   */
  readonly timeoutMs?: number;
}

export interface RegistryClientOptions {
  readonly registries?: readonly RegistrySettings[];
  /** JSON cache file (see cache.ts; `defaultCachePath` is where the CLI and the Action keep it). Memory only when unset. */
  readonly cachePath?: string;
  /** Requests in flight over all registries (default 16). */
  readonly concurrency?: number;
  /** Requests in flight per registry (default 8). */
  readonly perRegistryConcurrency?: number;
  /** Default platforms for multi-arch images (default `["linux/amd64"]`). */
  readonly platforms?: readonly string[];
  readonly retry?: Partial<RetryPolicy>;
  /** Per attempt (default 30 s), for registries whose settings set no `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Pulls kept back from a registry's `ratelimit-remaining` (default 5). */
  readonly rateLimitReserve?: number;
  /** Most tags kept per repository (default `DEFAULT_MAX_TAGS`, 100,000); see `TagList.overLimit`. */
  readonly maxTags?: number;
  /** Most time each registry may keep requests outstanding per run (default 60 s); see `HttpOptions.deadlineMs`. */
  readonly deadlineMs?: number;
  /** Distinct timed-out requests after which a registry is given up for the run (default 3). */
  readonly breakerTimeouts?: number;
  /**
   * Answer each registry's auth challenge from the cache (learnt by an earlier run's `/v2/` ping)
   * instead of pinging first. Targeted runs set it: their whole cost is two or three requests, and
   * the ping would be one more. A stale challenge costs one 401 and is then learnt afresh.
   */
  readonly reuseChallenges?: boolean;
  /**
   * How long a cached tag → digest is trusted (default 24 h): each tag is re-checked after between
   * half of it and all of it, spread by a hash of the tag (`recheckAfterMs`).
   */
  readonly snapshotMaxAgeMs?: number;
  /**
   * Environment for credentials (`DOCKER_CONFIG`, `GITHUB_TOKEN`); default `process.env`. The
   * cloud SDKs' credential chains read the process environment (`AWS_*`, `GOOGLE_*`, `AZURE_*`).
   */
  readonly env?: NodeJS.ProcessEnv;
  readonly dockerConfigDir?: string;
  readonly log?: { readonly debug?: (message: string) => void; readonly warn?: (message: string) => void };
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/**
 * A build time more than this ahead of the clock is treated as unknown: a year-2999 image would
 * otherwise stay the newest of its channel for good (issue #13). An hour covers clock skew
 * between a builder and this machine.
 */
export const FUTURE_SKEW_MS = 3600_000;

/**
 * Manifests, config blobs and build times a client keeps from its latest fetches. A resolution
 * reuses its documents within moments (32 run at once, each a few documents), and what outlives it
 * is in the disk cache, so this is a bound on memory, not a cache: a cold run of 34k fetches that
 * kept every document peaked far above its live needs (#12).
 */
const RECENT_DOCUMENTS = 1024;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** `docker.io` for every Docker Hub spelling, otherwise the host lower-cased. */
export function registryKey(host: string): string {
  return isDockerHub(host) ? "docker.io" : host.toLowerCase();
}

/** Plain HTTP for loopback addresses, as docker does; HTTPS otherwise unless `insecure`. */
export function baseUrlFor(s: RegistrySettings): string {
  if (s.endpoint) return s.endpoint.replace(/\/+$/, "");
  const host = isDockerHub(s.host) ? DOCKER_HUB_API_HOST : s.host;
  let hostname = host;
  try {
    hostname = new URL(`http://${host}`).hostname;
  } catch {
    // leave it: fetch will report the bad host
  }
  return `${s.insecure || LOOPBACK.test(hostname) ? "http" : "https"}://${host}`;
}

interface ListedState {
  readonly unchanged: boolean;
  readonly times?: ReadonlyMap<string, TagDetails>;
}

interface RepoState {
  listed?: Promise<TagList>;
  listedInfo?: ListedState;
  snapshot?: { hash: string; changedAt: number; tags: RepoSnapshot["tags"] };
  snapshotDirty: boolean;
  /** Tag → digest confirmed during this run. */
  readonly confirmed: Map<string, string>;
  readonly apiTimes: Map<string, TagDetails>;
  /** Tag + whether a time is wanted → its resolution this run; a failure is retried. */
  readonly resolving: PromiseMemo<string, TagDetails | undefined>;
  /** Tags the references use, named by a targeted run (`DescribeRequest.current`). */
  readonly current: Set<string>;
  /**
   * Why the timestamp API gave no times for this repository this run (registry + HTTP status): it
   * is not asked again, and the plan names it while it learns the times from manifests.
   */
  apiFailure?: string;
}

export class RegistryClient implements TagSource {
  private readonly http: HttpClient;
  private readonly tokens: TokenCache;
  private readonly settings = new Map<string, RegistrySettings>();
  private readonly sessions = new Map<string, RegistrySession>();
  /** Per registry, kept across runs: cloud credentials carry their own expiry. */
  private readonly clouds = new Map<string, CloudAccess | undefined>();
  /** Registries whose ECR API failed for want of AWS credentials: not asked again by this client. */
  private readonly ecrApiOff = new Set<string>();
  private readonly repos = new Map<string, RepoState>();
  // Per-run memos by digest; a failed fetch is forgotten so the next caller retries. They share the
  // documents of one resolution (an index, its platform manifest, their config blob) with the
  // platform check after it; the durable answer is the disk cache's fact, so they keep only the
  // most recent RECENT_DOCUMENTS: a cold run fetches 34k documents and kept them all (#12).
  private readonly buildTimes = new PromiseMemo<string, TagDetails>("rejected", RECENT_DOCUMENTS);
  private readonly manifests = new PromiseMemo<string, Manifest | undefined>("rejected", RECENT_DOCUMENTS);
  private readonly blobs = new PromiseMemo<string, ImageConfig>("rejected", RECENT_DOCUMENTS);
  private readonly signatures = new PromiseMemo<string, SignatureVerdict>("rejected");
  private cache: Promise<RegistryCache> | undefined;
  private readonly now: () => number;
  /** Tag resolutions under way per registry (see concurrency.ts). */
  private readonly resolutions = new Map<string, WorkSlots>();
  /** `image:tag` whose future build time was reported in this run (one warning each). */
  private readonly warnedFuture = new Set<string>();

  constructor(private readonly opts: RegistryClientOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.tokens = new TokenCache(this.now);
    this.http = new HttpClient({
      concurrency: opts.concurrency,
      perRegistryConcurrency: opts.perRegistryConcurrency,
      retry: opts.retry,
      timeoutMs: opts.timeoutMs,
      // Requests carry the registry key (registryKey), the key `settings` is filled under below.
      timeoutFor: (registry) => this.settings.get(registry)?.timeoutMs,
      rateLimitReserve: opts.rateLimitReserve,
      deadlineMs: opts.deadlineMs,
      breakerTimeouts: opts.breakerTimeouts,
      now: opts.now,
      fetch: opts.fetch,
      env: opts.env,
      userAgent: "laminar",
      debug: opts.log?.debug,
    });
    for (const s of opts.registries ?? []) this.settings.set(registryKey(s.host), s);
  }

  /** Requests sent so far, over all registries or for one. */
  counts(registry?: string): RequestCounts {
    return this.http.counts(registry === undefined ? undefined : registryKey(registry));
  }

  /** Writes the on-disk cache. Call once at the end of a run. */
  async flush(): Promise<void> {
    const cache = await this.loadCache();
    for (const [key, state] of this.repos) {
      if (state.snapshot && state.snapshotDirty) {
        cache.setSnapshot(key, state.snapshot);
        state.snapshotDirty = false;
      }
    }
    await cache.save();
  }

  /**
   * Starts a new run (each `laminar watch` pass): forgets what the last run learnt about the
   * registries' current state (tag lists, tag → digest confirmations, timestamp-API answers, ping
   * results), so a tag pushed since is seen. What stays is what cannot go stale: the token cache
   * (tokens carry their own expiry), the disk cache (build times by content digest) and each
   * repository's tag snapshot, which is only trusted while a fresh listing has the same hash.
   */
  newRun(): void {
    for (const [key, s] of this.repos) {
      // The snapshot is the disk cache's entry (flush may not have written it yet if the last run
      // failed), not a per-run memo: keep it, dirty flag included, so it is neither lost nor re-read.
      this.repos.set(key, {
        ...(s.snapshot ? { snapshot: s.snapshot } : {}),
        snapshotDirty: s.snapshotDirty,
        confirmed: new Map(),
        apiTimes: new Map(),
        resolving: new PromiseMemo("rejected"),
        current: new Set(),
      });
    }
    // Sessions memoise the /v2/ ping, the auth challenge and the credential: a registry that was
    // down or changed its auth, or a docker login in between, must be picked up by the next pass.
    this.sessions.clear();
    // A registry that stalled or ran out of time in the last pass is asked again.
    this.http.newRun();
    this.warnedFuture.clear();
    // Per-run memos by digest: the durable answers are in the disk cache; keeping these would only
    // grow a long-running watch's memory with every image it ever looked at.
    this.buildTimes.clear();
    this.manifests.clear();
    this.blobs.clear();
    this.signatures.clear();
  }

  private loadCache(): Promise<RegistryCache> {
    this.cache ??= RegistryCache.open(this.opts.cachePath, this.opts.log?.warn);
    return this.cache;
  }

  private settingsFor(registry: string): RegistrySettings {
    const key = registryKey(registry);
    return this.settings.get(key) ?? { host: key };
  }

  /** The cloud credential chain of a registry, or undefined when it is not a cloud registry. */
  private cloud(key: string): CloudAccess | undefined {
    if (this.clouds.has(key)) return this.clouds.get(key);
    const settings = this.settingsFor(key);
    const kind = cloudKindOf(settings.host, settings.cloud);
    const ecr = parseEcrHost(settings.host);
    const endpoint = settings.aws?.endpoint ?? (kind === "aws" ? settings.apiUrl : undefined);
    const access = kind
      ? new CloudAccess({
          kind,
          host: settings.host,
          ...(ecr ? { registryId: ecr.registryId, region: ecr.region } : {}),
          aws: { ...settings.aws, ...(endpoint ? { endpoint } : {}) },
          transport: registryTransport(this.http, key),
          // The SDKs read the process environment; the label must describe what they read.
          env: process.env,
          now: this.now,
        })
      : undefined;
    this.clouds.set(key, access);
    return access;
  }

  private session(registry: string): RegistrySession {
    const key = registryKey(registry);
    let s = this.sessions.get(key);
    if (!s) {
      const settings = this.settingsFor(key);
      const trustRealm = settings.insecure === true || settings.trustRealm === true;
      const cloud = this.cloud(key);
      const fromCloud = cloud
        ? async (hint: Parameters<CloudAccess["credential"]>[0]): Promise<SourcedCredential> => {
            try {
              return await cloud.credential(hint);
            } catch (err) {
              // A registry with no usable credentials is tried anonymously; the plan says why.
              // First line only: SDK messages go on with troubleshooting text over several lines.
              const why = (err instanceof Error ? err.message : String(err)).split("\n")[0]!.trim();
              const label = await cloud.label();
              this.opts.log?.warn?.(`credentials for ${settings.host}: ${label}: ${why}; trying anonymously`);
              return { source: `${label} failed (${why}); anonymous` };
            }
          }
        : undefined;
      s = new RegistrySession(
        { registry: key, baseUrl: baseUrlFor(settings), trustRealm },
        this.http,
        this.tokens,
        (hint) =>
          resolveSourcedCredential(settings.host, {
            explicit: { username: settings.username, password: settings.password, token: settings.token },
            env: this.opts.env,
            dockerConfigDir: this.opts.dockerConfigDir,
            warn: this.opts.log?.warn,
            ...(fromCloud ? { cloud: () => fromCloud(hint) } : {}),
          }),
        this.challengeMemory(key),
        () => cloud?.invalidate(),
        this.now,
      );
      this.sessions.set(key, s);
    }
    return s;
  }

  /**
   * Challenges are kept in the cache file (only with one: memory alone would not outlive the run)
   * and recalled only when `reuseChallenges` is set. The cache file is the user's own, like the
   * docker config it sits beside, so the realm it names is trusted as the registry's answer was.
   */
  private challengeMemory(registry: string): ChallengeMemory | undefined {
    if (!this.opts.cachePath) return undefined;
    return {
      recall: async () => {
        if (!this.opts.reuseChallenges) return undefined;
        const known = (await this.loadCache()).challenge(registry);
        return known === undefined ? undefined : known;
      },
      remember: (ch) => {
        // Only what names the token server: a 401's `scope` and `error` belong to that one request.
        const kept = ch && {
          scheme: ch.scheme,
          params: Object.fromEntries(Object.entries(ch.params).filter(([k]) => k !== "scope" && k !== "error")),
        };
        void this.loadCache().then((c) => c.setChallenge(registry, kept));
      },
    };
  }

  /**
   * Adds the credential source to a refused request's message (`…→ 401 Unauthorized; credentials:
   * docker config.json (helper ecr-login)`), so a plan says which login was used, never the secret.
   */
  private withCredentialSource(registry: string, err: unknown): unknown {
    if (!(err instanceof RegistryError) || (err.status !== 401 && err.status !== 403)) return err;
    const source = this.sessions.get(registryKey(registry))?.credentialSource();
    if (!source || err.message.includes("; credentials: ")) return err;
    return new RegistryError(`${err.message}; credentials: ${source}`, err.registry, err.status, err.repository, {
      cause: err,
    });
  }

  private platforms(registry: string): Platform[] {
    return (this.settingsFor(registry).platforms ?? this.opts.platforms ?? ["linux/amd64"]).map(parsePlatform);
  }

  private state(repo: RepositoryRef): RepoState {
    const key = `${registryKey(repo.registry)}/${repo.repository}`;
    let s = this.repos.get(key);
    if (!s) {
      s = {
        snapshotDirty: false,
        confirmed: new Map(),
        apiTimes: new Map(),
        resolving: new PromiseMemo("rejected"),
        current: new Set(),
      };
      this.repos.set(key, s);
    }
    return s;
  }

  private api(registry: string): TimestampApi {
    return this.settingsFor(registry).api ?? "auto";
  }

  listTags(repo: RepositoryRef): Promise<TagList> {
    const state = this.state(repo);
    state.listed ??= this.fetchTagList(repo, state).catch((err: unknown) => {
      throw this.withCredentialSource(repo.registry, err);
    });
    state.listed.catch(() => (state.listed = undefined));
    return state.listed;
  }

  private async fetchTagList(repo: RepositoryRef, state: RepoState): Promise<TagList> {
    const registry = registryKey(repo.registry);
    const settings = this.settingsFor(registry);
    const api = this.api(registry);
    let list: TagList | undefined;
    if (api === "docker-hub" || (api === "auto" && registry === "docker.io")) {
      try {
        list = await listDockerHubTags(this.http, {
          apiUrl: settings.apiUrl ?? "https://hub.docker.com",
          repository: repo.repository,
          pageCap: settings.pageCap ?? 100,
          registry,
          maxTags: this.opts.maxTags ?? DEFAULT_MAX_TAGS,
        });
      } catch (err) {
        state.apiFailure = err instanceof Error ? err.message : String(err);
        this.opts.log?.warn?.(`${state.apiFailure}; listing tags through the registry API instead`);
      }
    }
    list ??= await listTagsPaged(this.session(registry), repo.repository, {
      pageSize: settings.pageSize,
      pageCap: settings.pageCap,
      gcrTimes: api !== "none",
      ...(this.opts.maxTags !== undefined ? { maxTags: this.opts.maxTags } : {}),
    });
    // Too many tags: nothing to remember (the plan leaves the repository alone).
    if (list.overLimit !== undefined) return list;
    if (list.times) list = { ...list, times: this.withoutFutureTimes(repo, list.times) };

    const cache = await this.loadCache();
    const key = `${registry}/${repo.repository}`;
    const prev = state.snapshot ?? cache.snapshot(key);
    const hash = tagListHash(list.tags);
    const unchanged = prev?.hash === hash;
    const current = new Set(list.tags);
    const tags = new Map([...(prev?.tags ?? [])].filter(([t]) => current.has(t)));
    state.snapshot = { hash, changedAt: unchanged && prev ? prev.changedAt : this.now(), tags };
    if (!unchanged) state.snapshotDirty = true;
    state.listedInfo = { unchanged, times: list.times };
    return list;
  }

  async describeTags(repo: RepositoryRef, request: DescribeRequest): Promise<ReadonlyMap<string, TagDetails>> {
    const state = this.state(repo);
    const cache = await this.loadCache();
    if (!state.snapshot) {
      const s = cache.snapshot(`${registryKey(repo.registry)}/${repo.repository}`);
      // Not listed in this run: the snapshot's digests are confirmed by HEAD before use.
      if (s) state.snapshot = { hash: s.hash, changedAt: s.changedAt, tags: s.tags };
    }
    const wantTime = new Set(request.times);
    const wantPlatforms = new Set(request.platforms ?? []);
    const fresh = new Set(request.fresh ?? []);
    const all = [...new Set([...request.times, ...request.digests, ...wantPlatforms, ...fresh])];
    for (const t of request.current ?? []) state.current.add(t);

    await this.askEcr(
      repo,
      state,
      all.filter((t) => wantTime.has(t) && !this.trustedDigest(repo, state, t)),
    );
    await this.askVendorApi(
      repo,
      state,
      all.filter((t) => wantTime.has(t)),
      cache,
    );

    const out = new Map<string, TagDetails>();
    await this.resolutionSlots(repo.registry).forEach(all, async (tag) => {
      const need = wantTime.has(tag);
      const needPlatforms = wantPlatforms.has(tag);
      const needFresh = fresh.has(tag);
      const memoKey = `${tag}\u0000${need}\u0000${needPlatforms}\u0000${needFresh}`;
      const d = await state.resolving.get(memoKey, () =>
        this.resolveTag(repo, state, cache, tag, need, needPlatforms, needFresh).catch((err: unknown) => {
          throw this.withCredentialSource(repo.registry, err);
        }),
      );
      if (d) out.set(tag, this.unlessFuture(repo, tag, d));
    });
    return out;
  }

  /**
   * The tags whose build time {@link describeTags} would fetch (manifest + config blob): not given
   * by the listing or a timestamp API, and not held by the cache (a tag → digest from an earlier
   * listing, even one past its time to live, which costs at most a HEAD, plus that digest's build
   * time). A registry whose timestamp API answers times in pages (ECR, Quay, Harbor) is asked here,
   * as describeTags would (its answers are kept for it): what the API answered costs no fetch, and
   * when it fails every time falls to the manifests and counts against `limits.candidates` (#12:
   * a failed API on a 5,000-tag channel must not mean 10,000 requests in one run).
   */
  async timesToFetch(repo: RepositoryRef, tags: readonly string[]): Promise<readonly string[]> {
    const registry = registryKey(repo.registry);
    const state = this.state(repo);
    const cache = await this.loadCache();
    await this.askEcr(
      repo,
      state,
      tags.filter((t) => !this.trustedDigest(repo, state, t)),
    );
    await this.askVendorApi(repo, state, [...tags], cache);
    const pk = platformKey(this.platforms(registry));
    return tags.filter((t) => {
      if (state.apiTimes.get(t)?.created || state.listedInfo?.times?.get(t)?.created) return false;
      const digest = state.confirmed.get(t) ?? state.snapshot?.tags.get(t)?.digest;
      return !digest || !(cache.fact(digest) ?? cache.fact(`${digest}|${pk}`));
    });
  }

  /**
   * Four resolutions per request the registry may have in flight: enough that its HTTP slots
   * never wait for work (a resolution is one to three requests in a row), few enough that a cold
   * run holds a few dozen pending requests, not one per candidate tag.
   */
  private resolutionSlots(registry: string): WorkSlots {
    const key = registryKey(registry);
    let slots = this.resolutions.get(key);
    if (!slots) {
      slots = new WorkSlots(4 * (this.opts.perRegistryConcurrency ?? 8));
      this.resolutions.set(key, slots);
    }
    return slots;
  }

  /**
   * The details without their build time when it is more than {@link FUTURE_SKEW_MS} ahead of
   * now, with one warning per image and tag and run.
   */
  private unlessFuture(repo: RepositoryRef, tag: string, d: TagDetails): TagDetails {
    const t = d.created?.getTime();
    if (t === undefined || t <= this.now() + FUTURE_SKEW_MS) return d;
    const image = `${registryKey(repo.registry)}/${repo.repository}:${tag}`;
    if (!this.warnedFuture.has(image)) {
      this.warnedFuture.add(image);
      this.opts.log?.warn?.(
        `registry ${registryKey(repo.registry)}: ${image} says it was built at ${d.created!.toISOString()}, in the future; its build time is treated as unknown`,
      );
    }
    return d.digest !== undefined ? { digest: d.digest } : {};
  }

  private withoutFutureTimes(
    repo: RepositoryRef,
    times: ReadonlyMap<string, TagDetails>,
  ): ReadonlyMap<string, TagDetails> {
    const out = new Map<string, TagDetails>();
    for (const [tag, d] of times) out.set(tag, this.unlessFuture(repo, tag, d));
    return out;
  }

  /**
   * Why the registry's timestamp API (Docker Hub's tag list, ECR DescribeImages, Quay's or Harbor's
   * tag API) gave no times for `repo` in this run, naming the registry and HTTP status; undefined
   * when it answered or was not asked.
   */
  timestampApiFailure(repo: RepositoryRef): string | undefined {
    return this.state(repo).apiFailure;
  }

  /**
   * ECR DescribeImages for tags the caches cannot answer; failures fall back to the generic path
   * (and the API is not asked again for this repository in this run).
   */
  private async askEcr(repo: RepositoryRef, state: RepoState, tags: string[]): Promise<void> {
    const registry = registryKey(repo.registry);
    const api = this.api(registry);
    const missing = tags.filter((t) => !state.apiTimes.has(t) && !state.listedInfo?.times?.get(t)?.created);
    if (!missing.length || api === "none" || this.ecrApiOff.has(registry) || state.apiFailure) return;
    const settings = this.settingsFor(registry);
    // `api: ecr` on a host of another name needs `cloud: aws` (its region and credentials).
    if (cloudKindOf(settings.host, settings.cloud) !== "aws") return;
    const cloud = this.cloud(registry);
    if (!cloud) return;
    try {
      const found = ecrDetails(await cloud.describeImages(repo.repository, missing), missing);
      for (const [t, d] of found) state.apiTimes.set(t, d);
    } catch (err) {
      // Through the registry transport the message names the status; an SDK error's metadata may add it.
      const message = err instanceof Error ? err.message : String(err);
      const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
      const why = status && !message.includes(String(status)) ? `${message} (HTTP ${status})` : message;
      // No AWS credentials at all (docker's config may still log in): stop asking this client.
      if (err instanceof Error && err.name === "CredentialsProviderError") this.ecrApiOff.add(registry);
      state.apiFailure = `registry ${registry}: ECR DescribeImages (${await cloud.label()}) → ${why}`;
      this.opts.log?.warn?.(`${state.apiFailure}; using manifests instead`);
    }
  }

  /**
   * Quay's or Harbor's tag API for tags whose time no cache knows: one page of 100 tags instead of a
   * manifest and a config blob per tag. Failures fall back to the generic path (and the API is not
   * asked again for this repository in this run).
   */
  private async askVendorApi(
    repo: RepositoryRef,
    state: RepoState,
    tags: string[],
    cache: RegistryCache,
  ): Promise<void> {
    const registry = registryKey(repo.registry);
    const settings = this.settingsFor(registry);
    const vendor = vendorApiFor(this.api(registry), registry);
    if (!vendor || state.apiFailure) return;
    const missing = tags.filter((t) => {
      if (state.apiTimes.get(t)?.created || state.listedInfo?.times?.get(t)?.created) return false;
      // A digest whose build time the disk cache already holds costs nothing on the generic path.
      const digest = this.trustedDigest(repo, state, t);
      return !digest || !cache.fact(digest);
    });
    if (!missing.length) return;
    try {
      const session = this.session(registry);
      const authorization = await session.apiAuthorization();
      const found = await listVendorTagTimes(this.http, {
        api: vendor,
        baseUrl: (settings.apiUrl ?? baseUrlFor(settings)).replace(/\/+$/, ""),
        registry,
        repository: repo.repository,
        wanted: missing,
        pageCap: settings.pageCap ?? 100,
        ...(authorization ? { authorization } : {}),
      });
      for (const [t, d] of found) state.apiTimes.set(t, d);
    } catch (err) {
      state.apiFailure = err instanceof Error ? err.message : String(err);
      this.opts.log?.warn?.(`${state.apiFailure}; using manifests instead`);
    }
  }

  private trustedDigest(repo: RepositoryRef, state: RepoState, tag: string): string | undefined {
    const confirmed = state.confirmed.get(tag);
    if (confirmed) return confirmed;
    const e = state.snapshot?.tags.get(tag);
    // A listing made in this run says the tag still exists (the snapshot keeps listed tags only). A
    // targeted run does not list: the current tags' digests as last confirmed stand in for it (the
    // run is about the pushed tag; a full run re-checks them).
    if (!e || !(state.listedInfo || state.current.has(tag))) return undefined;
    const maxAge = this.opts.snapshotMaxAgeMs ?? 24 * 3600_000;
    const key = `${registryKey(repo.registry)}/${repo.repository}:${tag}`;
    if (this.now() - e.verifiedAt > recheckAfterMs(maxAge, key)) return undefined;
    return e.digest;
  }

  private confirm(state: RepoState, tag: string, digest: string): void {
    state.confirmed.set(tag, digest);
    if (state.snapshot) {
      state.snapshot.tags.set(tag, { digest, verifiedAt: this.now() });
      state.snapshotDirty = true;
    }
  }

  private async resolveTag(
    repo: RepositoryRef,
    state: RepoState,
    cache: RegistryCache,
    tag: string,
    needTime: boolean,
    needPlatforms = false,
    needFresh = false,
  ): Promise<TagDetails | undefined> {
    // 1. A timestamp API already answered (Docker Hub / GCR listing, ECR DescribeImages).
    const fromApi = state.apiTimes.get(tag) ?? state.listedInfo?.times?.get(tag);
    if (fromApi && !needPlatforms && !needFresh && (needTime ? fromApi.created : fromApi.digest)) return fromApi;

    const session = this.session(repo.registry);
    // A fresh digest is one confirmed by the registry in this run, never the snapshot's.
    let digest = needFresh ? state.confirmed.get(tag) : (this.trustedDigest(repo, state, tag) ?? fromApi?.digest);
    let manifest: Manifest | undefined;
    if (!digest) {
      const seenBefore = state.snapshot?.tags.has(tag) ?? false;
      if (!needTime || seenBefore || needFresh) {
        // Probably the digest we know: a HEAD confirms it and costs no Docker Hub pull.
        const head = await headManifest(session, repo.repository, tag);
        if (!head) return undefined; // the tag vanished
        digest = head.digest;
      } else {
        manifest = await getManifest(session, repo.repository, tag);
        if (!manifest) return undefined;
        digest = manifest.digest;
        this.manifests.set(this.manifestKey(repo, digest), Promise.resolve(manifest));
      }
      this.confirm(state, tag, digest);
    }
    const details: TagDetails = needTime ? await this.buildTime(repo, cache, digest, manifest) : { digest };
    if (!needPlatforms) return details;
    return { ...details, platforms: await this.platformsOf(repo, cache, digest) };
  }

  /**
   * The platforms a digest offers: from the cache (they never change for a digest), else its
   * manifest (and, for a single image, its config blob), both shared with the build-time lookup.
   */
  private async platformsOf(repo: RepositoryRef, cache: RegistryCache, digest: string): Promise<readonly string[]> {
    const key = `${digest}|platforms`;
    const known = cache.fact(key)?.platforms;
    if (known) return known;
    const m = await this.fetchManifest(repo, digest);
    if (!m) {
      throw registryFailure(
        { registry: registryKey(repo.registry), repository: repo.repository },
        `manifest ${digest} of ${repo.repository} disappeared`,
        404,
      );
    }
    const platforms = await offeredPlatforms(m, { blob: (d) => this.fetchBlob(repo, d) });
    cache.setFact(key, { platforms });
    return platforms;
  }

  /**
   * Whether `digest` carries a valid cosign signature by `key`. Only a valid verdict is cached
   * (by digest and key id): a verified signature of given bytes stays verified, while an unsigned
   * image may be signed later and is asked again.
   */
  async verifySignature(repo: RepositoryRef, digest: string, key: VerifyKey): Promise<SignatureVerdict> {
    const cache = await this.loadCache();
    const factKey = `${digest}|cosign|${key.id}`;
    if (cache.fact(factKey)?.signed) return { ok: true };
    const verdict = await this.signatures.get(`${this.manifestKey(repo, digest)}|${key.id}`, () =>
      verifyCosignSignature(this.session(repo.registry), repo.repository, digest, key),
    );
    if (verdict.ok) cache.setFact(factKey, { signed: true });
    return verdict;
  }

  private manifestKey(repo: RepositoryRef, digest: string): string {
    return `${registryKey(repo.registry)}/${repo.repository}@${digest}`;
  }

  private fetchManifest(repo: RepositoryRef, digest: string): Promise<Manifest | undefined> {
    const key = this.manifestKey(repo, digest);
    return this.manifests.get(key, () => getManifest(this.session(repo.registry), repo.repository, digest));
  }

  private fetchBlob(repo: RepositoryRef, digest: string): Promise<ImageConfig> {
    const key = this.manifestKey(repo, digest);
    return this.blobs.get(key, () => getImageConfig(this.session(repo.registry), repo.repository, digest));
  }

  /** Build time of a digest: from the cache, else fetched once per run and remembered. */
  private buildTime(repo: RepositoryRef, cache: RegistryCache, digest: string, known?: Manifest): Promise<TagDetails> {
    const platforms = this.platforms(repo.registry);
    const pk = platformKey(platforms);
    // Facts are keyed by content digest alone (an index also by platforms): the same bytes have
    // the same build time in every registry and repository.
    const fact = cache.fact(digest) ?? cache.fact(`${digest}|${pk}`);
    if (fact) {
      return Promise.resolve(
        fact.created
          ? { digest, created: fact.created, source: "cache", cachedFrom: fact.source }
          : { digest, ...(fact.fixed ? { fixedTime: true } : {}) },
      );
    }
    const memo = `${digest}|${pk}`;
    return this.buildTimes.get(memo, async (): Promise<TagDetails> => {
      const m = known ?? (await this.fetchManifest(repo, digest));
      if (!m) {
        throw registryFailure(
          { registry: registryKey(repo.registry), repository: repo.repository },
          `manifest ${digest} of ${repo.repository} disappeared`,
          404,
        );
      }
      const bt = await resolveBuildTime(m, platforms, {
        manifest: (d) => this.fetchManifest(repo, d),
        blob: (d) => this.fetchBlob(repo, d),
      });
      cache.setFact(isIndex(m) ? `${digest}|${pk}` : digest, {
        created: bt.created,
        source: bt.source,
        ...(bt.fixed ? { fixed: true } : {}),
      });
      if (bt.created) return { digest, created: bt.created, source: bt.source };
      return bt.fixed ? { digest, fixedTime: true } : { digest };
    });
  }
}
