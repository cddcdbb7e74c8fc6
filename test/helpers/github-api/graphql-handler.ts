import { now, type EmulatorState } from "./emulator-state.js";
import type { EmulatorConfig } from "./rest-handlers.js";

/**
 * `POST /graphql` (`/api/graphql` on GHES) for the one mutation Laminar uses:
 * `enablePullRequestAutoMerge(input: { pullRequestId, mergeMethod })`.
 *
 * GitHub's GraphQL schema is not in @octokit/openapi, so checks are hand-written and limited to what
 * can go wrong in our client: the mutation name, `$variables` declared and supplied (non-null ones),
 * `pullRequestId` resolving to a pull request's node id, `mergeMethod` one of the enum values.
 * Anything else is answered the GraphQL way (HTTP 200, `errors`) and reported as a violation.
 */

export interface GraphqlOutcome {
  readonly body: unknown;
  /** Client mistakes (not GitHub refusals such as "auto-merge not allowed"). */
  readonly violations: readonly string[];
}

const MERGE_METHODS = new Set(["MERGE", "SQUASH", "REBASE"]);

function gqlError(message: string, type?: string): { message: string; type?: string; path?: string[] } {
  return { message, ...(type ? { type } : {}), path: ["enablePullRequestAutoMerge"] };
}

/** `name: $var` or `name: "literal"` / `name: ENUM` inside the mutation's `input: { … }`. */
function argument(
  input: string,
  name: string,
  variables: Record<string, unknown>,
): { value: unknown; variable?: string } | undefined {
  const m = new RegExp(`\\b${name}\\s*:\\s*(\\$\\w+|"(?:[^"\\\\]|\\\\.)*"|\\w+)`).exec(input);
  const raw = m?.[1];
  if (!raw) return undefined;
  if (raw.startsWith("$")) return { value: variables[raw.slice(1)], variable: raw.slice(1) };
  if (raw.startsWith('"')) return { value: JSON.parse(raw) as unknown };
  return { value: raw };
}

export function handleGraphql(body: unknown, state: EmulatorState, config: EmulatorConfig): GraphqlOutcome {
  const b = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
  const query = typeof b.query === "string" ? b.query : undefined;
  const variables = b.variables && typeof b.variables === "object" ? (b.variables as Record<string, unknown>) : {};
  if (!query)
    return {
      body: { errors: [{ message: "A query attribute must be specified and must be a string." }] },
      violations: ["graphql: no query"],
    };

  const mutation = /^\s*mutation\b[^{]*\{\s*enablePullRequestAutoMerge\s*\(\s*input\s*:\s*\{([^}]*)\}\s*\)/.exec(query);
  if (!mutation) {
    const field = /\{\s*(\w+)/.exec(query)?.[1] ?? "?";
    return {
      body: {
        errors: [
          {
            message: `Field '${field}' doesn't exist on type 'Mutation' (the emulator knows only enablePullRequestAutoMerge)`,
          },
        ],
      },
      violations: [`graphql: unsupported operation (${field})`],
    };
  }

  const violations: string[] = [];
  // Declared variables: `($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!)`.
  const declared = new Map<string, string>();
  for (const d of query.slice(0, mutation.index + mutation[0].indexOf("{")).matchAll(/\$(\w+)\s*:\s*([\w!]+)/g))
    declared.set(d[1] ?? "", d[2] ?? "");
  for (const [name, type] of declared) {
    if (type.endsWith("!") && variables[name] === undefined)
      violations.push(`graphql: non-null variable $${name} was not supplied`);
  }
  const input = mutation[1] ?? "";
  const id = argument(input, "pullRequestId", variables);
  const method = argument(input, "mergeMethod", variables);
  for (const a of [id, method])
    if (a?.variable && !declared.has(a.variable))
      violations.push(`graphql: variable $${a.variable} is used but not declared`);
  if (id?.variable && declared.has(id.variable) && declared.get(id.variable) !== "ID!")
    violations.push(`graphql: $${id.variable} must be declared ID!`);
  if (
    method?.variable &&
    declared.has(method.variable) &&
    !(declared.get(method.variable) ?? "").startsWith("PullRequestMergeMethod")
  ) {
    violations.push(`graphql: $${method.variable} must be declared PullRequestMergeMethod`);
  }
  if (!id || typeof id.value !== "string") {
    violations.push("graphql: input.pullRequestId is required");
    return {
      body: {
        errors: [gqlError("Argument 'pullRequestId' on InputObject 'EnablePullRequestAutoMergeInput' is required.")],
      },
      violations,
    };
  }
  const mergeMethod = method?.value ?? "MERGE";
  if (typeof mergeMethod !== "string" || !MERGE_METHODS.has(mergeMethod)) {
    violations.push(`graphql: mergeMethod ${String(mergeMethod)} is not a PullRequestMergeMethod`);
    return {
      body: { errors: [gqlError(`Variable $mergeMethod of type PullRequestMergeMethod was provided invalid value`)] },
      violations,
    };
  }
  if (violations.length) return { body: { errors: violations.map((v) => gqlError(v)) }, violations };

  const pr = state.findByNodeId(id.value);
  if (!pr)
    return {
      body: {
        data: { enablePullRequestAutoMerge: null },
        errors: [gqlError(`Could not resolve to a node with the global id of '${id.value}'.`, "NOT_FOUND")],
      },
      violations,
    };
  if (!config.autoMergeAllowed) {
    return {
      body: {
        data: { enablePullRequestAutoMerge: null },
        errors: [gqlError("Pull request Auto merge is not allowed for this repository", "UNPROCESSABLE")],
      },
      violations,
    };
  }
  if (pr.state !== "open") {
    return {
      body: {
        data: { enablePullRequestAutoMerge: null },
        errors: [gqlError("Pull request is not in the correct state to enable auto-merge", "UNPROCESSABLE")],
      },
      violations,
    };
  }
  pr.autoMerge = { mergeMethod: mergeMethod as "MERGE" | "SQUASH" | "REBASE", enabledAt: now() };
  return {
    body: {
      data: {
        enablePullRequestAutoMerge: {
          clientMutationId: null,
          pullRequest: { number: pr.number, autoMergeRequest: { mergeMethod, enabledAt: pr.autoMerge.enabledAt } },
        },
      },
    },
    violations,
  };
}
