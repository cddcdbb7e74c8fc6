/** In-memory side of the emulated repository: what git itself does not store. */

export interface EmulatedLabel {
  readonly id: number;
  readonly name: string;
  readonly color: string;
  readonly description: string | null;
}

export interface EmulatedAutoMerge {
  readonly mergeMethod: "MERGE" | "SQUASH" | "REBASE";
  readonly enabledAt: string;
}

export interface EmulatedPullRequest {
  readonly id: number;
  readonly number: number;
  readonly nodeId: string;
  title: string;
  body: string | null;
  /** Branch names, no `refs/heads/`. */
  readonly head: string;
  base: string;
  state: "open" | "closed";
  readonly draft: boolean;
  /** Login of the token that opened it. */
  readonly author: string;
  labels: string[];
  requestedReviewers: string[];
  requestedTeams: string[];
  autoMerge: EmulatedAutoMerge | undefined;
  /** Last head sha seen (kept after the branch is deleted, as GitHub does). */
  headSha: string;
  baseSha: string;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  maintainerCanModify: boolean;
}

export class EmulatorState {
  readonly pullRequests = new Map<number, EmulatedPullRequest>();
  readonly labels = new Map<string, EmulatedLabel>();
  /** Commits created through POST /git/commits: GitHub signs those, so they report verified. */
  readonly signedCommits = new Set<string>();
  private nextNumber = 1;
  private nextId = 1000;

  /** Issue and pull request numbers share one sequence on GitHub. */
  allocateNumber(): number {
    return this.nextNumber++;
  }

  allocateId(): number {
    return this.nextId++;
  }

  openPullRequests(): EmulatedPullRequest[] {
    return [...this.pullRequests.values()].filter((p) => p.state === "open");
  }

  findByNodeId(nodeId: string): EmulatedPullRequest | undefined {
    return [...this.pullRequests.values()].find((p) => p.nodeId === nodeId);
  }

  /** A label by name (GitHub matches case-insensitively), created with a default colour if missing. */
  labelFor(name: string): EmulatedLabel {
    const key = name.toLowerCase();
    let label = this.labels.get(key);
    if (!label) {
      label = { id: this.allocateId(), name, color: "ededed", description: null };
      this.labels.set(key, label);
    }
    return label;
  }
}

/** GitHub-looking global node id (base64 of a typed key); only needs to be unique and opaque. */
export function nodeId(kind: string, id: number | string): string {
  return `${kind}_${Buffer.from(`laminar-emulator:${kind}:${id}`).toString("base64url")}`;
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}
