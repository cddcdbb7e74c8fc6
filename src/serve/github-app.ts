/**
 * A GitHub App as the identity of `laminar serve`'s HTTPS repositories (issue #11): its installation
 * token clones and pushes instead of `tokenEnv`, and commits are the App's bot's.
 *
 * A server lives for weeks and an installation token for one hour, so the token is never read once:
 * git asks for it before every network command (src/git/http-auth.ts `HttpCredentialSource`) and
 * src/github/app-token.ts mints a new one when less than {@link SERVE_REFRESH_MARGIN_MS} is left or
 * 80 % of its lifetime has passed. Token sources are kept across passes, one per repository (tokens are
 * restricted to the one repository they push to), and dropped when a pass fails, so a revoked
 * installation or a rotated key is looked up afresh on the next try.
 */
import { readFile } from "node:fs/promises";
import type { ServerGitHubApp, ServerRepository } from "../config/server.js";
import type { HttpCredentialSource } from "../git/http-auth.js";
import { createAppTokenSource, GitHubAppError, privateKeySecrets, type AppTokenSource } from "../github/app-token.js";
import type { RepositoryId } from "../github/types.js";

/**
 * Renew a token when less than this is left: a pass (clone, commands, push with retries) that starts
 * with it does not outlive it. GitHub's tokens last an hour; the 80 % rule renews them at 48 minutes.
 */
export const SERVE_REFRESH_MARGIN_MS = 10 * 60_000;

/** What a repository's pass uses of its App. */
export interface RepositoryApp {
  /** For git: asked before each network command, so it is always a current token. */
  readonly credentials: HttpCredentialSource;
  readonly source: AppTokenSource;
}

/** Options of {@link AppIdentities}. */
export interface AppIdentitiesOptions {
  /** Where `privateKeyEnv` is read. */
  readonly env: NodeJS.ProcessEnv;
  /** Told the key (each of its lines) and every token minted, before use: the masker. */
  readonly onSecret: (value: string, user?: string) => void;
  readonly userAgent?: string;
  readonly log: (message: string) => void;
}

/** The App token sources of the server's repositories, kept from pass to pass. */
export class AppIdentities {
  private readonly sources = new Map<string, Promise<RepositoryApp>>();

  constructor(private readonly o: AppIdentitiesOptions) {}

  /**
   * The repository's App identity: the kept one, or a new one (key read, App and installation looked
   * up, first token minted). Errors name the repository, the setting, the App id and GitHub's HTTP
   * status; never the key.
   */
  forRepository(
    repo: Pick<ServerRepository, "name" | "url"> & { readonly githubApp: ServerGitHubApp },
  ): Promise<RepositoryApp> {
    let p = this.sources.get(repo.name);
    if (!p) {
      p = this.create(repo);
      this.sources.set(repo.name, p);
      // A failed lookup is not kept: the next pass tries again (the key may have been fixed).
      p.catch(() => this.sources.delete(repo.name));
    }
    return p;
  }

  /** Forgets a repository's source after a failed pass (a revoked token or a rotated key). */
  forget(name: string): void {
    this.sources.delete(name);
  }

  private async create(
    repo: Pick<ServerRepository, "name" | "url"> & { readonly githubApp: ServerGitHubApp },
  ): Promise<RepositoryApp> {
    const app = repo.githubApp;
    const keySetting = "file" in app.privateKey ? `${app.setting}.privateKeyFile` : `${app.setting}.privateKeyEnv`;
    const settingOf = (e: GitHubAppError): string =>
      e.setting === "app-id"
        ? `${app.setting}.appId`
        : e.setting === "app-private-key"
          ? keySetting
          : `${app.setting}.installationId`;
    // app-token.ts words its hints in the Action's input names; here they are server-file keys.
    const keyOf = (text: string): string =>
      text
        .replaceAll("`app-id`", "`appId`")
        .replaceAll("`app-private-key`", `\`${keySetting.split(".").pop() ?? ""}\``)
        .replaceAll("`app-installation-id`", "`installationId`");
    const origin = new URL(repo.url).origin;
    const privateKey = await this.readKey(repo.name, app, keySetting);
    for (const line of privateKeySecrets(privateKey)) this.o.onSecret(line);
    try {
      const source = await createAppTokenSource({
        app: {
          appId: app.appId,
          privateKey,
          ...(app.installationId !== undefined ? { installationId: app.installationId } : {}),
        },
        baseUrl: app.apiUrl ?? defaultApiUrl(origin),
        serverUrl: origin,
        repository: repositoryOf(repo.name, repo.url),
        ...(this.o.userAgent ? { userAgent: this.o.userAgent } : {}),
        onToken: (t) => this.o.onSecret(t, "x-access-token"),
        refreshMarginMs: SERVE_REFRESH_MARGIN_MS,
      });
      this.o.log(
        `${repo.name}: GitHub App ${source.appSlug} (id ${app.appId}, installation ${source.installationId}): clones and pushes use its token`,
      );
      return {
        source,
        credentials: async () => {
          try {
            return { serverUrl: origin, token: await source.token() };
          } catch (e) {
            throw e instanceof GitHubAppError
              ? new Error(`${repo.name}: ${settingOf(e)}: ${keyOf(e.message)}`, { cause: e })
              : e;
          }
        },
      };
    } catch (e) {
      if (!(e instanceof GitHubAppError)) throw e;
      // normalizePrivateKey's messages do not say which App; GitHub's answers do.
      const what = e.message.startsWith("GitHub App ") ? e.message : `GitHub App ${app.appId}: ${e.message}`;
      throw new Error(`${repo.name}: ${settingOf(e)}: ${keyOf(what)}`, { cause: e });
    }
  }

  private async readKey(name: string, app: ServerGitHubApp, setting: string): Promise<string> {
    if ("env" in app.privateKey) {
      const key = this.o.env[app.privateKey.env];
      if (!key) throw new Error(`${name}: ${setting}: the variable ${app.privateKey.env} is not set`);
      return key;
    }
    try {
      return await readFile(app.privateKey.file, "utf8");
    } catch (e) {
      throw new Error(
        `${name}: ${setting}: GitHub App ${app.appId}: cannot read ${app.privateKey.file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        { cause: e },
      );
    }
  }
}

/** github.com's REST root is its own host; GitHub Enterprise Server's is `/api/v3` on the web host. */
export function defaultApiUrl(origin: string): string {
  const host = new URL(origin).hostname;
  return host === "github.com" || host === "www.github.com" ? "https://api.github.com" : `${origin}/api/v3`;
}

/** `owner/repo` of `https://host/owner/repo(.git)`: the repository the token is restricted to. */
export function repositoryOf(name: string, url: string): RepositoryId {
  const parts = new URL(url).pathname
    .replace(/\.git\/?$/, "")
    .split("/")
    .filter(Boolean);
  const [owner, repo] = parts.slice(-2);
  if (parts.length < 2 || !owner || !repo)
    throw new Error(
      `${name}: githubApp: cannot tell the repository (owner/name) from the url's path ${new URL(url).pathname}`,
    );
  return { owner: decodeURIComponent(owner), repo: decodeURIComponent(repo) };
}
