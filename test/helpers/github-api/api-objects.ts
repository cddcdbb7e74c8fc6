import type { CommitObject, TreeEntry } from "./bare-repo.js";
import { nodeId, type EmulatedLabel, type EmulatedPullRequest } from "./emulator-state.js";
import { exampleValue, type OpenApiDocument } from "./openapi-spec.js";

/**
 * Response bodies. Each starts from the example GitHub publishes for that response in the OpenAPI
 * description (so every field a client might read exists, with a realistic type) and overwrites
 * the fields that carry this emulator's state. The result is checked against the response schema
 * when the server validates responses.
 */

type Json = Record<string, unknown>;

export interface Urls {
  /** REST root as the client addressed it: `http://127.0.0.1:N` or `http://127.0.0.1:N/api/v3`. */
  readonly api: string;
  /** Web root: `http://127.0.0.1:N`. */
  readonly web: string;
  readonly owner: string;
  readonly repo: string;
}

function repoApi(u: Urls): string {
  return `${u.api}/repos/${u.owner}/${u.repo}`;
}

export class ApiObjects {
  constructor(readonly doc: OpenApiDocument) {}

  user(u: Urls, login: string, id = 1): Json {
    const user = exampleValue<Json>(this.doc, "pull-request").user as Json;
    return {
      ...user,
      login,
      id,
      node_id: nodeId("U", login),
      url: `${u.api}/users/${login}`,
      html_url: `${u.web}/${login}`,
    };
  }

  team(u: Urls, slug: string, id: number): Json {
    return {
      id,
      node_id: nodeId("T", slug),
      url: `${u.api}/teams/${id}`,
      html_url: `${u.web}/orgs/${u.owner}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: "closed",
      notification_setting: "notifications_enabled",
      permission: "push",
      members_url: `${u.api}/teams/${id}/members{/member}`,
      repositories_url: `${u.api}/teams/${id}/repos`,
      type: "organization",
      // Required by the full `team` schema that pull-request-simple uses for requested_teams.
      parent: null,
    };
  }

  label(u: Urls, l: EmulatedLabel): Json {
    return {
      id: l.id,
      node_id: nodeId("LA", l.id),
      url: `${repoApi(u)}/labels/${encodeURIComponent(l.name)}`,
      name: l.name,
      // The "simple" PR shape declares description as a non-null string; GitHub sends "" for none.
      description: l.description ?? "",
      color: l.color,
      default: false,
    };
  }

  private repository(template: Json, u: Urls): Json {
    const owner = {
      ...(template.owner as Json),
      login: u.owner,
      url: `${u.api}/users/${u.owner}`,
      html_url: `${u.web}/${u.owner}`,
    };
    return {
      ...template,
      name: u.repo,
      full_name: `${u.owner}/${u.repo}`,
      owner,
      url: repoApi(u),
      html_url: `${u.web}/${u.owner}/${u.repo}`,
      default_branch: "main",
    };
  }

  private pullFields(template: Json, u: Urls, pr: EmulatedPullRequest, labels: readonly EmulatedLabel[]): Json {
    const api = `${repoApi(u)}/pulls/${pr.number}`;
    const html = `${u.web}/${u.owner}/${u.repo}/pull/${pr.number}`;
    const head = template.head as Json;
    const base = template.base as Json;
    const author = this.user(u, pr.author, 41898282);
    return {
      ...template,
      url: api,
      id: pr.id,
      node_id: pr.nodeId,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${repoApi(u)}/issues/${pr.number}`,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      comments_url: `${repoApi(u)}/issues/${pr.number}/comments`,
      statuses_url: `${repoApi(u)}/statuses/${pr.headSha}`,
      number: pr.number,
      state: pr.state,
      locked: false,
      title: pr.title,
      user: author,
      body: pr.body,
      labels: labels.map((l) => this.label(u, l)),
      milestone: null,
      created_at: pr.createdAt,
      updated_at: pr.updatedAt,
      closed_at: pr.closedAt,
      merged_at: null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pr.requestedReviewers.map((login, i) => this.user(u, login, 5000 + i)),
      requested_teams: pr.requestedTeams.map((slug, i) => this.team(u, slug, 7000 + i)),
      head: {
        ...head,
        label: `${u.owner}:${pr.head}`,
        ref: pr.head,
        sha: pr.headSha,
        user: this.user(u, u.owner),
        repo: this.repository(head.repo as Json, u),
      },
      base: {
        ...base,
        label: `${u.owner}:${pr.base}`,
        ref: pr.base,
        sha: pr.baseSha,
        user: this.user(u, u.owner),
        repo: this.repository(base.repo as Json, u),
      },
      author_association: "CONTRIBUTOR",
      auto_merge: pr.autoMerge
        ? {
            enabled_by: author,
            merge_method: pr.autoMerge.mergeMethod.toLowerCase(),
            commit_title: pr.title,
            commit_message: "",
          }
        : null,
      draft: pr.draft,
    };
  }

  /** Full `pull-request` (create, get, update). */
  pullRequest(u: Urls, pr: EmulatedPullRequest, labels: readonly EmulatedLabel[]): Json {
    const t = exampleValue<Json>(this.doc, "pull-request");
    return {
      ...this.pullFields(t, u, pr, labels),
      merged: false,
      mergeable: null,
      rebaseable: null,
      mergeable_state: "unknown",
      merged_by: null,
      maintainer_can_modify: pr.maintainerCanModify,
      comments: 0,
      review_comments: 0,
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
    };
  }

  /** `pull-request-simple` (list, request reviewers). */
  pullRequestSimple(u: Urls, pr: EmulatedPullRequest, labels: readonly EmulatedLabel[]): Json {
    const [t] = exampleValue<Json[]>(this.doc, "pull-request-simple-items");
    return this.pullFields(t ?? {}, u, pr, labels);
  }

  gitRef(u: Urls, ref: string, sha: string): Json {
    return {
      ref,
      node_id: nodeId("REF", ref),
      url: `${repoApi(u)}/git/${ref}`,
      object: { type: "commit", sha, url: `${repoApi(u)}/git/commits/${sha}` },
    };
  }

  shortBlob(u: Urls, sha: string): Json {
    return { url: `${repoApi(u)}/git/blobs/${sha}`, sha };
  }

  gitTree(u: Urls, sha: string, entries: readonly TreeEntry[]): Json {
    return {
      sha,
      url: `${repoApi(u)}/git/trees/${sha}`,
      truncated: false,
      tree: entries.map((e) => ({
        path: e.path,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.size !== undefined ? { size: e.size } : {}),
        url: `${repoApi(u)}/git/${e.type === "tree" ? "trees" : "blobs"}/${e.sha}`,
      })),
    };
  }

  gitCommit(u: Urls, c: CommitObject, signed: boolean): Json {
    return {
      sha: c.sha,
      node_id: nodeId("C", c.sha),
      url: `${repoApi(u)}/git/commits/${c.sha}`,
      html_url: `${u.web}/${u.owner}/${u.repo}/commit/${c.sha}`,
      author: c.author,
      committer: c.committer,
      message: c.message,
      tree: { sha: c.tree, url: `${repoApi(u)}/git/trees/${c.tree}` },
      parents: c.parents.map((p) => ({
        sha: p,
        url: `${repoApi(u)}/git/commits/${p}`,
        html_url: `${u.web}/${u.owner}/${u.repo}/commit/${p}`,
      })),
      verification: signed
        ? {
            verified: true,
            reason: "valid",
            signature: "-----BEGIN PGP SIGNATURE-----\n\n(emulated)\n-----END PGP SIGNATURE-----\n",
            payload: `tree ${c.tree}\n`,
            verified_at: c.committer.date,
          }
        : { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    };
  }
}
