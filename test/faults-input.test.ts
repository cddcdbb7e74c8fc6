/**
 * Fault matrix, input side: bad configs, awkward files, hostile YAML and patterns, failing
 * commands. Each case runs the CLI as a child process and asserts the exact message, the exit
 * status and that nothing was lost (the tree byte-identical, or only the tag spans changed with
 * every other byte and the file mode kept). See docs/reliability.md.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";
import { changedPaths, laminar, makeRepo, snapshotTree } from "./helpers/faults.js";
import { parseConfig } from "../src/config/parse.js";

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

/**
 * `laminar apply` on a repo whose config is `config`: exit 1, exactly `message` on stderr, nothing
 * on stdout, and not one byte or mode changed (the deploy file would move if the config were read).
 */
async function configError(
  config: string | Uint8Array | undefined,
  message: string,
  extra: Record<string, string> = {},
  args: readonly string[] = [],
): Promise<void> {
  const files: Record<string, string | Uint8Array> = {
    "deploy/app.yaml": "image: 127.0.0.1:1/acme/app:develop-1\n",
    ...extra,
  };
  if (config !== undefined) files[".laminar.yaml"] = config;
  const dir = await makeRepo(files);
  const before = await snapshotTree(dir);
  const r = await laminar(["apply", "--dir", dir, ...args], {
    XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
  });
  assert.equal(r.stderr, `laminar: config error: ${message}\n`);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.deepEqual(changedPaths(before, await snapshotTree(dir)), [], "no file changes");
}

const rule = (pattern: string, more = ""): string =>
  `updates:\n  - pattern: ${JSON.stringify(pattern)}\n    files: [deploy/]\n${more}`;

describe("config faults: file, line and key named, exit 1, nothing changed", { concurrency: 4 }, () => {
  it("missing config file", async () => {
    await configError(
      undefined,
      ".laminar.yaml: config file not found; create it (see README: .laminar.yaml) or pass --config",
    );
  });
  it("missing --config file", async () => {
    await configError(
      undefined,
      "ci/laminar.yaml: config file not found; create it (see README: .laminar.yaml) or pass --config",
      {},
      ["--config", "ci/laminar.yaml"],
    );
  });
  it("empty file (and only a comment)", async () => {
    await configError("", ".laminar.yaml:1:1: the file is empty; it needs at least an `updates` list");
    await configError("# nothing yet\n", ".laminar.yaml:1:1: the file is empty; it needs at least an `updates` list");
  });
  it("YAML syntax error", async () => {
    await configError(
      'updates:\n  - pattern: "glob:develop-*\n    files: [deploy/]\n',
      '.laminar.yaml:2:14: YAML syntax error: Missing closing "quote (the string that starts here never ends)',
    );
    await configError(
      "updates:\n\t- pattern: x\n",
      ".laminar.yaml:2:1: YAML syntax error: Tabs are not allowed as indentation",
    );
  });
  it("wrong types", async () => {
    await configError(
      "updates:\n  - pattern: 12\n    files: [deploy/]\n",
      ".laminar.yaml:2:14: updates[0].pattern: must be a string",
    );
    await configError(
      "updates:\n  - pattern: glob:x\n    files: deploy/\n",
      ".laminar.yaml:3:12: updates[0].files: must be a list",
    );
    await configError(
      `registries:\n  - host: 127.0.0.1:1\n    timeout: fast\n${rule("glob:x")}`,
      ".laminar.yaml:3:14: registries[0].timeout: must be a whole number",
    );
  });
  it("unknown keys, with a suggestion", async () => {
    await configError(
      rule("glob:x", "    exlude: [develop-9]\n"),
      '.laminar.yaml:4:5: updates[0].exlude: unknown key "exlude" (did you mean "exclude"?)',
    );
    await configError(
      `${rule("glob:x")}comands: [make]\n`,
      '.laminar.yaml:4:1: comands: unknown key "comands" (did you mean "commands"?)',
    );
  });
  it("invalid glob", async () => {
    await configError(
      rule("glob:develop-["),
      '.laminar.yaml:2:14: updates[0].pattern: invalid glob "develop-[": unclosed bracket',
    );
    await configError(
      'updates:\n  - pattern: glob:x\n    files: ["deploy/{a,b"]\n',
      '.laminar.yaml:3:13: updates[0].files[0]: invalid glob "deploy/{a,b": unclosed bracket',
    );
  });
  it("invalid regex", async () => {
    await configError(
      rule("regex:develop-("),
      '.laminar.yaml:2:14: updates[0].pattern: invalid regex "develop-(": missing closing ): `^(?:develop-()$` (tag regexes use RE2 syntax, as in Flux)',
    );
  });
  it("invalid semver range", async () => {
    await configError(rule("semver:>>1.x.y"), '.laminar.yaml:2:14: updates[0].pattern: invalid semver range ">>1.x.y"');
  });
  it("duplicate update entries", async () => {
    await configError(
      `${rule("glob:develop-*")}  - pattern: "glob:develop-*"\n    files: [deploy]\n`,
      ".laminar.yaml:4:5: updates[1]: duplicate of updates[0] (same pattern, files and images)",
    );
  });
  it("files escaping the repository: ../ and absolute", async () => {
    await configError(
      'updates:\n  - pattern: glob:x\n    files: ["../other-repo/"]\n',
      '.laminar.yaml:3:13: updates[0].files[0]: "../other-repo/" points outside the repository',
    );
    await configError(
      'updates:\n  - pattern: glob:x\n    files: ["deploy/../../x"]\n',
      '.laminar.yaml:3:13: updates[0].files[0]: "deploy/../../x" points outside the repository',
    );
    await configError(
      "updates:\n  - pattern: glob:x\n    files:\n      - path: /etc/\n",
      '.laminar.yaml:4:15: updates[0].files[0].path: "/etc/" is absolute; use a path relative to the repository root',
    );
  });
  it("a files entry that is a symlink pointing outside the repository", async () => {
    const outside = await mkdtemp(join(tmpdir(), "laminar-outside-"));
    await writeFile(join(outside, "app.yaml"), "image: 127.0.0.1:1/acme/app:develop-1\n");
    const dir = await makeRepo({
      ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [deploy/, linked/app.yaml]\n",
    });
    await symlink(outside, join(dir, "linked"));
    const before = await snapshotTree(dir);
    const r = await laminar(["apply", "--dir", dir]);
    assert.equal(
      r.stderr,
      'laminar: config error: .laminar.yaml:3:22: updates[0].files[1]: "linked/app.yaml" is a symbolic link pointing outside the repository\n',
    );
    assert.equal(r.status, 1);
    assert.deepEqual(changedPaths(before, await snapshotTree(dir)), []);
    assert.equal(await readFile(join(outside, "app.yaml"), "utf8"), "image: 127.0.0.1:1/acme/app:develop-1\n");
  });
  it("a promotions from or to entry that is a symlink pointing outside the repository (#14)", async () => {
    const outside = await mkdtemp(join(tmpdir(), "laminar-outside-"));
    await writeFile(join(outside, "app.yaml"), "image: 127.0.0.1:1/acme/app:develop-1\n");
    for (const [key, from, to, col] of [
      ["from", "[linked]", "[envs/prod]", 12],
      ["to", "[envs/dev]", "[envs/prod, linked/app.yaml]", 21],
    ] as const) {
      const dir = await makeRepo({
        ".laminar.yaml": `promotions:\n  - name: prod\n    from: ${from}\n    to: ${to}\n    soak: 1h\n`,
        "envs/dev/app.yaml": "image: 127.0.0.1:1/acme/app:develop-2\n",
        "envs/prod/app.yaml": "image: 127.0.0.1:1/acme/app:develop-1\n",
      });
      await symlink(outside, join(dir, "linked"));
      const before = await snapshotTree(dir);
      const r = await laminar(["apply", "--dir", dir]);
      const line = key === "from" ? 3 : 4;
      const j = key === "from" ? 0 : 1;
      const path = key === "from" ? "linked" : "linked/app.yaml";
      assert.equal(
        r.stderr,
        `laminar: config error: .laminar.yaml:${line}:${col}: promotions[0].${key}[${j}]: "${path}" is a symbolic link pointing outside the repository\n`,
      );
      assert.equal(r.status, 1);
      assert.deepEqual(changedPaths(before, await snapshotTree(dir)), []);
    }
    assert.equal(await readFile(join(outside, "app.yaml"), "utf8"), "image: 127.0.0.1:1/acme/app:develop-1\n");
  });
});

describe("hostile patterns and YAML: refused at config time, bounded", { concurrency: 4 }, () => {
  it("regexes are RE2 (#13): backreferences and lookaround refused at file:line:key, saying RE2 syntax is expected", async () => {
    const re2 = (p: string, construct: string): string =>
      `invalid regex ${JSON.stringify(p)}: backreferences and lookaround ((?=…), (?!…), (?<=…), (?<!…)) are not supported; ${construct} (tag regexes use RE2 syntax, as in Flux)`;
    await configError(
      rule("regex:(a)\\1"),
      `.laminar.yaml:2:14: updates[0].pattern: ${re2("(a)\\1", "invalid escape sequence: `\\1`")}`,
    );
    await configError(
      rule("glob:develop-*", '    exclude:\n      - pattern: "regex:x(?=y)"\n'),
      `.laminar.yaml:5:18: updates[0].exclude[0].pattern: ${re2("x(?=y)", "invalid or unsupported Perl syntax: `(?=`")}`,
    );
  });
  it("nested quantifiers ((a+)+, (x|xy)*z, (.*a){20}) load and match a 30k-character hostile tag in linear time", () => {
    const c = parseConfig(
      'updates:\n  - pattern: "regex:(a+)+b"\n    files: [a]\n    exclude: ["regex:(x|xy)*z", "regex:(.*a){20}b"]\n',
    );
    const rule0 = c.updates[0];
    assert.equal(rule0?.policy.matches(`${"a".repeat(30_000)}!`), false);
    assert.equal(rule0?.exclude[0]?.policy.matches(`${"xy".repeat(15_000)}!`), false);
    assert.equal(rule0?.exclude[1]?.policy.matches(`${"a".repeat(30_000)}!`), false);
    assert.equal(rule0?.policy.matches("aab"), true);
  });
  it("alias bomb (billion laughs)", async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      ..."bcdefgh".split("").map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefgh"[i]}`).join(",")}]`),
      "updates: *h",
      "",
    ].join("\n");
    await configError(
      bomb,
      ".laminar.yaml:1:1: refusing the document: Excessive alias count indicates a resource exhaustion attack (alias bomb?)",
    );
  });
  it("deep nesting: 10k flow brackets and 100k compact sequence entries (used to crash the process)", async () => {
    await configError(
      `updates: ${"[".repeat(10_000)}${"]".repeat(10_000)}\n`,
      ".laminar.yaml:1:73: nesting deeper than 32 levels; refusing to parse it",
    );
    await configError(
      `${"- ".repeat(100_000)}x\n`,
      ".laminar.yaml:1:1: nesting deeper than 32 levels; refusing to parse it",
    );
    await configError(
      `${rule("glob:x")}    images: ${"[".repeat(40)}x${"]".repeat(40)}\n`,
      ".laminar.yaml:1:1: nesting deeper than 32 levels",
    );
  });
  it("huge document (over 1 MiB)", async () => {
    await configError(
      `${rule("glob:x")}# ${"x".repeat(1024 * 1024)}\n`,
      ".laminar.yaml:1:1: file is larger than 1048576 bytes; refusing to parse it",
    );
  });
});

describe("awkward files: every byte outside the tag span and the file mode are kept", () => {
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(
      registry,
      [1, 2, 3].map((d) => ({ repository: "acme/app", tag: `develop-${d}`, created: day(d) })),
    );
  });
  after(() => registry?.stop());

  it("binary, huge, non-UTF-8, CRLF, BOM, no trailing newline, read-only, executable, outside symlink", async () => {
    const ref = `${registry.host}/acme/app:develop-1`;
    const latin1 = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0xe9, 0x0a]),
      Buffer.from(`name: caf`),
      Buffer.from([0xe9, 0xc3, 0x28]),
      Buffer.from(`\nimage: ${ref} # \x80\x81\n`),
      Buffer.from([0xa0, 0x0a]),
    ]);
    const files: Record<string, string | Uint8Array> = {
      ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [.]\nscan:\n  maxFileSize: 4000\n",
      "crlf.yaml": `a: 1\r\nimage: ${ref}\r\nb: 2\r\n`,
      "bom.yaml": `\uFEFFimage: ${ref}\n`,
      "no-newline.yaml": `image: ${ref}`,
      "latin1.yaml": latin1,
      "read-only.yaml": `image: ${ref}\n`,
      "group.yaml": `image: ${ref}\n`,
      "deploy.sh": `#!/bin/sh\ndocker run ${ref}\n`,
      "binary.bin": Buffer.concat([Buffer.from(`image: ${ref}\n`), Buffer.from([0, 1, 2, 0])]),
      "huge.yaml": `image: ${ref}\n${"#".repeat(5000)}\n`,
    };
    const dir = await makeRepo(files);
    await chmod(join(dir, "read-only.yaml"), 0o444);
    await chmod(join(dir, "group.yaml"), 0o640);
    await chmod(join(dir, "deploy.sh"), 0o755);
    const outside = await mkdtemp(join(tmpdir(), "laminar-outside-"));
    await writeFile(join(outside, "app.yaml"), `image: ${ref}\n`);
    await symlink(join(outside, "app.yaml"), join(dir, "linked.yaml"));
    await mkdir(join(dir, "sub"));
    const before = await snapshotTree(dir);

    const r = await laminar(["apply", "--dir", dir], {
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 0, r.stderr);
    const rewritten = [
      "bom.yaml",
      "crlf.yaml",
      "deploy.sh",
      "group.yaml",
      "latin1.yaml",
      "no-newline.yaml",
      "read-only.yaml",
    ];
    assert.match(r.stdout, new RegExp(`^Rewrote 7 file\\(s\\): ${rewritten.join(", ").replace(/\./g, "\\.")}$`, "m"));
    const hugeSize = Buffer.byteLength(files["huge.yaml"] as string);
    assert.ok(
      r.stdout.includes(
        `\nWarnings:\n  huge.yaml: skipped: ${hugeSize} bytes is over the 4000-byte limit (scan.maxFileSize)\n  linked.yaml: skipped: symbolic link pointing outside the repository\n`,
      ),
      r.stdout,
    );
    assert.match(r.stdout, /^ {2}bom\.yaml:1 /m, "a BOM does not shift the line");

    const after = await snapshotTree(dir);
    assert.deepEqual(changedPaths(before, after), rewritten);
    for (const p of rewritten) {
      const was = before.get(p)!;
      const now = after.get(p)!;
      // Exactly the tag bytes changed: develop-1 → develop-3, one byte at the same offset.
      const at = was.bytes.indexOf("develop-1");
      const expected = Buffer.from(was.bytes);
      expected[at + "develop-".length] = "3".charCodeAt(0);
      assert.ok(now.bytes.equals(expected), `${p}: only the tag changed`);
      assert.equal(now.mode, was.mode, `${p}: mode kept`);
    }
    assert.equal((await stat(join(dir, "read-only.yaml"))).mode & 0o777, 0o444);
    assert.equal(
      await readFile(join(outside, "app.yaml"), "utf8"),
      `image: ${ref}\n`,
      "the symlink's target outside is untouched",
    );
  });
});

describe("configured commands that fail: exit 1, output shown, tree restored", { concurrency: 3 }, () => {
  const base = { "deploy/app.yaml": "image: 127.0.0.1:PORT/acme/app:develop-1\n", "keep.txt": "unchanged\n" };
  let registry: RunningRegistry;
  before(async () => {
    registry = await startRegistry();
    await seedImages(
      registry,
      [1, 3].map((d) => ({ repository: "acme/app", tag: `develop-${d}`, created: day(d) })),
    );
  });
  after(() => registry?.stop());

  const repoWith = async (commands: string): Promise<string> =>
    makeRepo({
      ".laminar.yaml": `updates:\n  - pattern: glob:develop-*\n    files: [deploy/]\ncommands:\n${commands}`,
      ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, v.replace("127.0.0.1:PORT", registry.host)])),
    });

  it("a command that fails after writing files: its output is shown, every file is put back, new ones removed", async () => {
    const dir = await repoWith(
      '  - "cp deploy/app.yaml rendered.yaml"\n  - "echo rendering; echo broken template >&2; echo junk >> keep.txt; rm deploy/app.yaml; exit 3"\n',
    );
    const before = await snapshotTree(dir);
    const r = await laminar(["apply", "--dir", dir], {
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    const cmd = "echo rendering; echo broken template >&2; echo junk >> keep.txt; rm deploy/app.yaml; exit 3";
    assert.match(r.stderr, /^running: cp deploy\/app\.yaml rendered\.yaml\nrunning: echo rendering;/);
    assert.ok(
      r.stderr.includes(
        `laminar: command \`${cmd}\` failed with exit code 3; the work tree was restored (3 file(s))\n--- output of \`${cmd}\` ---\n`,
      ),
      JSON.stringify(r.stderr),
    );
    assert.match(r.stderr, /^rendering$/m);
    assert.match(r.stderr, /^broken template$/m);
    assert.deepEqual(changedPaths(before, await snapshotTree(dir)), []);
  });

  it("a command that times out: killed at its timeout, output shown, tree restored", async () => {
    // A sleep length no other run on this machine uses, so its process can be told apart.
    const secs = `30.${String(process.pid).padStart(7, "0")}`;
    const dir = await repoWith(`  - run: "echo started; touch half-done.txt; sleep ${secs}"\n    timeout: 1\n`);
    const before = await snapshotTree(dir);
    const r = await laminar(["apply", "--dir", dir], {
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 1);
    const cmd = `echo started; touch half-done.txt; sleep ${secs}`;
    assert.equal(
      r.stderr,
      `running: ${cmd}\nlaminar: command \`${cmd}\` timed out after 1s; the work tree was restored (2 file(s))\n--- output of \`${cmd}\` ---\nstarted\n`,
    );
    // Killed, not waited for: no `sleep` of this command is left running.
    const left = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, "latin1") === `sleep\u0000${secs}\u0000`;
        } catch {
          return false; // gone between the listing and the read
        }
      });
    assert.deepEqual(left, [], "the command's process outlived its timeout");
    assert.deepEqual(changedPaths(before, await snapshotTree(dir)), []);
  });

  it("a command that does not exist: exit 1 with the shell's message, tree restored", async () => {
    const dir = await repoWith("  - laminar-no-such-renderer --all\n");
    const before = await snapshotTree(dir);
    const r = await laminar(["apply", "--dir", dir], {
      XDG_CACHE_HOME: await mkdtemp(join(tmpdir(), "laminar-cache-")),
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /laminar: command `laminar-no-such-renderer --all` failed with exit code 127; the work tree was restored \(1 file\(s\)\)\n--- output of `laminar-no-such-renderer --all` ---\n.*laminar-no-such-renderer.*not found/,
    );
    assert.deepEqual(changedPaths(before, await snapshotTree(dir)), []);
  });
});
