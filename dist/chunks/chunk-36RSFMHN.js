import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  GitCommandError,
  LAMINAR_SET_TRAILER,
  LAMINAR_TRAILER_FORMAT,
  SecretMasker,
  buildCommitMessage,
  execGit,
  parseLaminarTrailers,
  readBlobs,
  updatePass,
  withLaminarTrailers
} from "./chunk-EQSYRQKA.js";

// src/delivery/commit-settings.ts
var CLI_AUTHOR = { name: "Laminar", email: "laminar@localhost" };
function resolveCommitSettings(overrides, commit, defaultAuthor) {
  const author = overrides.author ?? {
    name: commit.authorName || defaultAuthor.name,
    email: commit.authorEmail || defaultAuthor.email
  };
  const messageTemplate = overrides.commitMessage || commit.message || void 0;
  return { author: { name: author.name, email: author.email }, ...messageTemplate ? { messageTemplate } : {} };
}

// src/delivery/remote-branch.ts
function trackingRef(branch, remote) {
  return `refs/remotes/${remote}/${branch}`;
}
async function fetchBranch(git, branch, depth) {
  const remote = await git.remote();
  const ref = trackingRef(branch, remote);
  await git.fetch({ remote, refspecs: [`+refs/heads/${branch}:${ref}`], ...depth ? { depth } : {} });
  return ref;
}
async function assertCleanWorkTree(git) {
  const dirty = await git.status();
  if (dirty.length) {
    throw new Error(
      `the working tree has uncommitted changes (${dirty.slice(0, 5).map((d) => d.path).join(", ")}${dirty.length > 5 ? ", \u2026" : ""}); Laminar commits only its own edits: start from a clean checkout`
    );
  }
}

// src/delivery/types.ts
function toImageChange(c) {
  return { file: c.file, line: c.line, image: c.image, from: c.from, to: c.to };
}

// src/delivery/retry-loop.ts
var DEFAULT_MAX_ATTEMPTS = 3;
async function deliverWithRetry(o, publisher) {
  const { git } = o;
  const start = await git.revParse("HEAD");
  const log = o.log ?? (() => void 0);
  const maxAttempts = o.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const before = new Set((await git.status()).flatMap((e) => e.origPath ? [e.path, e.origPath] : [e.path]));
  try {
    for (let attempt = 1; ; attempt++) {
      const pass = await updatePass({ ...o, dryRun: false });
      if (!pass.applied) return { pass, attempts: attempt };
      const parent = await git.revParse("HEAD");
      const text = buildCommitMessage(
        pass.plan.changes.map(toImageChange),
        o.commit.messageTemplate,
        pass.applied.commandChanges
      );
      const message = o.setTag ? withLaminarTrailers(
        text,
        [`${o.setTag.image.registry}/${o.setTag.image.repository}:${o.setTag.tag}`],
        LAMINAR_SET_TRAILER
      ) : withLaminarTrailers(
        text,
        pass.plan.changes.map((c) => c.rule)
      );
      await git.add(await changedByPass(git, pass, before));
      const local = await git.commit({ message, author: o.commit.author });
      if (o.signal?.aborted) throw new Error("the run was abandoned before its push; nothing was pushed");
      const outcome = await publisher.publish({ parent, local, message, pass });
      if (outcome.kind === "published") return { pass, commitSha: outcome.sha, attempts: attempt };
      if (attempt >= maxAttempts) throw publisher.exhausted(attempt);
      log(publisher.retryNote(attempt + 1, maxAttempts));
      await git.resetHard(publisher.refetch ? await publisher.refetch() : await fetchBranch(git, o.branch));
    }
  } catch (e) {
    await git.resetHard(start).catch(() => void 0);
    throw e;
  }
}
async function changedByPass(git, pass, before) {
  const rewritten = new Set(pass.applied?.files ?? []);
  const paths = /* @__PURE__ */ new Set();
  for (const e of await git.status()) {
    for (const p of e.origPath ? [e.path, e.origPath] : [e.path]) if (!before.has(p) || rewritten.has(p)) paths.add(p);
  }
  return [...paths].sort();
}

// src/delivery/push.ts
var PushDeniedError = class extends Error {
  name = "PushDeniedError";
};
function pushMode(o) {
  const hint = o.protectedHint ?? "use `mode: pull-request`";
  return deliverWithRetry(o, {
    publish: async ({ local }) => {
      const pushed = await o.git.push({ branch: o.branch });
      if (pushed.kind === "ok") return { kind: "published", sha: local };
      if (pushed.kind === "rejected-non-fast-forward") return { kind: "moved" };
      if (pushed.kind === "rejected-protected") {
        const why = pushed.remoteMessages.join(" ").trim() || pushed.reason;
        throw new PushDeniedError(
          `the remote refused the push to ${o.branch} (${why}); the branch is protected: ${hint}`
        );
      }
      throw new Error(`push to ${o.branch} failed: ${pushed.kind === "error" ? pushed.stderr.trim() : pushed.reason}`);
    },
    retryNote: (next, max) => `push rejected: ${o.branch} moved on the remote; fetching it and planning again (attempt ${next} of ${max})`,
    exhausted: (attempts) => new Error(`push to ${o.branch} rejected ${attempts} times because the branch kept moving; nothing was pushed`)
  });
}

// src/git/http-auth.ts
function extraHeaderKey(serverUrl) {
  const origin = new URL(serverUrl).origin;
  return `http.${origin}/.extraheader`;
}
function basicCredential(token) {
  return Buffer.from(`x-access-token:${token}`, "utf8").toString("base64");
}
function credentialEnvironment(credentials, inherited = process.env) {
  const key = extraHeaderKey(credentials.serverUrl);
  const start = Number.parseInt(inherited.GIT_CONFIG_COUNT ?? "0", 10) || 0;
  const entries = [
    [key, ""],
    [key, `AUTHORIZATION: basic ${basicCredential(credentials.token)}`]
  ];
  const env = { GIT_CONFIG_COUNT: String(start + entries.length) };
  entries.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${start + i}`] = k;
    env[`GIT_CONFIG_VALUE_${start + i}`] = v;
  });
  return env;
}

// src/git/push-result.ts
function parsePorcelain(stdout) {
  const lines = [];
  for (const line of stdout.split("\n")) {
    const parts = line.split("	");
    if (parts.length < 3) continue;
    const [flag = "", refs = "", summary = ""] = parts;
    if (flag.length !== 1) continue;
    const colon = refs.lastIndexOf(":");
    lines.push({ flag, from: refs.slice(0, colon), to: refs.slice(colon + 1), summary });
  }
  return lines;
}
function remoteMessages(stderr) {
  return stderr.split("\n").filter((l) => l.startsWith("remote:")).map((l) => l.slice("remote:".length).trim()).filter((l) => l.length > 0);
}
function reasonOf(summary) {
  const m = /\(([^()]*(?:\([^()]*\)[^()]*)*)\)\s*$/.exec(summary);
  return m?.[1] ?? summary;
}
function classifyPush(exitCode, stdout, stderr) {
  const lines = parsePorcelain(stdout);
  const rejected = lines.find((l) => l.flag === "!");
  if (rejected) {
    const reason = reasonOf(rejected.summary);
    if (rejected.summary.startsWith("[remote rejected]")) {
      return { kind: "rejected-protected", ref: rejected.to, reason, remoteMessages: remoteMessages(stderr), stderr };
    }
    if (reason === "stale info") {
      return { kind: "rejected-stale-lease", ref: rejected.to, reason, stderr };
    }
    if (reason === "non-fast-forward" || reason === "fetch first") {
      return { kind: "rejected-non-fast-forward", ref: rejected.to, reason, stderr };
    }
    return { kind: "error", exitCode: exitCode || 1, stderr };
  }
  const first = lines[0];
  if (exitCode === 0 && first) {
    const status = first.flag === "+" ? "forced" : first.flag === "*" ? "created" : first.flag === "-" ? "deleted" : first.flag === "=" ? "up-to-date" : "fast-forward";
    return { kind: "ok", ref: first.to, status };
  }
  return { kind: "error", exitCode: exitCode || 1, stderr };
}

// src/git/remote.ts
var RemoteError = class extends Error {
  name = "RemoteError";
};
function chooseRemote(f) {
  const listed = f.remotes.length ? f.remotes.join(", ") : "none";
  if (f.setting) {
    if (f.remotes.includes(f.setting.name)) return f.setting.name;
    throw new RemoteError(
      `${f.setting.from}: there is no git remote ${JSON.stringify(f.setting.name)} (remotes: ${listed})`
    );
  }
  if (f.upstream && f.upstream !== "." && f.remotes.includes(f.upstream)) return f.upstream;
  if (f.remotes.includes("origin")) return "origin";
  if (f.remotes.length === 1) return f.remotes[0];
  if (f.remotes.length === 0)
    throw new RemoteError("the checkout has no git remote: Laminar pushes to one (add it with `git remote add`)");
  throw new RemoteError(
    `cannot tell which git remote to use: ${f.branch ? `${f.branch} has no upstream` : "HEAD is detached"}, there is no "origin" and there are several remotes (${listed}); set the remote (Action input \`remote\`, CLI \`--remote\`) or the branch's upstream (\`git branch --set-upstream-to\`)`
  );
}

// src/git/git-command-manager.ts
var MINIMUM_VERSION = [2, 31, 0];
function parseVersion(text) {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) throw new Error(`cannot parse git version from "${text.trim()}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}
function atLeast(v, min) {
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
function identityEnv(prefix, id) {
  const env = {
    [`GIT_${prefix}_NAME`]: id.name,
    [`GIT_${prefix}_EMAIL`]: id.email
  };
  if (id.date) env[`GIT_${prefix}_DATE`] = `@${Math.floor(id.date.getTime() / 1e3)} +0000`;
  return env;
}
function splitZ(text) {
  return text.split("\0").filter((s) => s.length > 0);
}
function parseStatus(stdout) {
  const fields = stdout.split("\0");
  const entries = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f || f.length < 4) continue;
    const index = f[0] ?? " ";
    const worktree = f[1] ?? " ";
    const path = f.slice(3);
    if (index === "R" || index === "C") {
      entries.push({ path, index, worktree, origPath: fields[++i] ?? "" });
    } else {
      entries.push({ path, index, worktree });
    }
  }
  return entries;
}
var GitCli = class {
  constructor(workingDirectory, version, options, log) {
    this.workingDirectory = workingDirectory;
    this.version = version;
    this.log = log;
    if (typeof options.credentials === "function") this.credentialSource = options.credentials;
    else this.credentials = options.credentials;
    this.environment = options.environment ?? {};
    this.remoteSetting = options.remote;
  }
  workingDirectory;
  version;
  log;
  credentials;
  credentialSource;
  environment;
  remoteSetting;
  chosenRemote;
  remote() {
    this.chosenRemote ??= this.decideRemote();
    this.chosenRemote.catch(() => this.chosenRemote = void 0);
    return this.chosenRemote;
  }
  async decideRemote() {
    const remotes = (await this.must(["remote"])).split("\n").filter((r) => r.trim() !== "");
    const branch = await this.currentBranch();
    const upstream = branch ? await this.run(["config", "--get", `branch.${branch}.remote`]) : void 0;
    return chooseRemote({
      remotes,
      ...this.remoteSetting ? { setting: this.remoteSetting } : {},
      ...branch ? { branch } : {},
      ...upstream?.exitCode === 0 ? { upstream: upstream.stdout.trim() } : {}
    });
  }
  setCredentials(credentials) {
    this.credentials = credentials;
    this.credentialSource = void 0;
  }
  /** The token in every form git could print it (the Basic header of the extraheader included). */
  secrets() {
    const masker = new SecretMasker();
    masker.add(this.credentials?.token, "x-access-token");
    return masker;
  }
  /** Runs git; never throws on a non-zero exit. `network` adds the credential header for this run only. */
  async run(args, opts = {}) {
    this.log(`git ${args.join(" ")}`);
    const env = { ...this.environment, ...opts.env ?? {} };
    if (opts.network && this.credentialSource) this.credentials = await this.credentialSource();
    if (opts.network && this.credentials) Object.assign(env, credentialEnvironment(this.credentials));
    return execGit(args, {
      cwd: this.workingDirectory,
      env,
      ...opts.input !== void 0 ? { input: opts.input } : {},
      ...opts.binary ? { binary: true } : {},
      secrets: this.secrets()
    });
  }
  /** Runs git and throws GitCommandError on a non-zero exit. */
  async must(args, opts = {}) {
    const r = await this.run(args, opts);
    if (r.exitCode !== 0) throw new GitCommandError(args, r.exitCode, r.stderr);
    return r.stdout;
  }
  async status(paths = []) {
    const args = ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--ignored=no"];
    if (paths.length) args.push("--", ...paths);
    return parseStatus(await this.must(args));
  }
  async isDirty(paths = []) {
    return (await this.status(paths)).length > 0;
  }
  async currentBranch() {
    const r = await this.run(["symbolic-ref", "--quiet", "--short", "HEAD"]);
    if (r.exitCode === 0) return r.stdout.trim();
    if (r.exitCode === 1) return void 0;
    throw new GitCommandError(["symbolic-ref", "--quiet", "--short", "HEAD"], r.exitCode, r.stderr);
  }
  async isDetached() {
    return await this.currentBranch() === void 0;
  }
  async revParse(rev) {
    return (await this.must(["rev-parse", "--verify", "--end-of-options", `${rev}^{object}`])).trim();
  }
  async tryRevParse(rev) {
    const r = await this.run(["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{object}`]);
    return r.exitCode === 0 ? r.stdout.trim() : void 0;
  }
  async isAncestor(ancestor, rev) {
    const args = ["merge-base", "--is-ancestor", ancestor, rev];
    const r = await this.run(args);
    if (r.exitCode === 0 || r.exitCode === 1) return r.exitCode === 0;
    throw new GitCommandError(args, r.exitCode, r.stderr);
  }
  async showFiles(versions) {
    return readBlobs(
      (args, opts) => this.run(args, opts),
      versions.map((v) => `${v.rev}:${v.path}`)
    );
  }
  async laminarTrailers(rev) {
    return parseLaminarTrailers(await this.must(["log", "-1", `--format=${LAMINAR_TRAILER_FORMAT}`, rev]));
  }
  async isShallow() {
    return (await this.must(["rev-parse", "--is-shallow-repository"])).trim() === "true";
  }
  async diffNameOnly(options = {}) {
    const args = ["diff", "--name-only", "-z", "--no-renames"];
    if (options.cached) args.push("--cached");
    if (options.from) args.push(options.from);
    if (options.to) args.push(options.to);
    args.push("--", ...options.paths ?? []);
    return splitZ(await this.must(args));
  }
  async fileModes(paths) {
    const modes = /* @__PURE__ */ new Map();
    if (!paths.length) return modes;
    for (const entry of splitZ(await this.must(["ls-files", "--stage", "-z", "--", ...paths]))) {
      const tab = entry.indexOf("	");
      const mode = entry.slice(0, entry.indexOf(" "));
      modes.set(entry.slice(tab + 1), mode);
    }
    return modes;
  }
  async lsRemote(refs, remote) {
    const out = await this.must(["ls-remote", "--", remote ?? await this.remote(), ...refs], { network: true });
    const wanted = new Set(refs);
    const found = /* @__PURE__ */ new Map();
    for (const line of out.split("\n")) {
      const [sha, ref] = line.split("	");
      if (sha && ref && (wanted.size === 0 || wanted.has(ref))) found.set(ref, sha);
    }
    return found;
  }
  async remoteBranchSha(branch, remote) {
    const ref = `refs/heads/${branch}`;
    return (await this.lsRemote([ref], remote)).get(ref);
  }
  async fetch(options) {
    const args = ["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"];
    if (options.depth === "unshallow") {
      if (await this.isShallow()) args.push("--unshallow");
    } else if (typeof options.depth === "number") {
      args.push(`--depth=${options.depth}`);
    } else if (await this.isShallow()) {
      args.push("--depth=1");
    }
    args.push("--", options.remote ?? await this.remote(), ...options.refspecs);
    await this.must(args, { network: true });
  }
  async add(paths) {
    if (!paths.length) return;
    await this.must(["add", "--all", "--", ...paths]);
  }
  async commit(options) {
    const env = {
      ...identityEnv("AUTHOR", options.author),
      ...identityEnv("COMMITTER", options.committer ?? options.author)
    };
    const args = ["commit", "--file=-", "--cleanup=whitespace", "--no-edit"];
    if (options.allowEmpty) args.push("--allow-empty");
    await this.must(args, { env, input: options.message });
    return this.revParse("HEAD");
  }
  async push(options) {
    const ref = `refs/heads/${options.branch}`;
    const args = ["push", "--porcelain"];
    if (options.expectedSha !== void 0) {
      args.push(`--force-with-lease=${ref}:${options.expectedSha ?? ""}`);
    }
    args.push("--", options.remote ?? await this.remote(), `${options.source ?? "HEAD"}:${ref}`);
    const r = await this.run(args, { network: true });
    return classifyPush(r.exitCode, r.stdout, r.stderr);
  }
  async deleteRemoteBranch(branch, options = {}) {
    const ref = `refs/heads/${branch}`;
    const args = ["push", "--porcelain"];
    if (options.expectedSha) args.push(`--force-with-lease=${ref}:${options.expectedSha}`);
    args.push("--", options.remote ?? await this.remote(), `:${ref}`);
    const r = await this.run(args, { network: true });
    return classifyPush(r.exitCode, r.stdout, r.stderr);
  }
  async resetHard(rev) {
    await this.must(["reset", "--hard", "--quiet", rev, "--"]);
  }
  async checkoutBranch(branch, startPoint) {
    const args = ["checkout", "--quiet", "-B", branch];
    if (startPoint) args.push(startPoint);
    args.push("--");
    await this.must(args);
  }
  async restore(paths, options = {}) {
    if (!paths.length) return;
    const args = ["restore"];
    if (options.source) args.push(`--source=${options.source}`);
    if (options.staged) args.push("--staged");
    if (options.worktree || !options.staged) args.push("--worktree");
    args.push("--", ...paths);
    await this.must(args);
  }
};
async function createGitCommandManager(workingDirectory, options = {}) {
  const v = await execGit(["version"], { cwd: workingDirectory });
  if (v.exitCode !== 0) throw new Error(`git is not usable in ${workingDirectory}: ${v.stderr.trim()}`);
  const version = parseVersion(v.stdout);
  if (!atLeast(version, MINIMUM_VERSION)) {
    throw new Error(`git ${version.join(".")} is too old: Laminar needs git ${MINIMUM_VERSION.join(".")} or newer`);
  }
  return new GitCli(workingDirectory, version, options, options.log ?? (() => void 0));
}

export {
  CLI_AUTHOR,
  resolveCommitSettings,
  fetchBranch,
  assertCleanWorkTree,
  toImageChange,
  deliverWithRetry,
  pushMode,
  credentialEnvironment,
  createGitCommandManager
};
