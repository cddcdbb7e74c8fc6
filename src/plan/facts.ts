import {
  RegistryError,
  type DescribeRequest,
  type RepositoryRef,
  type TagDetails,
  type TagList,
  type TagSource,
} from "../registry/types.js";
import type { PlanFailure } from "./types.js";

/** A registry answer, or the failure that replaces it (the plan marks the sites that needed it). */
export type Answer<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: PlanFailure };

/**
 * The registry facts the plan needs, asked through the `TagSource` interface: the only part of the
 * plan that waits on anything. Each call is one question about one repository; a thrown error
 * becomes a `PlanFailure` so one broken repository never stops the others.
 */
export async function askTagList(tags: TagSource, repo: RepositoryRef): Promise<Answer<TagList>> {
  try {
    return { ok: true, value: await tags.listTags(repo) };
  } catch (e) {
    return { ok: false, failure: toFailure(e, repo) };
  }
}

/**
 * Build times and digests for some tags of one repository. An empty request asks nothing: the
 * benchmarks count requests, and a repository whose listing carried every time needs no more.
 */
export async function askTagDetails(
  tags: TagSource,
  repo: RepositoryRef,
  request: DescribeRequest,
): Promise<Answer<ReadonlyMap<string, TagDetails>>> {
  const asks = request.times.length + request.digests.length + (request.platforms?.length ?? 0);
  if (asks + (request.fresh?.length ?? 0) === 0) return { ok: true, value: new Map() };
  try {
    return { ok: true, value: await tags.describeTags(repo, request) };
  } catch (e) {
    return { ok: false, failure: toFailure(e, repo) };
  }
}

/** A failure record naming the registry, repository and (when there was one) the HTTP status. */
export function toFailure(e: unknown, repo: RepositoryRef): PlanFailure {
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

/** What {@link askTimesToFetch} learnt: the times to fetch, and why the timestamp API gave none. */
export interface FetchCosts {
  /** Undefined when the source cannot say (`TagSource.timesToFetch` absent). */
  readonly toFetch: readonly string[] | undefined;
  /** The source's `timestampApiFailure`: the failed API's message (registry + HTTP status). */
  readonly apiFailure?: string;
}

/**
 * Which of `tags` the source would have to fetch a build time for (`TagSource.timesToFetch`), or
 * undefined when it cannot say, with the timestamp API's failure when it had one. Nothing is asked
 * when `tags` is empty (every channel within `limits.candidates`): the question is only needed for
 * channels over the limit.
 */
export async function askTimesToFetch(
  tags: TagSource,
  repo: RepositoryRef,
  unlisted: readonly string[],
): Promise<Answer<FetchCosts>> {
  if (unlisted.length === 0 || !tags.timesToFetch) return { ok: true, value: { toFetch: undefined } };
  try {
    const toFetch = await tags.timesToFetch(repo, unlisted);
    const apiFailure = tags.timestampApiFailure?.(repo);
    return { ok: true, value: { toFetch, ...(apiFailure ? { apiFailure } : {}) } };
  } catch (e) {
    return { ok: false, failure: toFailure(e, repo) };
  }
}
