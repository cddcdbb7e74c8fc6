import { missingPlatforms } from "../policy/platforms.js";
import type { RepositoryRef, TagSource } from "../registry/types.js";
import type { Decision, RepositoryDecisions, TagInfo, Tracked } from "./decide.js";
import { askTagDetails, type Answer } from "./facts.js";
import type { PlanFailure } from "./types.js";

/** At most this many candidates are checked per reference before it stays `missing-platform`. */
export const MAX_CHECKED = 5;

/**
 * A rule's `platforms` requirement, checked on the candidate that would win only (then the next
 * one when it fails), never on every tag: the platforms of one repository's tags are asked once
 * each through the `TagSource` (which caches them by digest), whatever the number of references.
 */
export class PlatformGate {
  private readonly asked = new Map<string, Promise<Answer<readonly string[] | undefined>>>();

  constructor(
    private readonly tags: TagSource,
    private readonly repo: RepositoryRef,
  ) {}

  /** What `tag` lacks of `required` (undefined: nothing), or the registry failure asking it. */
  async lacking(tag: string, required: readonly string[]): Promise<Answer<string | undefined>> {
    const answer = await this.platformsOf(tag);
    if (!answer.ok) return answer;
    const offered = answer.value ?? [];
    const missing = missingPlatforms(required, offered);
    if (missing.length === 0) return { ok: true, value: undefined };
    return {
      ok: true,
      value: `${tag} lacks ${missing.join(", ")} (${offered.length ? `has ${offered.join(", ")}` : "platform unknown"})`,
    };
  }

  private platformsOf(tag: string): Promise<Answer<readonly string[] | undefined>> {
    let p = this.asked.get(tag);
    if (!p) {
      p = askTagDetails(this.tags, this.repo, { times: [], digests: [], platforms: [tag] }).then((a) =>
        a.ok ? { ok: true as const, value: a.value.get(tag)?.platforms } : a,
      );
      this.asked.set(tag, p);
    }
    return p;
  }

  /**
   * The decision with the gate applied: a winner lacking a required platform is skipped and the
   * next best decided. When some were skipped and nothing moves, the reference stays
   * `missing-platform`, naming what each skipped candidate lacks.
   */
  async decide(
    decisions: RepositoryDecisions,
    it: Tracked,
    info: TagInfo,
    required: readonly string[],
  ): Promise<Decision | { readonly failure: PlanFailure }> {
    const skip = new Set<string>();
    const skipped: string[] = [];
    let d = decisions.decide(it, info);
    while ("move" in d) {
      const answer = await this.lacking(d.move, required);
      if (!answer.ok) return { failure: answer.failure };
      if (answer.value === undefined) return d;
      skipped.push(answer.value);
      skip.add(d.move);
      if (skip.size >= MAX_CHECKED) break;
      d = decisions.decide(it, info, skip);
    }
    if (skipped.length === 0) return d;
    const then = "move" in d ? `stopped after ${MAX_CHECKED} candidates` : `then ${d.stays}: ${d.detail}`;
    return { stays: "missing-platform", detail: `skipped ${skipped.join("; ")}; ${then}` };
  }
}
