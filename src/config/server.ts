/**
 * The `laminar serve` server file: the original laminar daemon's format (`global`,
 * `dockerRegistries`, `git: [...]`), read unchanged and validated like `.laminar.yaml` (file, line,
 * key) by the same guarded YAML reader and the same rule builder.
 */
import { lstat, readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { isSshRemote } from "../git/ssh-command.js";
import { ConfigError } from "./errors.js";
import {
  buildConfigSection,
  keyName,
  MAX_CONFIG_BYTES,
  parseValidatedYaml,
  type FailAt,
  type PathSeg,
} from "./parse.js";
import { serverSchema } from "./server-schema.js";
import type { LaminarConfig, SourcePosition } from "./types.js";

/** Seconds between two runs of a repository when `pollFreq` is not set (the original's example). */
export const DEFAULT_POLL_FREQ = 120;

/** An environment variable the server file names, and where (for the error when it is not set). */
export interface EnvReference {
  readonly variable: string;
  /** Dotted key, `notify[0].webhook.urlEnv`. */
  readonly key: string;
  readonly line: number;
  readonly column: number;
}

/**
 * One `notify` entry (src/serve/notify.ts sends them). Only the names of the variables are kept
 * here: a webhook URL is a credential and never sits in the file.
 */
export interface NotifyTargetConfig {
  readonly kind: "slack" | "webhook";
  readonly url: EnvReference;
  /** `webhook` entries: the HMAC secret. */
  readonly secret?: EnvReference;
}

/**
 * `githubApp` (global or per repository): a GitHub App whose installation token is the HTTPS
 * credential (src/serve/github-app.ts mints it). Only the key's file or variable is kept here.
 */
export interface ServerGitHubApp {
  /** The numeric id or client id, as text. */
  readonly appId: string;
  /** `file` resolved against the server file's folder (`~` expanded); read on use, so a rotated key is picked up. */
  readonly privateKey: { readonly file: string } | { readonly env: string };
  /** Default: the App's installation on the repository. */
  readonly installationId?: number;
  /** REST root; default from the remote's host (api.github.com, or `https://HOST/api/v3`). */
  readonly apiUrl?: string;
  /** Where it is set, for errors: `global.githubApp` or `git[1].githubApp`. */
  readonly setting: string;
}

/** One `git:` entry: where the repository is, how often to run, and its server-side rules. */
export interface ServerRepository {
  readonly name: string;
  /** As written for SSH remotes; local paths resolved against the server file's folder. */
  readonly url: string;
  readonly branch: string;
  /** SSH private key file, resolved (`~` expanded). */
  readonly key?: string;
  /** known_hosts file for SSH remotes, resolved. */
  readonly knownHosts?: string;
  /**
   * `knownHosts` given as a list: the known_hosts lines themselves (a ConfigMap-free setup), written
   * to `STATE/ssh/NAME/known_hosts.configured` before every git command that needs them.
   */
  readonly knownHostsLines?: readonly string[];
  /**
   * SSH remotes: record the host key of a server seen for the first time (in the state dir) instead
   * of refusing it. Off by default: host keys are checked strictly.
   */
  readonly trustNewHostKeys: boolean;
  /** HTTP(S) remotes: the environment variable holding the token (never the token itself). */
  readonly tokenEnv?: string;
  /** HTTP(S) remotes: the GitHub App whose token is the credential (its own, else `global.githubApp`). */
  readonly githubApp?: ServerGitHubApp;
  /** Seconds. */
  readonly pollFreq: number;
  /** Also apply the rules of the repository's own `.laminar.yaml`, re-read every run. */
  readonly remoteConfig: boolean;
  /**
   * The rules and commands the server file gives this repository, with the global registries and
   * commit settings; `updates` (and `promotions`) may be empty when `remoteConfig` brings the rules.
   */
  readonly config: LaminarConfig;
  /** Its own `notify` entries (the top-level ones apply too). */
  readonly notify: readonly NotifyTargetConfig[];
  readonly position: SourcePosition;
}

/** A parsed, validated server file. */
export interface ServerConfig {
  readonly file: string;
  /** `global.webAddress`, as written. */
  readonly webAddress?: string;
  /** `global.maxParallel`: runs at a time across repositories (the engine's default is 4). */
  readonly maxParallel?: number;
  /** `global.gitHubToken`: a secret, masked wherever Laminar prints. */
  readonly gitHubToken?: string;
  /**
   * `global.hookHosts`: the registry host Docker Hub and GitHub Packages pushes refer to, when those
   * images are pulled through a mirror (default `docker.io`, `ghcr.io`).
   */
  readonly hookHosts?: { readonly dockerhub?: string; readonly ghcr?: string };
  /** Top-level `notify` entries: for every repository. */
  readonly notify: readonly NotifyTargetConfig[];
  readonly repositories: readonly ServerRepository[];
}

let validator: ReturnType<Ajv["compile"]> | undefined;
function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(serverSchema);
  return validator(data) ? [] : [...(validator.errors ?? [])];
}

interface RawRepository {
  name: string;
  url: string;
  branch?: string;
  key?: string;
  knownHosts?: string | string[];
  trustNewHostKeys?: boolean;
  tokenEnv?: string;
  githubApp?: RawGitHubApp;
  pollFreq?: number;
  remoteConfig?: boolean;
  updates?: unknown[];
  promotions?: unknown[];
  commands?: unknown[];
  preCommitCommands?: unknown[];
  notify?: RawNotify[];
}
interface RawGitHubApp {
  appId: number | string;
  privateKeyFile?: string;
  privateKeyEnv?: string;
  installationId?: number;
  apiUrl?: string;
}
interface RawNotify {
  slack?: { webhookUrlEnv: string };
  webhook?: { urlEnv: string; secretEnv: string };
}
interface RawServer {
  global?: {
    gitUser?: string;
    gitEmail?: string;
    gitMessage?: string;
    gitHubToken?: string;
    maxParallel?: number;
    webAddress?: string;
    hookHosts?: { dockerhub?: string; ghcr?: string };
    githubApp?: RawGitHubApp;
  };
  notify?: RawNotify[];
  registries?: unknown[];
  dockerRegistries?: unknown[];
  git: RawRepository[];
}

/** Keys of a repository section that sit under `git[i]`; the rest (registries, global) is top-level. */
const REPOSITORY_KEYS = new Set<PathSeg>(["updates", "promotions", "commands", "preCommitCommands"]);

/**
 * Parses and validates server-file text. Pure apart from `baseDir`, which relative local remotes and
 * key files are resolved against (the server file's folder).
 */
export function parseServerConfig(text: string, file: string, baseDir: string, home = homedir()): ServerConfig {
  const { data, fail, locate } = parseValidatedYaml(text.replace(/^\uFEFF/, ""), file, {
    validate,
    schema: serverSchema,
    empty: "the file is empty; it needs at least a `git` list of repositories",
  });
  const raw = data as RawServer;
  const g = raw.global ?? {};
  const notifyAt = (list: RawNotify[] | undefined, at: PathSeg[]): NotifyTargetConfig[] =>
    (list ?? []).map((n, i) => {
      const here = [...at, i];
      const ref = (path: PathSeg[], variable: string): EnvReference => {
        const p = locate(path);
        return { variable, key: keyName(path), line: p.line, column: p.col };
      };
      if ((n.slack ? 1 : 0) + (n.webhook ? 1 : 0) !== 1)
        fail(here, "give exactly one of `slack` or `webhook` per entry (use two entries for both)");
      if (n.slack) return { kind: "slack", url: ref([...here, "slack", "webhookUrlEnv"], n.slack.webhookUrlEnv) };
      const w = n.webhook as { urlEnv: string; secretEnv: string };
      return {
        kind: "webhook",
        url: ref([...here, "webhook", "urlEnv"], w.urlEnv),
        secret: ref([...here, "webhook", "secretEnv"], w.secretEnv),
      };
    });
  const path = (v: string): string => resolve(baseDir, v.replace(/^~(?=\/|$)/, home));
  const appAt = (a: RawGitHubApp | undefined, at: PathSeg[]): ServerGitHubApp | undefined => {
    if (!a) return undefined;
    if ((a.privateKeyFile !== undefined ? 1 : 0) + (a.privateKeyEnv !== undefined ? 1 : 0) !== 1)
      fail(at, "give exactly one of `privateKeyFile` or `privateKeyEnv` (the App's private key)");
    return {
      appId: String(a.appId),
      privateKey:
        a.privateKeyFile !== undefined ? { file: path(a.privateKeyFile) } : { env: a.privateKeyEnv as string },
      ...(a.installationId !== undefined ? { installationId: a.installationId } : {}),
      ...(a.apiUrl !== undefined ? { apiUrl: a.apiUrl.replace(/\/+$/, "") } : {}),
      setting: keyName(at),
    };
  };
  const globalApp = appAt(g.githubApp, ["global", "githubApp"]);
  const names = new Map<string, number>();
  const repositories = raw.git.map((r, i): ServerRepository => {
    const at: PathSeg[] = ["git", i];
    const first = names.get(r.name);
    if (first !== undefined) fail([...at, "name"], `${JSON.stringify(r.name)} is already the name of git[${first}]`);
    names.set(r.name, i);
    // A token over plain http would be readable on the wire: only https, or http on this machine.
    const tokenSafe = /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/)/i.test(r.url);
    if (r.tokenEnv !== undefined && !tokenSafe)
      fail(
        [...at, "tokenEnv"],
        "a token is sent to https:// remotes only (or http:// on 127.0.0.1); use `key` for SSH remotes",
      );
    if (r.githubApp !== undefined && !tokenSafe)
      fail(
        [...at, "githubApp"],
        "an App's token is sent to https:// remotes only (or http:// on 127.0.0.1); use `key` for SSH remotes",
      );
    if (r.githubApp !== undefined && r.tokenEnv !== undefined)
      fail([...at, "githubApp"], "give `tokenEnv` or `githubApp`, not both: each is the HTTPS credential");
    // The global App is every HTTPS repository's credential unless it names its own.
    const githubApp =
      appAt(r.githubApp, [...at, "githubApp"]) ?? (r.tokenEnv === undefined && tokenSafe ? globalApp : undefined);
    if (r.trustNewHostKeys && !isSshRemote(r.url))
      fail([...at, "trustNewHostKeys"], "applies to SSH remotes only (ssh://… or host:path)");
    if (!r.updates?.length && !r.promotions?.length && !r.remoteConfig)
      fail(
        at,
        "no `updates`, no `promotions` and no `remoteConfig: true`: this repository has no rules, nothing would ever change",
      );
    // The section's paths are `.laminar.yaml` paths: its rules live under git[i], the shared
    // registries and commit settings at the top of the file.
    const inSection = (path: readonly PathSeg[]): PathSeg[] =>
      path.length === 0 || REPOSITORY_KEYS.has(path[0] as PathSeg) ? [...at, ...path] : [...path];
    const sectionFail: FailAt = (path, detail, keyOf) => fail(inSection(path), detail, keyOf);
    const config = buildConfigSection(
      {
        ...(raw.registries ? { registries: raw.registries } : {}),
        ...(raw.dockerRegistries ? { dockerRegistries: raw.dockerRegistries } : {}),
        global: {
          ...(g.gitUser !== undefined ? { gitUser: g.gitUser } : {}),
          ...(g.gitEmail !== undefined ? { gitEmail: g.gitEmail } : {}),
          ...(g.gitMessage !== undefined ? { gitMessage: g.gitMessage } : {}),
        },
        ...(r.updates ? { updates: r.updates } : {}),
        ...(r.promotions ? { promotions: r.promotions } : {}),
        ...(r.commands ? { commands: r.commands } : {}),
        ...(r.preCommitCommands ? { preCommitCommands: r.preCommitCommands } : {}),
      },
      file,
      sectionFail,
      (path) => locate(inSection(path)),
      { requireUpdates: false },
    );
    const p = locate(at);
    return {
      name: r.name,
      url: isLocalRemote(r.url) ? path(r.url) : r.url,
      branch: r.branch ?? "main",
      ...(r.key !== undefined ? { key: path(r.key) } : {}),
      ...(typeof r.knownHosts === "string" ? { knownHosts: path(r.knownHosts) } : {}),
      ...(Array.isArray(r.knownHosts) ? { knownHostsLines: r.knownHosts.map((l) => l.trim()) } : {}),
      trustNewHostKeys: r.trustNewHostKeys ?? false,
      ...(r.tokenEnv !== undefined ? { tokenEnv: r.tokenEnv } : {}),
      ...(githubApp ? { githubApp } : {}),
      pollFreq: r.pollFreq ?? DEFAULT_POLL_FREQ,
      remoteConfig: r.remoteConfig ?? false,
      config,
      notify: notifyAt(r.notify, [...at, "notify"]),
      position: { file, line: p.line, column: p.col },
    };
  });
  if (g.webAddress !== undefined && !parseListenAddress(g.webAddress))
    fail(["global", "webAddress"], `${JSON.stringify(g.webAddress)} is not host:port or :port`);
  return {
    file,
    ...(g.webAddress !== undefined ? { webAddress: g.webAddress } : {}),
    ...(g.gitHubToken !== undefined ? { gitHubToken: g.gitHubToken } : {}),
    ...(g.maxParallel !== undefined ? { maxParallel: g.maxParallel } : {}),
    ...(g.hookHosts ? { hookHosts: { ...g.hookHosts } } : {}),
    notify: notifyAt(raw.notify, ["notify"]),
    repositories,
  };
}

/** Reads and validates the server file at `path`. */
export async function loadServerConfig(path: string): Promise<ServerConfig> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) throw new ConfigError(path, 0, 0, "", "server file not found");
  if (!st.isFile() && !st.isSymbolicLink()) throw new ConfigError(path, 0, 0, "", "is not a file");
  if (st.size > MAX_CONFIG_BYTES)
    throw new ConfigError(path, 1, 1, "", `file is larger than ${MAX_CONFIG_BYTES} bytes; refusing to parse it`);
  return parseServerConfig(await readFile(path, "utf8"), path, dirname(resolve(path)));
}

/**
 * A path, resolved against the server file's folder (as opposed to a URL such as `file://`, kept as
 * written, `ssh://`, `https://` or scp-like `git@host:repo`).
 */
function isLocalRemote(url: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(url) && !isSshRemote(url);
}

/**
 * `host:port`, `:port` (the original's Go form; Laminar binds 127.0.0.1 then, never every
 * interface by surprise) or `[v6]:port`; undefined when it is none of them.
 */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || "127.0.0.1"), port };
}
