import type { RepositoryRef, TagSource } from "../registry/types.js";
import type { SignatureVerdict, VerifyKey } from "../verify/cosign.js";
import type { Decision, RepositoryDecisions, TagInfo, Tracked } from "./decide.js";
import { askTagDetails, toFailure, type Answer } from "./facts.js";
import { MAX_CHECKED, type PlatformGate } from "./platform-gate.js";
import type { PlanFailure } from "./types.js";

/**
 * A rule's `verify.cosign` requirement (issue #15), checked like the platforms gate: on the
 * candidate that would win only, then the next best when it fails, never on every tag. The verdict
 * per digest and key is asked once per run through the `TagSource` (which caches valid ones).
 */
export class SignatureGate {
  private readonly asked = new Map<string, Promise<Answer<SignatureVerdict>>>();

  constructor(
    private readonly tags: TagSource,
    private readonly repo: RepositoryRef,
    private readonly platforms: PlatformGate,
  ) {}

  /** The verdict on `tag` (its digest learnt first when the listing did not give it). */
  private verdictOf(tag: string, info: TagInfo, key: VerifyKey): Promise<Answer<SignatureVerdict>> {
    const memo = `${tag}\u0000${key.id}`;
    let p = this.asked.get(memo);
    if (!p) {
      p = this.ask(tag, info, key);
      this.asked.set(memo, p);
    }
    return p;
  }

  private async ask(tag: string, info: TagInfo, key: VerifyKey): Promise<Answer<SignatureVerdict>> {
    let digest = info(tag)?.digest;
    if (!digest) {
      const a = await askTagDetails(this.tags, this.repo, { times: [], digests: [tag] });
      if (!a.ok) return a;
      digest = a.value.get(tag)?.digest;
    }
    if (!digest) return { ok: true, value: { ok: false, reason: "unsigned", detail: `${tag} has no digest` } };
    if (!this.tags.verifySignature)
      return { ok: true, value: { ok: false, reason: "unsigned", detail: "this tag source cannot check signatures" } };
    try {
      return { ok: true, value: await this.tags.verifySignature(this.repo, digest, key) };
    } catch (e) {
      return { ok: false, failure: toFailure(e, this.repo) };
    }
  }

  /**
   * The decision with the gate (and the rule's `platforms`, when set) applied: a winner without a
   * valid signature is skipped and the next best decided. When some were skipped and nothing
   * moves, the reference stays `bad-signature` if any candidate's signature failed, else
   * `unsigned` (or `missing-platform` when only platforms skipped), naming each skipped candidate.
   */
  async decide(
    decisions: RepositoryDecisions,
    it: Tracked,
    info: TagInfo,
    key: VerifyKey,
    required: readonly string[] = [],
  ): Promise<Decision | { readonly failure: PlanFailure }> {
    const skip = new Set<string>();
    const skipped: string[] = [];
    let reason: "unsigned" | "bad-signature" | "missing-platform" | undefined;
    let d = decisions.decide(it, info);
    while ("move" in d) {
      const tag = d.move;
      if (required.length) {
        const lacking = await this.platforms.lacking(tag, required);
        if (!lacking.ok) return { failure: lacking.failure };
        if (lacking.value !== undefined) {
          skipped.push(lacking.value);
          reason ??= "missing-platform";
        }
      }
      if (skipped.length === skip.size) {
        const answer = await this.verdictOf(tag, info, key);
        if (!answer.ok) return { failure: answer.failure };
        if (answer.value.ok) return d;
        skipped.push(`${tag}: ${answer.value.detail}`);
        if (answer.value.reason === "bad-signature" || reason !== "bad-signature") reason = answer.value.reason;
      }
      skip.add(tag);
      if (skip.size >= MAX_CHECKED) break;
      d = decisions.decide(it, info, skip);
    }
    if (skipped.length === 0 || reason === undefined) return d;
    const then = "move" in d ? `stopped after ${MAX_CHECKED} candidates` : `then ${d.stays}: ${d.detail}`;
    return { stays: reason, detail: `skipped ${skipped.join("; ")}; ${then}` };
  }
}
