/**
 * Runs the real CNCF distribution registry (Debian's `/usr/bin/docker-registry`, 2.8.x) on
 * 127.0.0.1 for tests and benchmarks, optionally behind htpasswd (bcrypt) or token auth.
 *
 * Token auth uses a small token server of ours: the registry only verifies RS256 JWTs whose `x5c`
 * header carries a certificate listed in `auth.token.rootcertbundle`, so we generate a self-signed
 * key + certificate once per process and sign tokens with node:crypto.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const execFileP = promisify(execFile);

export const REGISTRY_BINARY = process.env.LAMINAR_REGISTRY_BIN ?? "/usr/bin/docker-registry";

export type RegistryAuthMode = "none" | "htpasswd" | "token";

export interface StartRegistryOptions {
  /** Default `none`. */
  auth?: RegistryAuthMode;
  /** username → password. Defaults to `{ laminar: "laminar-pass" }` when auth is not `none`. */
  users?: Record<string, string>;
  /** Token mode: issue pull-only tokens to callers without credentials (like public images). */
  anonymousPull?: boolean;
  /** Token mode: `expires_in` of issued tokens, seconds (default 300). */
  tokenExpiresIn?: number;
  /** Token mode: identity (refresh) tokens accepted by the OAuth2 POST flow, token → username. */
  identityTokens?: Record<string, string>;
  /**
   * Token mode: ACR's exchange at `/oauth2/exchange` next to the realm (grant_type=access_token):
   * an Entra ID token in `accept` gets `refreshToken`, which must be one of `identityTokens`; a
   * function gives the n-th exchange's token (1, 2, …), for a registry that rotates them.
   */
  acrExchange?: { accept: string; refreshToken: string | ((exchange: number) => string) };
  /** Token mode: the `service` of the challenge (default `laminar-test-registry`). */
  service?: string;
  /** A fixed port (the README example); default: a free one picked by the kernel. */
  port?: number;
  /** Extra environment for the registry process (e.g. `REGISTRY_LOG_LEVEL=debug`). */
  env?: Record<string, string>;
  /**
   * A notification endpoint (the registry's `notifications.endpoints`): every push is POSTed there
   * as a CNCF event envelope, with these headers (e.g. `Authorization: Bearer …`).
   */
  notify?: { url: string; headers?: Record<string, string> };
}

export interface TokenRequestRecord {
  readonly method: string;
  readonly username?: string;
  readonly service?: string;
  readonly scopes: readonly string[];
  readonly granted: boolean;
}

export interface TokenServer {
  /** `http://127.0.0.1:PORT/token` — the `realm` of the registry's challenge. */
  readonly realm: string;
  readonly url: string;
  readonly service: string;
  readonly issuer: string;
  /** Every token request so far (credentials are not recorded, only the username). */
  readonly requests: readonly TokenRequestRecord[];
  /** Number of tokens issued. */
  issued(): number;
  /** Signs a token directly (for tests that need a `registrytoken`). */
  mint(subject: string, access: readonly TokenAccess[], expiresIn?: number): string;
}

export interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, as it appears in image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly auth: RegistryAuthMode;
  readonly users: Readonly<Record<string, string>>;
  /** First configured user, handy for `seedImages(..., { auth })`. */
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly storageDir: string;
  readonly tokenServer?: TokenServer;
  /** Registry stderr so far (for diagnostics). */
  logs(): string;
  stop(): Promise<void>;
}

const DEFAULT_USERS = { laminar: "laminar-pass" };

/** Children still running, killed if the test process exits without calling `stop()`. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<RunningRegistry> {
  const auth = opts.auth ?? "none";
  const users = auth === "none" ? {} : (opts.users ?? DEFAULT_USERS);
  // tmpfs when there is one: the filesystem driver is the registry's bottleneck when seeding.
  const dir = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "laminar-registry-"));
  const storageDir = join(dir, "storage");
  let token: StartedTokenServer | undefined;
  try {
    let authYaml = "";
    if (auth === "htpasswd") {
      const lines: string[] = [];
      for (const [user, pass] of Object.entries(users)) {
        // distribution's htpasswd auth accepts bcrypt entries only; -C 4 keeps verification fast.
        const { stdout } = await execFileP("htpasswd", ["-nbBC", "4", user, pass]);
        lines.push(stdout.trim());
      }
      const htpasswdPath = join(dir, "htpasswd");
      await writeFile(htpasswdPath, lines.join("\n") + "\n");
      authYaml = `auth:\n  htpasswd:\n    realm: laminar-test\n    path: ${htpasswdPath}\n`;
    } else if (auth === "token") {
      const keys = await tokenKeys();
      const bundle = join(dir, "token-root.pem");
      await writeFile(bundle, keys.certPem);
      token = await startTokenServer({
        users,
        anonymousPull: opts.anonymousPull ?? false,
        expiresIn: opts.tokenExpiresIn ?? 300,
        identityTokens: opts.identityTokens ?? {},
        ...(opts.acrExchange ? { acrExchange: opts.acrExchange } : {}),
        service: opts.service ?? "laminar-test-registry",
        issuer: "laminar-test-issuer",
        keys,
      });
      authYaml =
        `auth:\n  token:\n    realm: ${token.server.realm}\n    service: ${token.server.service}\n` +
        `    issuer: ${token.server.issuer}\n    rootcertbundle: ${bundle}\n`;
    }

    // A port picked by the kernel can be taken again before the registry binds it: retry a few times.
    let lastError: unknown;
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = opts.port ?? (await freePort());
      const configPath = join(dir, `config-${attempt}.yml`);
      const instance = randomBytes(8).toString("hex");
      await writeFile(configPath, registryConfig(port, storageDir, authYaml + notifyYaml(opts.notify), instance));
      try {
        const running = await launch(port, configPath, opts.env ?? {}, instance);
        const host = `127.0.0.1:${port}`;
        const first = Object.entries(users)[0];
        const tokenStop = token?.stop;
        return {
          host,
          url: `http://${host}`,
          auth,
          users,
          credentials: first ? { username: first[0], password: first[1] } : undefined,
          storageDir,
          tokenServer: token?.server,
          logs: running.logs,
          async stop() {
            await running.stop();
            await tokenStop?.();
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  } catch (err) {
    await token?.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function notifyYaml(notify: StartRegistryOptions["notify"]): string {
  if (!notify) return "";
  const headers = Object.entries(notify.headers ?? {}).map(([k, v]) => `        ${k}: [${JSON.stringify(v)}]`);
  return [
    "",
    "notifications:",
    "  endpoints:",
    "    - name: laminar-test",
    `      url: ${notify.url}`,
    ...(headers.length ? ["      headers:", ...headers] : []),
    "      timeout: 2s",
    "      threshold: 3",
    "      backoff: 200ms",
    "",
  ].join("\n");
}

function registryConfig(port: number, storageDir: string, authYaml: string, instance: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: error",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storageDir}`,
    "  delete:",
    "    enabled: true",
    "  cache:",
    "    blobdescriptor: inmemory",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
    // Lets the readiness poll tell our process from another one already on a fixed port.
    "  headers:",
    `    X-Laminar-Instance: [${instance}]`,
    "health:",
    "  storagedriver:",
    "    enabled: false",
    authYaml,
  ].join("\n");
}

async function launch(
  port: number,
  configPath: string,
  env: Record<string, string>,
  instance: string,
): Promise<{ logs(): string; stop(): Promise<void> }> {
  installExitHook();
  const child = spawn(REGISTRY_BINARY, ["serve", configPath], {
    stdio: ["ignore", "pipe", "pipe"],
    // GOGC=400: seeding is CPU-bound in the registry's GC; this alone takes ~170 → ~290 tags/s.
    env: { ...process.env, GOGC: "400", ...env },
  });
  live.add(child);
  let stderr = "";
  const keep = (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    });
  });
  child.once("error", (err) => {
    stderr += `\nspawn error: ${String(err)}`;
  });

  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
    await exitPromise;
    clearTimeout(timer);
  };

  // Ready when GET /v2/ answers 200 (no auth) or 401 (auth configured).
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      const ours = res.headers.get("x-laminar-instance") === instance;
      if (ours && (res.status === 200 || res.status === 401)) return { logs: () => stderr, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  throw new Error(`docker-registry did not become ready on 127.0.0.1:${port}: ${stderr.slice(-2000)}`);
}

// ---------------------------------------------------------------------------------------------
// Token server

interface TokenKeys {
  key: KeyObject;
  certPem: string;
  /** Standard base64 DER, as the JWS `x5c` header wants (RFC 7515 §4.1.6). */
  x5c: string;
}

let keysPromise: Promise<TokenKeys> | undefined;

/** One RSA key + self-signed certificate per process: openssl takes ~0.3 s. */
export function tokenKeys(): Promise<TokenKeys> {
  keysPromise ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "laminar-token-keys-"));
    try {
      const keyPath = join(dir, "key.pem");
      const certPath = join(dir, "cert.pem");
      await execFileP("openssl", [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-sha256",
        "-days",
        "2",
        "-keyout",
        keyPath,
        "-out",
        certPath,
        "-subj",
        "/CN=laminar-test-token-signer",
      ]);
      const keyPem = await readFile(keyPath, "utf8");
      const certPem = await readFile(certPath, "utf8");
      const cert = new X509Certificate(certPem);
      return { key: createPrivateKey(keyPem), certPem, x5c: cert.raw.toString("base64") };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return keysPromise;
}

interface TokenServerOptions {
  users: Record<string, string>;
  anonymousPull: boolean;
  expiresIn: number;
  identityTokens: Record<string, string>;
  acrExchange?: { accept: string; refreshToken: string | ((exchange: number) => string) };
  service: string;
  issuer: string;
  keys: TokenKeys;
}

interface StartedTokenServer {
  server: TokenServer;
  stop(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

function mintToken(o: TokenServerOptions, subject: string, access: readonly TokenAccess[], expiresIn: number): string {
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: "JWT", alg: "RS256", x5c: [o.keys.x5c] };
  const claims = {
    iss: o.issuer,
    sub: subject,
    aud: o.service,
    iat: now,
    nbf: now - 10,
    exp: now + expiresIn,
    jti: randomBytes(12).toString("hex"),
    access,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = sign("sha256", Buffer.from(input), o.keys.key);
  return `${input}.${b64url(signature)}`;
}

/** `repository:acme/app:pull,push` → access entry; the name may itself contain colons (ports). */
function parseScope(scope: string): TokenAccess | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(",")
      .filter(Boolean),
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function startTokenServer(o: TokenServerOptions): Promise<StartedTokenServer> {
  const requests: TokenRequestRecord[] = [];
  let issued = 0;
  let exchanges = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/oauth2/exchange" && req.method === "POST" && o.acrExchange) {
      const form = new URLSearchParams(await readBody(req));
      const ok =
        form.get("grant_type") === "access_token" &&
        form.get("service") === o.service &&
        form.get("access_token") === o.acrExchange.accept;
      requests.push({ method: "POST /oauth2/exchange", service: form.get("service") ?? "", scopes: [], granted: ok });
      res.writeHead(ok ? 200 : 401, { "content-type": "application/json" });
      const minted = (r: string | ((n: number) => string)) => (typeof r === "string" ? r : r(++exchanges));
      res.end(
        JSON.stringify(
          ok ? { refresh_token: minted(o.acrExchange.refreshToken) } : { errors: [{ code: "UNAUTHORIZED" }] },
        ),
      );
      return;
    }
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    let username: string | undefined;
    let authenticated = false;
    let scopes = url.searchParams
      .getAll("scope")
      .flatMap((s) => s.split(" "))
      .filter(Boolean);
    let service = url.searchParams.get("service") ?? undefined;
    let badCredentials = false;

    const authz = req.headers.authorization;
    if (authz?.startsWith("Basic ")) {
      const decoded = Buffer.from(authz.slice(6), "base64").toString("utf8");
      const sep = decoded.indexOf(":");
      const user = decoded.slice(0, sep);
      const pass = decoded.slice(sep + 1);
      if (sep > 0 && o.users[user] === pass) {
        username = user;
        authenticated = true;
      } else badCredentials = true;
    }
    if (req.method === "POST") {
      // OAuth2 flow docker uses with identity tokens (distribution docs: "oauth.md").
      const form = new URLSearchParams(await readBody(req));
      service = form.get("service") ?? service;
      scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
      const grant = form.get("grant_type");
      if (grant === "refresh_token") {
        const user = o.identityTokens[form.get("refresh_token") ?? ""];
        if (user) {
          username = user;
          authenticated = true;
        } else badCredentials = true;
      } else if (grant === "password") {
        const user = form.get("username") ?? "";
        if (o.users[user] === form.get("password")) {
          username = user;
          authenticated = true;
        } else badCredentials = true;
      }
    }

    const granted = !badCredentials && (authenticated || o.anonymousPull);
    requests.push({ method: req.method ?? "GET", username, service, scopes, granted });
    if (!granted) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
      return;
    }
    const access: TokenAccess[] = [];
    for (const s of scopes) {
      const a = parseScope(s);
      if (!a) continue;
      // Authenticated users get what they ask for; anonymous callers only `pull`.
      const actions = authenticated ? a.actions : a.actions.filter((x) => x === "pull");
      if (actions.length) access.push({ ...a, actions });
    }
    const token = mintToken(o, username ?? "", access, o.expiresIn);
    issued++;
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: o.expiresIn,
      issued_at: new Date().toISOString(),
    };
    if (req.method === "POST") body.refresh_token = randomBytes(8).toString("hex");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    server: {
      realm: `${url}/token`,
      url,
      service: o.service,
      issuer: o.issuer,
      requests,
      issued: () => issued,
      mint: (subject, access, expiresIn) => mintToken(o, subject, access, expiresIn ?? o.expiresIn),
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** sha256 digest string of some bytes (`sha256:<hex>`). */
export function sha256Digest(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}
