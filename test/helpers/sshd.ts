/**
 * A real OpenSSH server (Debian `openssh-server`) for tests: generated host and user keys in a temp
 * dir, listening on a free 127.0.0.1 port, logging in the current user with the user key only.
 * Git over it runs the server's real `git-upload-pack` / `git-receive-pack` on local bare repositories.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./registry/server.js";

export const SSHD_BINARY = process.env.LAMINAR_SSHD_BIN ?? "/usr/sbin/sshd";

/** True when nothing listens on 127.0.0.1:`port` and this process may bind it (root for 22). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** Why the SSH tests cannot run here, or false when they can. */
export const SSHD_SKIP: false | string = !existsSync(SSHD_BINARY)
  ? `${SSHD_BINARY} is not installed (Debian openssh-server)`
  : spawnSync("ssh-keygen", ["-?"]).error
    ? "ssh-keygen is not installed (Debian openssh-client)"
    : false;

export interface RunningSshd {
  readonly port: number;
  /** The login user (the user running the tests). */
  readonly user: string;
  /** Private key sshd accepts for `user` (mode 0600). */
  readonly userKey: string;
  /** A known_hosts line for the server's host key: `[127.0.0.1]:PORT ssh-ed25519 AAAA…`. */
  readonly knownHostsLine: string;
  /** Temp dir holding keys and config; the caller may put its files there too. */
  readonly dir: string;
  /** `ssh://user@127.0.0.1:PORT/abs/path`. */
  url(absolutePath: string): string;
  /** The scp-like `user@127.0.0.1:/abs/path` (port 22 only: the form has no port). */
  scpUrl(absolutePath: string): string;
  /** What sshd logged (to find out why a login failed). */
  logs(): string;
  stop(): Promise<void>;
}

/** Children still running, killed if the test process exits without calling `stop()`. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Generates an ed25519 key pair at `path` (no passphrase); returns the public key line. */
export function generateKey(path: string, comment = "laminar-test"): string {
  const r = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return readFileSync(`${path}.pub`, "utf8").trim();
}

/**
 * Starts sshd on `port` (default: a free one); resolves once the port accepts connections. Port 22
 * lets git's scp-like form (`user@127.0.0.1:/path`, which has no port) reach it.
 */
export async function startSshd(o: { port?: number } = {}): Promise<RunningSshd> {
  if (SSHD_SKIP) throw new Error(SSHD_SKIP);
  const dir = mkdtempSync(join(tmpdir(), "laminar-sshd-"));
  const hostKey = join(dir, "ssh_host_ed25519_key");
  const hostPub = generateKey(hostKey, "laminar-test-host");
  const userKey = join(dir, "user_key");
  const authorized = join(dir, "authorized_keys");
  writeFileSync(authorized, `${generateKey(userKey, "laminar-test-user")}\n`, { mode: 0o600 });
  const port = o.port ?? (await freePort());
  const user = userInfo().username;
  const config = join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      "ListenAddress 127.0.0.1",
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${authorized}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      // The temp dir is not root-owned 0755 all the way up; the keys in it are ours.
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      // The tests run as root in the CI container; key-only login is enough.
      "PermitRootLogin prohibit-password",
      `AllowUsers ${user}`,
      "LogLevel VERBOSE",
      "",
    ].join("\n"),
  );
  // sshd insists on its privilege-separation directory, even when it only serves one user.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once("exit", () => {
      for (const child of live) child.kill("SIGKILL");
    });
  }
  const child = spawn(SSHD_BINARY, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  live.add(child);
  let log = "";
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString("utf8");
    if (log.length > 64_000) log = log.slice(-32_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      live.delete(child);
      resolve();
    }),
  );
  child.once("error", (e) => (log += `\nspawn error: ${String(e)}`));
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200 && !exited; i++) {
    // On a fixed port, make sure it is this sshd that answers, not another one already there.
    if (o.port !== undefined && !/Server listening on 127\.0\.0\.1 port/.test(log)) {
      await sleep(25);
      continue;
    }
    if (await accepts(port)) {
      const [type, key] = hostPub.split(" ");
      return {
        port,
        user,
        userKey,
        // known_hosts names a host on port 22 without brackets.
        knownHostsLine: `${port === 22 ? "127.0.0.1" : `[127.0.0.1]:${port}`} ${type} ${key}`,
        dir,
        url: (path) => `ssh://${user}@127.0.0.1:${port}${path}`,
        scpUrl: (path) => `${user}@127.0.0.1:${path}`,
        logs: () => log,
        stop,
      };
    }
    await sleep(25);
  }
  await stop();
  throw new Error(`sshd did not start on 127.0.0.1:${port}: ${log.slice(-2000)}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
