import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";

/**
 * Octokit with retries (5xx and network errors, with back-off) and throttling (GitHub's primary and
 * secondary rate limits; writes are also spaced one second apart, as GitHub asks integrators to do:
 * https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api).
 */
// Annotated: the plugins add constructor options only, and the inferred type cannot be named in
// the published .d.ts files (TS2883).
export const LaminarOctokit: typeof Octokit = Octokit.plugin(retry, throttling);
export type LaminarOctokit = InstanceType<typeof LaminarOctokit>;

export interface OctokitClientOptions {
  readonly token: string;
  /**
   * Asked before every request instead of using `token` (a GitHub App's installation token, minted
   * again when it nears expiry; see app-token.ts). `token` is then only the first one.
   */
  readonly tokenSource?: () => Promise<string>;
  /**
   * REST root. Default: `GITHUB_API_URL` (set by the runner: `https://api.github.com`, or
   * `https://<host>/api/v3` on GitHub Enterprise Server), else `https://api.github.com`.
   */
  readonly baseUrl?: string;
  readonly userAgent?: string;
  readonly log?: OctokitLog;
  /** Hides the token in workflow logs; the action passes `core.setSecret`. */
  readonly maskSecret?: (secret: string) => void;
  /**
   * Tests turn off write spacing and shorten retry back-off; production keeps the defaults.
   * `rateLimitRetries`: how often a rate-limited request is retried after GitHub's `retry-after`.
   */
  readonly tuning?: {
    readonly throttle?: boolean;
    readonly retries?: number;
    readonly retryAfterBaseMs?: number;
    readonly rateLimitRetries?: number;
  };
}

export interface OctokitLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Octokit's request log, off: failures are reported once, through the front end's masked log. */
export const silentLog: OctokitLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export function apiBaseUrl(explicit?: string): string {
  const url = explicit ?? process.env.GITHUB_API_URL ?? "https://api.github.com";
  // Octokit appends paths to the base verbatim: a trailing slash would give `//repos/...`.
  return url.replace(/\/+$/, "");
}

export function createOctokit(options: OctokitClientOptions): LaminarOctokit {
  if (!options.token && !options.tokenSource) throw new Error("a GitHub token is required");
  if (options.token) options.maskSecret?.(options.token);
  const log = options.log ?? silentLog;
  const tuning = options.tuning ?? {};
  const rateLimitRetries = tuning.rateLimitRetries ?? 2;
  const octokit = new LaminarOctokit({
    ...(options.tokenSource ? {} : { auth: options.token }),
    baseUrl: apiBaseUrl(options.baseUrl),
    userAgent: options.userAgent ?? "laminar",
    log,
    retry: {
      retries: tuning.retries ?? 3,
      ...(tuning.retryAfterBaseMs !== undefined ? { retryAfterBaseValue: tuning.retryAfterBaseMs } : {}),
    },
    throttle: {
      enabled: tuning.throttle ?? true,
      ...(tuning.retryAfterBaseMs !== undefined ? { retryAfterBaseValue: tuning.retryAfterBaseMs } : {}),
      onRateLimit: (retryAfter, request, _octokit, retryCount) => {
        log.warn(
          `GitHub rate limit hit for ${request.method} ${request.url}; retry ${retryCount + 1} in ${retryAfter}s`,
        );
        return retryCount < rateLimitRetries;
      },
      onSecondaryRateLimit: (retryAfter, request, _octokit, retryCount) => {
        // Secondary limits punish bursts of content creation; waiting once is worth it, hammering is not.
        log.warn(
          `GitHub secondary rate limit hit for ${request.method} ${request.url}; retry ${retryCount + 1} in ${retryAfter}s`,
        );
        return retryCount < 1;
      },
    },
  });
  const source = options.tokenSource;
  // Before every attempt (retries included), so a long run never sends an expired token.
  if (source)
    octokit.hook.before("request", async (req) => void (req.headers.authorization = `token ${await source()}`));
  return octokit;
}
