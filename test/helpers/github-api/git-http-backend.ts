import { spawn } from "node:child_process";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Git's smart HTTP protocol over the real `git http-backend` (a CGI program shipped with git), so
 * tests can clone, fetch and push over http://127.0.0.1 exactly as a runner talks to github.com —
 * including the Authorization header our git wrapper sends.
 */
export interface GitHttpOptions {
  /** Directory holding the bare repositories (`GIT_PROJECT_ROOT`). */
  readonly projectRoot: string;
  /** Path inside the project root, e.g. `/acme/manifests.git/info/refs`. */
  readonly pathInfo: string;
  /** User name the CGI sees; http-backend only allows receive-pack (push) for an authenticated user. */
  readonly remoteUser: string;
}

export function serveGitHttp(req: IncomingMessage, res: ServerResponse, options: GitHttpOptions): void {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_PROJECT_ROOT: options.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    PATH_INFO: options.pathInfo,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    REQUEST_METHOD: req.method ?? "GET",
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_USER: options.remoteUser,
    REMOTE_ADDR: "127.0.0.1",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env.GIT_PROTOCOL = protocol;

  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  child.stderr.on("data", () => undefined);

  // CGI output: header lines, a blank line, then the body. Parse the head once, stream the rest.
  let head = Buffer.alloc(0);
  let headerDone = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headerDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const sep = head.indexOf("\r\n\r\n");
    const sepLen = 4;
    if (sep < 0) return;
    headerDone = true;
    let status = 200;
    for (const line of head.subarray(0, sep).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === "status") status = Number.parseInt(value, 10) || 200;
      else res.setHeader(name, value);
    }
    res.statusCode = status;
    res.write(head.subarray(sep + sepLen));
  });
  child.on("close", () => {
    if (!headerDone) {
      res.statusCode = 500;
      res.write(head);
    }
    res.end();
  });
  child.on("error", () => {
    res.statusCode = 500;
    res.end();
  });
}
