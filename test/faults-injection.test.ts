/**
 * Fault matrix, injection side (issue #13): text Laminar does not control — a hostile registry's
 * error messages, file names with newlines — reaches every sink escaped by that sink's one rule
 * (src/output/): the CLI's stdout and stderr, the Action's log as the runner reads it, the job
 * summary, the commit message on the remote and the pull request's title and body.
 *
 * The registry is a local HTTP server on 127.0.0.1 that answers with distribution error bodies full
 * of terminal escapes, workflow commands, HTML, links and mentions; the healthy one is the real CNCF
 * registry; git is real, with a bare remote; the Action is `dist/index.js` run as the runner runs it
 * (bundle first: `node scripts/bundle.mjs`); the pull request goes to the local GitHub API emulator.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { markdownCode, markdownText } from "../src/output/markdown.js";
import { escapeControls, oneLine } from "../src/output/one-line.js";
import { terminalText } from "../src/output/terminal.js";
import { buildCommitMessage, renderTemplate } from "../src/git/commit-message.js";
import { runAction, type ActionRun } from "./helpers/action-runner.js";
import { laminar, makeRepo } from "./helpers/faults.js";
import { git, gitAsync, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer, type GitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));
const ZWSP = "\u200b";

/** What a hostile registry puts in its error message: every trick of the issue at once. */
const HOSTILE =
  "\u001b]0;pwned-title\u0007\u001b[2J\u001b[31mred\u001b[0m\n::error file=x::pwned\n  ::add-mask::hidden\n" +
  "##[warning]legacy\n</details><img src=x onerror=alert(1)> @admin [link](http://evil.example) #1 \u009b31m \u202eevil";

/** A file name with newlines: workflow commands for the log, a trailer for the commit. */
const HOSTILE_FILE = "k8s/x\n::add-mask::pwned\n::warning::injected\n\nCo-authored-by: Mallory <mallory@example.com>";

/** Control characters a terminal or the runner would act on (newline and tab are Laminar's own). */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Printed text the runner would not take a command from and a terminal would not act on. */
function assertTerminalSafe(text: string, where: string): void {
  assert.doesNotMatch(text, RAW_CONTROL, `${where}: a raw control character`);
  for (const line of text.split("\n"))
    assert.doesNotMatch(line, /^\s*::/, `${where}: a line the runner would run: ${JSON.stringify(line)}`);
  assert.ok(!text.includes("##["), `${where}: a legacy ##[ command`);
}

/**
 * The Action's stdout as the runner reads it: the only workflow commands are those `@actions/core`
 * wrote (their data escaped), none from the hostile text, and every group is closed.
 */
function assertActionLogSafe(r: ActionRun): void {
  const lines = r.stdout.split("\n");
  assert.doesNotMatch(r.stdout, RAW_CONTROL, "a raw control character in the Action's log");
  assert.ok(!r.stdout.includes("##["), "a legacy ##[ command in the Action's log");
  let open = 0;
  for (const line of lines) {
    const m = /^\s*::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
    if (!/^\s*::/.test(line)) continue;
    assert.ok(m, `a malformed workflow command: ${JSON.stringify(line)}`);
    const [, name, props = "", data] = m as unknown as [string, string, string | undefined, string];
    assert.ok(["group", "endgroup", "debug", "add-mask", "warning", "error", "notice"].includes(name), line);
    if (name === "add-mask") assert.ok(!["hidden", "pwned"].includes(data.trim()), `injected mask: ${line}`);
    assert.doesNotMatch(props, /file=x(,|$)/, `injected annotation: ${line}`);
    assert.ok(!/^(pwned|injected)$/.test(data), `injected command: ${line}`);
    if (name === "group") assert.equal(open++, 0, "groups do not nest");
    if (name === "endgroup") assert.equal(--open, 0, "an endgroup without a group");
  }
  assert.equal(open, 0, "every log group is closed");
}

/** Markdown GitHub would render as the text it is: no HTML, link, image, mention or broken table. */
function assertMarkdownSafe(md: string, where: string): void {
  assert.doesNotMatch(md, RAW_CONTROL, `${where}: a raw control character`);
  assert.ok(!/<img|<\/details><img/i.test(md), `${where}: raw HTML from outside`);
  assert.equal((md.match(/<details>/g) ?? []).length, (md.match(/<\/details>/g) ?? []).length, `${where}: details`);
  assert.doesNotMatch(md, /[^\\]\]\(/, `${where}: a link`);
  assert.ok(!md.includes("http://evil"), `${where}: an autolink`);
  assert.ok(!/@admin|@mallory/.test(md), `${where}: a mention`);
  assert.ok(!md.includes("#1 \\"), `${where}: an issue reference`);
  for (const line of md.split("\n"))
    if (line.startsWith("|")) assert.match(line, /\|$/, `${where}: a broken table row: ${JSON.stringify(line)}`);
    else assert.doesNotMatch(line, /^\s*(::|Co-authored-by)/, `${where}: a line from a file name`);
}

/**
 * A registry that answers `GET /v2/` and refuses every repository with `status` and a distribution
 * error body whose code and message are {@link HOSTILE}.
 */
async function hostileRegistry(status: number): Promise<{ host: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/v2/" || req.url === "/v2") {
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
      return;
    }
    res
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify({ errors: [{ code: "DENIED\u001b[2J", message: HOSTILE, detail: null }] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { host: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("escapers, one per sink (src/output/)", () => {
  it("terminal: control characters shown escaped, newlines kept, no line starts a workflow command", () => {
    const t = terminalText(HOSTILE);
    assertTerminalSafe(t, "terminalText");
    assert.ok(t.startsWith("\\e]0;pwned-title\\x07\\e[2J\\e[31mred\\e[0m\n"), t);
    assert.ok(t.includes(`\n:${ZWSP}:error file=x::pwned\n  :${ZWSP}:add-mask::hidden\n#${ZWSP}#[warning]legacy\n`));
    assert.ok(t.includes("\\u009b31m \\u202eevil"));
    assert.equal(terminalText("a\r\nb\tc"), "a\nb\tc", "CRLF line ends and tabs stay");
    assert.equal(terminalText("a\rb"), "a\\rb", "a lone CR cannot overwrite the line");
    assert.equal(terminalText("x :: y"), "x :: y", "colons inside a line are text");
    // JSON stays JSON: the escaper only inserts a zero-width space inside strings.
    const json = JSON.stringify({ m: HOSTILE }, null, 2);
    assert.deepEqual(JSON.parse(terminalText(json)).m, HOSTILE.replace("##[", `#${ZWSP}#[`));
  });

  it("one line: every control character shown escaped", () => {
    assert.equal(oneLine(HOSTILE_FILE).includes("\n"), false);
    assert.equal(
      oneLine(HOSTILE_FILE),
      "k8s/x\\n::add-mask::pwned\\n::warning::injected\\n\\nCo-authored-by: Mallory <mallory@example.com>",
    );
    assert.equal(oneLine("a\tb\u0000c\u007f\u2028"), "a\\tb\\x00c\\u007f\\u2028");
    assert.equal(escapeControls("a\nb\u001b", "\n"), "a\nb\\e");
    assert.equal(oneLine("plain deploy/app.yaml: acme/app:1.2"), "plain deploy/app.yaml: acme/app:1.2");
  });

  it("markdown: HTML escaped, links and mentions neutralised, one line", () => {
    const m = markdownText(HOSTILE);
    assertMarkdownSafe(m, "markdownText");
    assert.ok(!m.includes("\n"));
    assert.ok(m.includes("&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt;"), m);
    assert.ok(m.includes(`@${ZWSP}admin \\[link\\](http:${ZWSP}//evil.example) #${ZWSP}1`), m);
    assert.equal(markdownText("www.evil.example"), `www${ZWSP}.evil.example`);
    assert.equal(markdownText("a|b `c` *d* _e_ ~f~"), "a\\|b \\`c\\` \\*d\\* \\_e\\_ \\~f\\~");
    assert.equal(markdownCode("a|b`c\nd"), "`a\\|b'c\\nd`");
    assert.equal(markdownText("deploy/app.yaml:3"), "deploy/app.yaml:3", "ordinary text stays readable");
  });

  it("commit messages and templates: values on one line, Markdown bodies escaped", () => {
    const change = { file: HOSTILE_FILE, line: 1, image: "127.0.0.1:5000/acme/app", from: "1", to: "2" };
    const other = { ...change, file: "k8s/a.yaml" };
    for (const message of [buildCommitMessage([change]), buildCommitMessage([other, change])]) {
      assert.ok(!/^(::|Co-authored-by)/m.test(message), message);
      assert.ok(message.includes("k8s/x\\n::add-mask::pwned"), message);
    }
    assert.equal(renderTemplate("{{summary}}", [change]).includes("\n"), false);
    const body = renderTemplate("{{#changes}}- {{file}}\n{{/changes}}", [change], markdownText);
    assertMarkdownSafe(body, "pull-request body template");
    assert.ok(body.includes(`&lt;mallory@${ZWSP}example.com&gt;`), body);
  });
});

describe("hostile registry text and file names reach every sink escaped", () => {
  let registry: RunningRegistry;
  let hostile: Awaited<ReturnType<typeof hostileRegistry>>;
  const servers: GitHubApiServer[] = [];
  const cache = mkdtempSync(join(tmpdir(), "laminar-inject-cache-"));
  before(async () => {
    [registry, hostile] = await Promise.all([startRegistry(), hostileRegistry(403)]);
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-3", created: day(3) },
    ]);
  });
  after(async () => {
    await Promise.all([registry?.stop(), hostile?.close(), ...servers.map((s) => s.close())]);
  });

  const config = "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n";
  const twoRegistries = (): Record<string, string> => ({
    ".laminar.yaml": config,
    "k8s/healthy.yaml": `image: ${registry.host}/acme/app:develop-1\n`,
    "k8s/hostile.yaml": `image: ${hostile.host}/acme/app:develop-1\n`,
  });
  /** A bare remote holding `files` and a fresh checkout of it as the workspace. */
  function manifests(files: Record<string, string>): { bare: string; workspace: string } {
    const base = mkdtempSync(join(tmpdir(), "laminar-inject-"));
    const bare = join(base, "remote.git");
    initBareRepo(bare, files);
    git(base, ["clone", "--quiet", bare, "workspace"]);
    return { bare, workspace: join(base, "workspace") };
  }
  const inputs = (more: Record<string, string> = {}): Record<string, string> => ({
    token: "ghs_injecttesttoken123",
    cache: join(cache, "registry.json"),
    ...more,
  });

  it("CLI: registry error text is printed escaped on stdout and stderr; --json stays JSON", async () => {
    const dir = await makeRepo(twoRegistries());
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "laminar-inject-xdg-")) };
    const plan = await laminar(["plan", "--dir", dir], env);
    assert.equal(plan.status, 3, plan.stderr);
    const json = await laminar(["plan", "--dir", dir, "--json", "--registry-errors", "warn"], env);
    assert.equal(json.status, 0, json.stderr);
    const apply = await laminar(["apply", "--dir", dir, "--registry-errors", "warn"], env);
    assert.equal(apply.status, 0, apply.stderr);
    for (const [name, r] of Object.entries({ plan, json, apply })) {
      assertTerminalSafe(r.stdout, `${name} stdout`);
      assertTerminalSafe(r.stderr, `${name} stderr`);
    }
    // The user still sees what the registry said, escaped, with the registry and the status.
    assert.match(
      plan.stderr,
      new RegExp(`registry ${hostile.host.replace(/\./g, "\\.")}: GET /v2/acme/app/tags/list → 403`),
    );
    assert.ok(plan.stderr.includes("(DENIED\\e[2J: \\e]0;pwned-title\\x07\\e[2J"), plan.stderr);
    const parsed = JSON.parse(json.stdout) as { failures: Array<{ message: string }> };
    assert.ok(
      parsed.failures[0]?.message.includes("\u001b]0;pwned-title\u0007\u001b[2J\u001b[31mred"),
      "JSON keeps the data",
    );
    assert.match(apply.stdout, /Rewrote 1 file\(s\): k8s\/healthy\.yaml/);
  });

  it("CLI: a file name with newlines cannot print a workflow command", async () => {
    const dir = await makeRepo({
      ".laminar.yaml": config,
      [HOSTILE_FILE]: `image: ${registry.host}/acme/app:develop-1\n`,
    });
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), "laminar-inject-xdg-")) };
    for (const args of [["scan"], ["plan"], ["apply"]]) {
      const r = await laminar([...args, "--dir", dir], env);
      assert.equal(r.status, 0, r.stderr);
      assertTerminalSafe(r.stdout, `${args[0]} stdout`);
      assertTerminalSafe(r.stderr, `${args[0]} stderr`);
    }
  });

  it("Action: registry error text in the log, annotations, outputs and job summary; the summary says a registry failed", async () => {
    const { bare, workspace } = manifests(twoRegistries());
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assertActionLogSafe(r);
    assert.ok(r.stdout.includes("\\e]0;pwned-title\\x07"), "the message is shown, escaped");
    // The healthy reference was pushed; the outputs say so even though the step failed.
    assert.equal(r.outputs.changes, "1");
    assert.equal(r.outputs["commit-sha"], git(bare, ["rev-parse", "main"]).trim());
    const plan = JSON.parse(r.outputs.plan as string) as { failures: unknown[] };
    assert.equal(plan.failures.length, 1);
    assertMarkdownSafe(r.summary, "job summary");
    assert.match(r.summary, /### Registry failures/);
    assert.ok(r.summary.includes("&lt;/details&gt;&lt;img src=x"), r.summary);

    // Nothing left to move, a registry still failing: the summary does not claim everything is current.
    const again = manifests({ ".laminar.yaml": config, "k8s/hostile.yaml": twoRegistries()["k8s/hostile.yaml"]! });
    const r2 = await runAction({ workspace: again.workspace, inputs: inputs({ "registry-errors": "warn" }) });
    assert.equal(r2.status, 0, r2.stdout + r2.stderr);
    assertActionLogSafe(r2);
    assertMarkdownSafe(r2.summary, "job summary (nothing moved)");
    assert.doesNotMatch(r2.summary, /every image is at the newest tag/);
    assert.match(r2.summary, /Nothing updated: 1 registry failure\(s\) left images unchecked/);
  });

  it("Action: a run that fails still writes its outputs and summary, and closes its log group", async () => {
    const { workspace } = manifests({ ".laminar.yaml": "updates: [\n", "k8s/a.yaml": "image: a/b:1\n" });
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assertActionLogSafe(r);
    assert.match(r.stdout, /::error::config error: /);
    assert.equal(r.outputs.changes, "0");
    assert.equal(r.outputs["changed-files"], "[]");
    assert.equal(r.outputs["commit-sha"], "");
    assert.equal(r.outputs["pull-request-operation"], "none");
    assert.match(JSON.parse(r.outputs.plan as string).error as string, /^config error: /);
    assert.match(r.summary, /^## Laminar\n\n\*\*Failed:\*\* config error: /);
  });

  it("Action, push: a file name with newlines injects no command, no trailer and no line", async () => {
    const h = registry.host;
    const { bare, workspace } = manifests({
      ".laminar.yaml": config,
      "k8s/a.yaml": `image: ${h}/acme/app:develop-1\n`,
      [HOSTILE_FILE]: `image: ${h}/acme/app:develop-1\n`,
    });
    const r = await runAction({ workspace, inputs: inputs() });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assertActionLogSafe(r);
    assert.equal(r.outputs.changes, "2");
    assert.deepEqual(JSON.parse(r.outputs["changed-files"] as string), ["k8s/a.yaml", HOSTILE_FILE]);
    assert.equal(git(bare, ["show", `main:${HOSTILE_FILE}`]), `image: ${h}/acme/app:develop-3\n`);
    const message = git(bare, ["log", "-1", "--format=%B", "main"]);
    // Only Laminar's own trailer (issue #14): no Co-authored-by from the file name.
    assert.equal(
      git(bare, ["log", "-1", "--format=%(trailers)", "main"]).trim(),
      "Laminar-Update: updates[0]",
      "no injected trailer",
    );
    assert.deepEqual(message.trimEnd().split("\n"), [
      "Update 2 images",
      "",
      `k8s/a.yaml: ${h}/acme/app develop-1 → develop-3`,
      `${oneLine(HOSTILE_FILE)}: ${h}/acme/app develop-1 → develop-3`,
      "",
      "Laminar-Update: updates[0]",
    ]);
    assertMarkdownSafe(r.summary, "job summary");
  });

  it("Action, pull request: the title is one line and the body escaped", async () => {
    const h = registry.host;
    const s = await startGitHubApiServer({
      files: { ".laminar.yaml": config, [HOSTILE_FILE]: `image: ${h}/acme/app:develop-1\n` },
    });
    servers.push(s);
    const base = mkdtempSync(join(tmpdir(), "laminar-inject-pr-"));
    const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
    await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
    const r = await runAction({
      workspace: join(base, "ws"),
      inputs: { token: s.token, mode: "pull-request", cache: join(cache, "pr.json") },
      env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url },
    });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assertActionLogSafe(r);
    const pr = s.state.pullRequests.get(Number(r.outputs["pull-request-number"]));
    assert.ok(pr);
    assert.equal(pr.title, `${oneLine(HOSTILE_FILE)}: ${h}/acme/app:develop-3`);
    assertMarkdownSafe(pr.body ?? "", "pull-request body");
    assert.equal(
      git(s.bareRepoPath, ["log", "-1", "--format=%(trailers)", "laminar/updates"]).trim(),
      "Laminar-Update: updates[0]",
    );
    assertMarkdownSafe(r.summary, "job summary");
  });

  it("Action, pull request: a registry that fails does not close the open pull request as obsolete", async () => {
    const own = await startRegistry();
    await seedImages(own, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
    const s = await startGitHubApiServer({
      files: { ".laminar.yaml": config, "k8s/app.yaml": `image: ${own.host}/acme/app:develop-1\n` },
    });
    servers.push(s);
    const checkout = async (): Promise<string> => {
      const base = mkdtempSync(join(tmpdir(), "laminar-inject-pr-"));
      const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
      return join(base, "ws");
    };
    const run = async (): Promise<ActionRun> =>
      runAction({
        workspace: await checkout(),
        inputs: { token: s.token, mode: "pull-request", "registry-errors": "warn" },
        env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url },
      });
    const r1 = await run();
    assert.equal(r1.outputs["pull-request-operation"], "created", r1.stdout);
    await own.stop();
    const r2 = await run();
    assert.equal(r2.status, 0, r2.stdout + r2.stderr);
    assert.equal(r2.outputs["pull-request-operation"], "unchanged", r2.stdout);
    assert.equal(s.state.openPullRequests().length, 1, "the pull request stays open");
    assert.match(
      r2.summary,
      /Nothing updated: 1 registry failure\(s\) left images unchecked.*Pull request #\d+ is left open\./,
    );
  });
});
