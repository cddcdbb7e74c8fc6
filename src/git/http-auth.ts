/**
 * HTTPS credentials for git network commands, the way actions/checkout sends them: an
 * `http.<server>/.extraheader` of `AUTHORIZATION: basic base64(x-access-token:<token>)`.
 *
 * Unlike checkout we do not write the header to `.git/config` and remove it afterwards: we hand it to
 * the one git process that needs it through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`
 * (git >= 2.31). The header then lives exactly as long as that command, it is never on disk (so a
 * crash or a cancelled job cannot leave a token in the workspace), and never on a command line
 * (`ps` shows arguments to every user; a process environment only to its owner).
 *
 * The first entry is an empty value: git resets the list of extra headers on an empty value
 * (git-config(1), http.extraHeader). Without it, the header actions/checkout persisted in
 * `.git/config` (persist-credentials defaults to true) would be sent as well, and GitHub answers a
 * request carrying two Authorization headers with 400 — the "duplicate header" failure
 * peter-evans/create-pull-request works around by unsetting and restoring checkout's header.
 */

export interface HttpCredentials {
  /** Origin the header is scoped to, e.g. `https://github.com` or `https://ghe.example.com`. */
  readonly serverUrl: string;
  readonly token: string;
}

/**
 * Credentials asked for again before each network command: a GitHub App's installation token is
 * minted anew when it nears expiry (src/github/app-token.ts), so a long run never pushes with a stale one.
 */
export type HttpCredentialSource = () => Promise<HttpCredentials>;

/** `https://github.com/` style key prefix: the header is only sent to this origin. */
export function extraHeaderKey(serverUrl: string): string {
  const origin = new URL(serverUrl).origin;
  return `http.${origin}/.extraheader`;
}

/**
 * The base64 of `x-access-token:<token>` that the header carries. Masking does not need it: the one
 * masker (src/secrets/masker.ts) derives every Basic form of a secret itself (secret-forms.ts).
 */
export function basicCredential(token: string): string {
  return Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
}

/**
 * Environment entries that add the header for one git process, appended after any
 * `GIT_CONFIG_COUNT` entries the caller's environment already carries (so we do not clobber them).
 */
export function credentialEnvironment(
  credentials: HttpCredentials,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const key = extraHeaderKey(credentials.serverUrl);
  const start = Number.parseInt(inherited.GIT_CONFIG_COUNT ?? "0", 10) || 0;
  const entries: [string, string][] = [
    [key, ""],
    [key, `AUTHORIZATION: basic ${basicCredential(credentials.token)}`],
  ];
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(start + entries.length) };
  entries.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${start + i}`] = k;
    env[`GIT_CONFIG_VALUE_${start + i}`] = v;
  });
  return env;
}
