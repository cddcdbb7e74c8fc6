import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiObjects, type Urls } from "./api-objects.js";
import { BareRepo } from "./bare-repo.js";
import { EmulatorState } from "./emulator-state.js";
import { serveGitHttp } from "./git-http-backend.js";
import { initBareRepo } from "./git-fixtures.js";
import { APP_HANDLERS, AppState, JWT_OPERATIONS, type EmulatedApp } from "./github-app.js";
import { handleGraphql } from "./graphql-handler.js";
import { OpenApiValidator } from "./openapi-validator.js";
import { errorBody, REST_HANDLERS, type EmulatorConfig, type RestResult } from "./rest-handlers.js";

/**
 * A local GitHub for tests: REST (the subset Laminar uses), GraphQL auto-merge, and git smart HTTP
 * for the same repository, on 127.0.0.1 and a random port. Every REST request is checked against
 * GitHub's OpenAPI description first (see openapi-validator.ts); problems are answered the way
 * GitHub would (404 unknown route, 422 invalid request) *and* recorded in `violations`, so a test
 * ends with `assert.deepEqual(server.violations, [])`.
 *
 * Served at the root like api.github.com, and under `/api/v3` (+ `/api/graphql`) like GitHub
 * Enterprise Server, from the same state. Git lives at `/<owner>/<repo>.git`, as on github.com.
 */

export interface GitHubApiServerOptions {
  readonly owner?: string;
  readonly repo?: string;
  /** Token clients must send (`Authorization: token …` / `Bearer …` / basic `x-access-token:…` for git). */
  readonly token?: string;
  /** Login of the token's identity. Default `github-actions[bot]`. */
  readonly login?: string;
  readonly defaultBranch?: string;
  /** Files of the initial commit on the default branch. */
  readonly files?: Readonly<Record<string, string>>;
  /** Refused for API ref updates (422) and git pushes (pre-receive, GH006). */
  readonly protectedBranches?: readonly string[];
  readonly collaborators?: readonly string[];
  readonly teams?: readonly string[];
  readonly autoMergeAllowed?: boolean;
  /** Check the emulator's own responses against the response schemas (default true). */
  readonly validateResponses?: boolean;
  /** A GitHub App installed on the repository: JWT-authenticated routes and installation tokens. */
  readonly app?: EmulatedApp;
}

export type ViolationKind =
  | "unknown-route"
  | "method-not-allowed"
  | "request"
  | "auth"
  | "graphql"
  | "not-emulated"
  | "emulator-error"
  | "response";

export interface Violation {
  readonly kind: ViolationKind;
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly problems: readonly string[];
}

export interface RequestLogEntry {
  readonly method: string;
  /** Path as received, including an `/api/v3` prefix. */
  readonly path: string;
  readonly query: string;
  readonly operationId?: string;
  /** `rest`, `graphql` or `git`. */
  readonly surface: "rest" | "graphql" | "git";
  /** True when the request came through the GHES prefix. */
  readonly enterprise: boolean;
  readonly status: number;
  readonly body?: unknown;
  /** Scheme of the Authorization header (`token`, `bearer`, `basic`). */
  readonly authorization?: string;
  /** The token presented (decoded from basic for git), or `jwt` for an App JWT; absent without one. */
  readonly credential?: string;
}

export interface Fault {
  readonly operationId: string;
  readonly status: number;
  /** How many matching requests fail; default 1. */
  readonly times?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GitHubApiServer {
  /** `http://127.0.0.1:<port>`: the web / git server URL (GITHUB_SERVER_URL). */
  readonly url: string;
  /** REST root in github.com style (GITHUB_API_URL on github.com). */
  readonly apiUrl: string;
  /** REST root in GHES style: `<url>/api/v3`. */
  readonly enterpriseApiUrl: string;
  /** Clone URL of the repository over smart HTTP. */
  readonly gitUrl: string;
  readonly repository: { readonly owner: string; readonly repo: string };
  readonly token: string;
  /** The repository's bare git directory. */
  readonly bareRepoPath: string;
  readonly bareRepo: BareRepo;
  readonly state: EmulatorState;
  /** Client mistakes caught by the OpenAPI / GraphQL checks, plus emulator gaps. */
  readonly violations: Violation[];
  /** The emulator's own responses that do not match GitHub's response schemas. */
  readonly responseViolations: Violation[];
  readonly requests: RequestLogEntry[];
  /** The emulated App's JWTs and minted tokens (undefined without `options.app`). */
  readonly app: AppState | undefined;
  /** Makes the next matching request(s) fail with this status (retry tests). */
  injectFault(fault: Fault): void;
  close(): Promise<void>;
}

let sharedValidator: OpenApiValidator | undefined;

/** One validator per process: parsing the description and compiling schemas is the expensive part. */
function validator(): OpenApiValidator {
  sharedValidator ??= new OpenApiValidator();
  return sharedValidator;
}

interface ReadBody {
  readonly raw: Buffer;
  readonly present: boolean;
  readonly json: boolean;
  readonly value: unknown;
}

async function readBody(req: IncomingMessage): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  if (raw.length === 0) return { raw, present: false, json: false, value: undefined };
  const type = req.headers["content-type"] ?? "";
  if (!/^application\/(.+\+)?json/i.test(type)) return { raw, present: true, json: false, value: undefined };
  try {
    return { raw, present: true, json: true, value: JSON.parse(raw.toString("utf8")) as unknown };
  } catch {
    return { raw, present: true, json: false, value: undefined };
  }
}

function send(res: ServerResponse, result: RestResult): void {
  const headers: Record<string, string> = {
    "x-github-request-id": `EMU:${Math.random().toString(16).slice(2, 10)}`,
    "x-ratelimit-limit": "5000",
    "x-ratelimit-remaining": "4999",
    "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
    "x-ratelimit-resource": "core",
    ...(result.headers ?? {}),
  };
  if (result.body === undefined) {
    res.writeHead(result.status, headers).end();
    return;
  }
  res
    .writeHead(result.status, { ...headers, "content-type": "application/json; charset=utf-8" })
    .end(JSON.stringify(result.body));
}

export async function startGitHubApiServer(options: GitHubApiServerOptions = {}): Promise<GitHubApiServer> {
  const owner = options.owner ?? "acme";
  const repoName = options.repo ?? "manifests";
  const token = options.token ?? "ghs_emulatorToken0123456789";
  const login = options.login ?? "github-actions[bot]";
  const root = mkdtempSync(join(tmpdir(), "laminar-github-"));
  const bareRepoPath = join(root, owner, `${repoName}.git`);
  initBareRepo(bareRepoPath, options.files ?? { "README.md": "# manifests\n" }, options.defaultBranch ?? "main");
  const bareRepo = new BareRepo(bareRepoPath);
  if (options.protectedBranches?.length) bareRepo.setProtectedBranches(options.protectedBranches);

  const config: EmulatorConfig = {
    owner,
    repo: repoName,
    login,
    commitIdentity: { name: login, email: "41898282+github-actions[bot]@users.noreply.github.com" },
    protectedBranches: new Set(options.protectedBranches ?? []),
    collaborators: options.collaborators ? new Set(options.collaborators) : undefined,
    teams: options.teams ? new Set(options.teams) : undefined,
    autoMergeAllowed: options.autoMergeAllowed ?? true,
  };
  const v = validator();
  const objects = new ApiObjects(v.doc);
  const state = new EmulatorState();
  const violations: Violation[] = [];
  const responseViolations: Violation[] = [];
  const requests: RequestLogEntry[] = [];
  const faults: { fault: Fault; remaining: number }[] = [];
  const validateResponses = options.validateResponses ?? true;
  let baseUrl = "";

  const app = options.app ? new AppState(options.app) : undefined;
  /** The token a header carries (the password of basic `x-access-token:`), or undefined. */
  const presented = (header: string | undefined): string | undefined => {
    if (!header) return undefined;
    const [scheme = "", value = ""] = header.split(/\s+/, 2);
    const s = scheme.toLowerCase();
    if (s === "token" || s === "bearer") return value;
    if (s === "basic") {
      const pair = Buffer.from(value, "base64").toString("utf8");
      return pair.startsWith("x-access-token:") ? pair.slice("x-access-token:".length) : undefined;
    }
    return undefined;
  };
  const tokenAccepted = (header: string | undefined): boolean => {
    const value = presented(header);
    return value !== undefined && (value === token || (app?.accepts(value) ?? false));
  };
  const isJwt = (header: string | undefined): boolean =>
    !!app && /^bearer\s+[\w-]+\.[\w-]+\.[\w-]+$/i.test(header ?? "");

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", baseUrl);
    const method = req.method ?? "GET";
    const auth = req.headers.authorization;
    const log = (entry: Omit<RequestLogEntry, "method" | "path" | "query" | "authorization">) =>
      requests.push({
        method,
        path: url.pathname,
        query: url.search,
        ...(auth ? { authorization: auth.split(" ")[0] } : {}),
        ...(isJwt(auth) ? { credential: "jwt" } : presented(auth) ? { credential: presented(auth) } : {}),
        ...entry,
      });

    // git smart HTTP: /<owner>/<repo>.git/...
    const gitPath = /^\/[^/]+\/[^/]+\.git(\/.*)?$/.exec(url.pathname);
    if (gitPath) {
      if (!tokenAccepted(auth)) {
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="GitHub"' }).end();
        log({ surface: "git", enterprise: false, status: 401 });
        return;
      }
      log({ surface: "git", enterprise: false, status: 200 });
      serveGitHttp(req, res, { projectRoot: root, pathInfo: url.pathname, remoteUser: "x-access-token" });
      return;
    }

    const body = await readBody(req);
    const enterprise =
      url.pathname === "/api/v3" || url.pathname.startsWith("/api/v3/") || url.pathname === "/api/graphql";
    const path = url.pathname.startsWith("/api/v3/") ? url.pathname.slice("/api/v3".length) : url.pathname;
    const urls: Urls = { api: enterprise ? `${baseUrl}/api/v3` : baseUrl, web: baseUrl, owner, repo: repoName };

    // An App's JWT is checked once the route is known: only the App's own routes accept it.
    const jwtProblems = isJwt(auth) && app ? app.verifyJwt((auth ?? "").split(/\s+/)[1] ?? "") : undefined;
    if (jwtProblems === undefined && !tokenAccepted(auth)) {
      violations.push({
        kind: "auth",
        method,
        path: url.pathname,
        problems: [auth ? "wrong token" : "no Authorization header"],
      });
      const result = errorBody(401, auth ? "Bad credentials" : "Requires authentication");
      send(res, result);
      log({ surface: path.endsWith("graphql") ? "graphql" : "rest", enterprise, status: 401 });
      return;
    }

    if (path === "/graphql" || url.pathname === "/api/graphql") {
      if (method !== "POST") {
        violations.push({ kind: "graphql", method, path: url.pathname, problems: ["GraphQL requests must be POST"] });
        send(res, errorBody(404, "Not Found"));
        log({ surface: "graphql", enterprise, status: 404 });
        return;
      }
      const outcome = body.json
        ? handleGraphql(body.value, state, config)
        : { body: { errors: [{ message: "Problems parsing JSON" }] }, violations: ["graphql: body is not JSON"] };
      if (outcome.violations.length)
        violations.push({ kind: "graphql", method, path: url.pathname, problems: outcome.violations });
      send(res, { status: 200, body: outcome.body });
      log({ surface: "graphql", enterprise, status: 200, body: body.value });
      return;
    }

    const routed = v.match(method, path);
    if (routed.kind !== "matched") {
      const problems =
        routed.kind === "unknown-route"
          ? [`no operation in GitHub's API for ${method} ${path}`]
          : [`${path} does not support ${method} (only ${routed.allowed.join(", ")})`];
      violations.push({ kind: routed.kind, method, path: url.pathname, problems });
      send(res, errorBody(404, "Not Found"));
      log({ surface: "rest", enterprise, status: 404, body: body.value });
      return;
    }
    const { match } = routed;
    const wantsJwt = JWT_OPERATIONS.has(match.operationId);
    if (wantsJwt !== (jwtProblems !== undefined) || (jwtProblems?.length ?? 0) > 0) {
      const problem = jwtProblems?.length
        ? `JWT: ${jwtProblems.join("; ")}`
        : wantsJwt
          ? `${match.operationId} needs the App's JWT`
          : `${match.operationId} needs a token, not a JWT`;
      violations.push({
        kind: "auth",
        method,
        path: url.pathname,
        operationId: match.operationId,
        problems: [problem],
      });
      send(res, errorBody(401, "A JSON web token could not be decoded"));
      log({ surface: "rest", enterprise, operationId: match.operationId, status: 401 });
      return;
    }
    const problems = v.validateRequest(match, url.searchParams, body);
    if (problems.length) {
      violations.push({ kind: "request", method, path: url.pathname, operationId: match.operationId, problems });
      send(res, errorBody(422, `Invalid request.\n\n${problems.join("\n")}`));
      log({ surface: "rest", enterprise, operationId: match.operationId, status: 422, body: body.value });
      return;
    }

    let result: RestResult;
    const fault = faults.find((f) => f.fault.operationId === match.operationId && f.remaining > 0);
    const handler = REST_HANDLERS[match.operationId] ?? (app ? APP_HANDLERS[match.operationId] : undefined);
    if (fault) {
      fault.remaining--;
      result = {
        status: fault.fault.status,
        body: fault.fault.body ?? { message: "Injected fault" },
        ...(fault.fault.headers ? { headers: fault.fault.headers } : {}),
      };
    } else if (!handler) {
      violations.push({
        kind: "not-emulated",
        method,
        path: url.pathname,
        operationId: match.operationId,
        problems: [`${match.operationId} is valid but not emulated`],
      });
      result = errorBody(501, `${match.operationId} is not emulated`);
    } else {
      try {
        result = await handler({
          params: match.pathParams,
          query: url.searchParams,
          body: body.value,
          urls,
          state,
          repo: bareRepo,
          objects,
          config,
          ...(app ? { app } : {}),
        });
      } catch (e) {
        violations.push({
          kind: "emulator-error",
          method,
          path: url.pathname,
          operationId: match.operationId,
          problems: [e instanceof Error ? (e.stack ?? e.message) : String(e)],
        });
        result = errorBody(500, "emulator error");
      }
      if (validateResponses) {
        const bad = v.validateResponse(match, result.status, result.body);
        if (bad.length)
          responseViolations.push({
            kind: "response",
            method,
            path: url.pathname,
            operationId: match.operationId,
            problems: bad,
          });
      }
    }
    send(res, result);
    log({ surface: "rest", enterprise, operationId: match.operationId, status: result.status, body: body.value });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      violations.push({ kind: "emulator-error", method: req.method ?? "", path: req.url ?? "", problems: [String(e)] });
      if (!res.headersSent) send(res, errorBody(500, "emulator error"));
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: baseUrl,
    apiUrl: baseUrl,
    enterpriseApiUrl: `${baseUrl}/api/v3`,
    gitUrl: `${baseUrl}/${owner}/${repoName}.git`,
    repository: { owner, repo: repoName },
    token,
    bareRepoPath,
    bareRepo,
    state,
    violations,
    responseViolations,
    requests,
    app,
    injectFault(fault: Fault) {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
