/**
 * The contract between the plan engine and whatever answers registry questions.
 * The plan engine (pure) only sees this interface; `src/registry/` implements it over HTTP,
 * tests and the CLI may pass other implementations (for example an in-memory one).
 */
import type { SignatureVerdict, VerifyKey } from "../verify/cosign.js";

/** A repository in a registry, normalised as docker does (`docker.io`, `library/nginx`). */
export interface RepositoryRef {
  readonly registry: string;
  readonly repository: string;
}

/** Where a build time came from; recorded per reference in the plan. */
export type TimestampSource =
  | "cache" // digest → time learnt on an earlier run (the original source is kept in `cachedFrom`)
  | "config-blob" // `created` of the image config blob
  | "annotation" // `org.opencontainers.image.created` on the manifest / index
  | "docker-hub-api" // Docker Hub tag API `tag_last_pushed`
  | "gcr-tags-list" // GCR / Artifact Registry `tags/list` manifest map `timeUploadedMs`
  | "ecr-describe-images" // ECR DescribeImages `imagePushedAt`
  | "quay-tag-api" // Quay tag API `start_ts`
  | "harbor-api" // Harbor artifact list `push_time`
  | "registry-api"; // another registry-specific listing API

/** A repository's tags, as {@link TagSource.listTags} answers. */
export interface TagList {
  /** Every tag of the repository, in the order the registry returned them. */
  readonly tags: readonly string[];
  /**
   * Build (or push) times the listing API gave for free, keyed by tag. Registries whose tag API
   * carries timestamps (Docker Hub, GCR) fill this so the engine needs no manifest requests.
   */
  readonly times?: ReadonlyMap<string, TagDetails>;
  /** True when the page cap stopped the listing early: the plan says so. */
  readonly truncated?: boolean;
  /**
   * Set when the repository lists more tags than this cap (`limits.tags`): the listing stopped
   * there, `tags` is empty and the plan leaves the repository's references alone with reason
   * `too-many-tags` (issue #13: one page of a million tags ran the process out of memory).
   */
  readonly overLimit?: number;
}

/** What is known about one tag: its digest and build time, and where the time came from. */
export interface TagDetails {
  /** Manifest digest the tag points at (`sha256:…`), when known. */
  readonly digest?: string;
  /** Build time of the image; undefined when no source could tell. */
  readonly created?: Date;
  readonly source?: TimestampSource;
  /** When `source` is "cache": where the cached time originally came from. */
  readonly cachedFrom?: Exclude<TimestampSource, "cache">;
  /**
   * True when the image gives no usable time because it says a reproducible build's fixed time
   * (ko, Bazel, Nix write the epoch): the plan reports `ambiguous-build-time` rather than guess.
   */
  readonly fixedTime?: boolean;
  /** The platforms the image offers (`os/arch[/variant]`), when asked (`DescribeRequest.platforms`). */
  readonly platforms?: readonly string[];
}

/** The tags {@link TagSource.describeTags} is asked about, and what is wanted for each. */
export interface DescribeRequest {
  /** Tags whose build time is wanted (for build-time ordering). */
  readonly times: readonly string[];
  /** Tags whose manifest digest is wanted (references pinned `tag@digest`). */
  readonly digests: readonly string[];
  /**
   * Tags the references already use, in a targeted run that did not list the repository: their
   * digest may be taken from the cache's last listing (while it is younger than the cache's trust
   * window) without asking, since the run is about another, just-pushed tag.
   */
  readonly current?: readonly string[];
  /**
   * Tags whose digest must be asked now (a HEAD), not taken from the cache's snapshot: a rebuilt
   * `nginx:1.27` moves its digest without changing the tag list (`digest: refresh`).
   */
  readonly fresh?: readonly string[];
  /** Tags whose platforms are wanted (a rule's `platforms` gate, asked for the winning candidate only). */
  readonly platforms?: readonly string[];
}

/**
 * Answers the registry questions the plan needs. Implementations must throw `RegistryError`
 * (or a subclass) for registry failures so the plan can mark only the affected references.
 */
export interface TagSource {
  listTags(repo: RepositoryRef): Promise<TagList>;
  /**
   * Details for the requested tags. Implementations should answer from caches first and fetch
   * only what is missing; a tag that vanished is simply absent from the result.
   */
  describeTags(repo: RepositoryRef, request: DescribeRequest): Promise<ReadonlyMap<string, TagDetails>>;
  /**
   * Of these tags (asked after {@link TagSource.listTags} of the same repository), the ones whose
   * build time this source would have to fetch, one manifest and config blob each: neither the
   * listing, a timestamp API nor a cache of earlier runs holds it. It fetches no manifest (it may
   * ask a timestamp API that answers in pages, as describeTags would; a failed one leaves every
   * uncached time to fetch). The plan
   * bounds those fetches per run (`limits.candidates`) and learns a large channel over several
   * runs; a source without it cannot be bounded that way, so such a channel stays
   * `too-many-candidates` (src/plan/decide.ts).
   */
  timesToFetch?(repo: RepositoryRef, tags: readonly string[]): Promise<readonly string[]>;
  /**
   * Why the registry's timestamp API gave no times for `repo` in this run (a message naming the
   * registry and HTTP status), or undefined. Asked after {@link TagSource.timesToFetch}: a channel
   * learnt from manifests because of it says so in its `learning-build-times` detail.
   */
  timestampApiFailure?(repo: RepositoryRef): string | undefined;
  /**
   * Whether `digest` carries a valid cosign signature by `key` (a rule's `verify.cosign`, asked
   * for the winning candidate only). A source without it cannot check: such candidates are skipped.
   */
  verifySignature?(repo: RepositoryRef, digest: string, key: VerifyKey): Promise<SignatureVerdict>;
}

/** Request counts by kind, reported in the plan and by the benchmarks. */
export interface RequestCounts {
  ping: number;
  token: number;
  tagPages: number;
  manifestHead: number;
  manifestGet: number;
  blobGet: number;
  api: number; // registry-specific timestamp APIs (Docker Hub, GCR, ECR, Quay, Harbor)
  retries: number;
}

/** A registry failure: names the registry and, when there was one, the HTTP status. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    message: string,
    readonly registry: string,
    readonly status?: number,
    readonly repository?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
