import { execFile } from "node:child_process";
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The emulator's "GitHub-side" repository: a real bare git repository, read and written with git
 * plumbing, so that what the REST API creates (blobs, trees, commits, refs) is exactly what a later
 * `git fetch` of the same repository sees.
 */

export interface PersonStamp {
  readonly name: string;
  readonly email: string;
  /** ISO 8601. */
  readonly date: string;
}

export interface CommitObject {
  readonly sha: string;
  readonly tree: string;
  readonly parents: readonly string[];
  readonly author: PersonStamp;
  readonly committer: PersonStamp;
  readonly message: string;
}

export interface TreeEntry {
  readonly mode: string;
  readonly type: "blob" | "tree" | "commit";
  readonly sha: string;
  readonly path: string;
  readonly size?: number;
}

/** A change to a tree, as POST /git/trees describes it (content already written as a blob). */
export interface TreeEdit {
  readonly path: string;
  readonly mode: string;
  /** null deletes the path. */
  readonly sha: string | null;
}

export class GitFailure extends Error {
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")}: ${stderr.trim()}`);
  }
}

function run(
  cwd: string,
  args: readonly string[],
  options: { input?: Buffer | string; env?: Record<string, string> } = {},
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      {
        cwd,
        encoding: "buffer",
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, LC_ALL: "C", GIT_TERMINAL_PROMPT: "0", ...options.env },
      },
      (error, stdout, stderr) => {
        if (error) reject(new GitFailure(args, stderr.toString("utf8") || error.message));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

function parsePerson(line: string): PersonStamp {
  // "Name <email> 1714564800 +0000"
  const m = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!m) return { name: line, email: "", date: new Date(0).toISOString() };
  return {
    name: m[1] ?? "",
    email: m[2] ?? "",
    date: new Date(Number(m[3]) * 1000).toISOString().replace(/\.000Z$/, "Z"),
  };
}

function epoch(date: string): string {
  return `@${Math.floor(new Date(date).getTime() / 1000)} +0000`;
}

export class BareRepo {
  private indexCounter = 0;

  constructor(readonly path: string) {}

  git(
    args: readonly string[],
    options: { input?: Buffer | string; env?: Record<string, string> } = {},
  ): Promise<Buffer> {
    return run(this.path, args, options);
  }

  private async text(
    args: readonly string[],
    options: { input?: Buffer | string; env?: Record<string, string> } = {},
  ): Promise<string> {
    return (await this.git(args, options)).toString("utf8").trim();
  }

  /** Sha a full ref points at, undefined when it does not exist. */
  async refSha(ref: string): Promise<string | undefined> {
    try {
      return await this.text(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    } catch {
      return undefined;
    }
  }

  /** `git cat-file -t`; undefined when the object does not exist. */
  async objectType(sha: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{40}$/.test(sha)) return undefined;
    try {
      return await this.text(["cat-file", "-t", sha]);
    } catch {
      return undefined;
    }
  }

  /** Compare-and-swap ref update: `oldSha` undefined = unconditional, "" = must not exist. */
  async updateRef(ref: string, sha: string, oldSha?: string): Promise<void> {
    const args = ["update-ref", "-m", "github-api emulator", ref, sha];
    if (oldSha !== undefined) args.push(oldSha || "0".repeat(40));
    await this.git(args);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.git(["update-ref", "-d", ref]);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.git(["merge-base", "--is-ancestor", ancestor, descendant]);
      return true;
    } catch {
      return false;
    }
  }

  /** `hash-object -w`: stores a blob and returns its sha. */
  async writeBlob(content: Buffer): Promise<string> {
    return this.text(["hash-object", "-w", "--stdin"], { input: content });
  }

  /**
   * Applies edits to `baseTree` (or to an empty tree) and writes the result.
   * A temporary index does the nesting: `read-tree` the base, `update-index` each path (a deep path
   * like `apps/web/deploy.yaml` would otherwise need one `mktree` per directory), `write-tree`.
   */
  async writeTree(baseTree: string | undefined, edits: readonly TreeEdit[]): Promise<string> {
    const index = join(this.path, `emulator-index-${process.pid}-${++this.indexCounter}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      if (baseTree) await this.git(["read-tree", baseTree], { env });
      else await this.git(["read-tree", "--empty"], { env });
      // --index-info takes every edit in one process; mode 0 removes a path (and, unlike
      // --force-remove, works without a work tree).
      const lines = edits.map((e) =>
        e.sha === null ? `0 ${"0".repeat(40)}\t${e.path}\n` : `${e.mode} ${e.sha}\t${e.path}\n`,
      );
      if (lines.length) await this.git(["update-index", "--index-info"], { env, input: lines.join("") });
      return await this.text(["write-tree"], { env });
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** Top-level entries of a tree (with blob sizes). */
  async lsTree(tree: string): Promise<TreeEntry[]> {
    const out = await this.text(["ls-tree", "--long", "-z", tree]);
    return out
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const [meta = "", path = ""] = line.split("\t");
        const [mode = "", type = "blob", sha = "", size = "-"] = meta.split(/\s+/);
        return { mode, type: type as TreeEntry["type"], sha, path, ...(size !== "-" ? { size: Number(size) } : {}) };
      });
  }

  /** `commit-tree` with explicit identities and dates. */
  async commitTree(
    tree: string,
    parents: readonly string[],
    message: string,
    author: PersonStamp,
    committer: PersonStamp,
  ): Promise<string> {
    const args = ["commit-tree", tree, ...parents.flatMap((p) => ["-p", p]), "-F", "-"];
    return this.text(args, {
      input: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: epoch(author.date),
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: epoch(committer.date),
      },
    });
  }

  async readCommit(sha: string): Promise<CommitObject> {
    const raw = (await this.git(["cat-file", "commit", sha])).toString("utf8");
    const split = raw.indexOf("\n\n");
    const headers = raw.slice(0, split < 0 ? raw.length : split).split("\n");
    const message = split < 0 ? "" : raw.slice(split + 2);
    let tree = "";
    const parents: string[] = [];
    let author: PersonStamp = parsePerson("");
    let committer: PersonStamp = parsePerson("");
    for (const h of headers) {
      const sp = h.indexOf(" ");
      const key = h.slice(0, sp);
      const value = h.slice(sp + 1);
      if (key === "tree") tree = value;
      else if (key === "parent") parents.push(value);
      else if (key === "author") author = parsePerson(value);
      else if (key === "committer") committer = parsePerson(value);
    }
    return { sha, tree, parents, author, committer, message };
  }

  /**
   * Makes `git push` to protected branches fail the way GitHub's does (a pre-receive refusal with a
   * GH006 message), so push-mode tests see the same thing the API path does.
   */
  setProtectedBranches(branches: readonly string[]): void {
    writeFileSync(join(this.path, "laminar-protected-branches"), branches.map((b) => `refs/heads/${b}\n`).join(""));
    const hook = join(this.path, "hooks", "pre-receive");
    writeFileSync(
      hook,
      [
        "#!/bin/sh",
        'list="$GIT_DIR/laminar-protected-branches"',
        "status=0",
        "while read old new ref; do",
        '  if [ -f "$list" ] && grep -qxF "$ref" "$list"; then',
        '    echo "error: GH006: Protected branch update failed for $ref." >&2',
        '    echo "error: Changes must be made through a pull request." >&2',
        "    status=1",
        "  fi",
        "done",
        "exit $status",
        "",
      ].join("\n"),
    );
    chmodSync(hook, 0o755);
  }
}
