/**
 * The library's public surface, used only through src/lib.ts: a plan and an apply with the in-memory
 * TagSource, the template functions and their error, the masker, and a push to a real bare remote.
 * A name removed from lib.ts breaks this file; internals that were exported once must stay out.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import * as laminar from "../src/lib.js";
import {
  applyPlan,
  buildCommitMessage,
  CLI_AUTHOR,
  createGitCommandManager,
  createGitHubApi,
  DEFAULT_PR_TITLE,
  defaultPullRequestBranch,
  formatPlan,
  loadConfig,
  MemoryTags,
  parseConfig,
  parseImageReference,
  parseTemplate,
  planRepository,
  planToJson,
  pullRequestMode,
  pushMode,
  renderTemplate,
  resolveCommitSettings,
  SecretMasker,
  TemplateError,
  toImageChange,
  type PlanChange,
} from "../src/lib.js";
import { git, gitAsync, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer } from "./helpers/github-api/server.js";

isolateGitConfig();

const CONFIG = 'updates:\n  - pattern: "semver:^1"\n    files: [deploy]\n';
const TAGS = {
  "ghcr.io/acme/app": {
    "1.0.0": { created: "2026-11-01T00:00:00Z" },
    "1.4.0": { created: "2026-11-02T00:00:00Z" },
    "2.0.0": { created: "2026-11-03T00:00:00Z" },
  },
};

/** A manifests repository on disk: a bare remote and a clone of it. */
function manifests(): { bare: string; workspace: string } {
  const base = mkdtempSync(join(tmpdir(), "laminar-lib-"));
  const bare = join(base, "remote.git");
  initBareRepo(bare, { ".laminar.yaml": CONFIG, "deploy/app.yaml": "image: ghcr.io/acme/app:1.0.0\n" });
  const workspace = join(base, "workspace");
  git(base, ["clone", "--quiet", bare, workspace]);
  return { bare, workspace };
}

describe("the library API (src/lib.ts)", () => {
  it("plans and applies with the in-memory TagSource, using exported names only", async () => {
    const { workspace } = manifests();
    const config = await loadConfig(workspace);
    const tags = new MemoryTags(TAGS);
    const { plan } = await planRepository(workspace, config, tags);
    assert.deepEqual(
      plan.changes.map((c: PlanChange) => [c.file, c.line, c.image, c.from, c.to]),
      [["deploy/app.yaml", 1, "ghcr.io/acme/app", "1.0.0", "1.4.0"]],
    );
    assert.deepEqual(tags.listed, ["ghcr.io/acme/app"]);
    assert.match(formatPlan(plan), /deploy\/app\.yaml:1 +ghcr\.io\/acme\/app +1\.0\.0 +→ +1\.4\.0/);
    assert.equal((planToJson(plan).changes as unknown[]).length, 1);

    const applied = await applyPlan(workspace, plan, config.commands);
    assert.deepEqual(applied.files, ["deploy/app.yaml"]);
    assert.equal(readFileSync(join(workspace, "deploy/app.yaml"), "utf8"), "image: ghcr.io/acme/app:1.4.0\n");
  });

  it("a repository the TagSource does not know is a registry failure, not a crash", async () => {
    const { workspace } = manifests();
    const { plan } = await planRepository(workspace, parseConfig(CONFIG), new MemoryTags({}));
    assert.equal(plan.changes.length, 0);
    assert.equal(plan.unchanged[0]?.reason, "registry-error");
    assert.match(plan.failures[0]?.message ?? "", /404/);
  });

  it("templates: a bad one fails when parsed, a good one renders the changes", () => {
    assert.throws(() => parseTemplate("update {{nope}}"), TemplateError);
    const change = { file: "deploy/app.yaml", line: 1, image: "ghcr.io/acme/app", from: "1.0.0", to: "1.4.0" };
    assert.equal(
      renderTemplate(parseTemplate("{{#changes}}{{image}}→{{to}}{{/changes}}"), [change]),
      "ghcr.io/acme/app→1.4.0",
    );
    assert.match(buildCommitMessage([change]), /ghcr\.io\/acme\/app.*1\.4\.0/);
  });

  it("the masker hides a secret and its encoded forms", () => {
    const masker = new SecretMasker();
    masker.add("lib-s3cret", "ci");
    const basic = Buffer.from("ci:lib-s3cret").toString("base64");
    assert.equal(masker.mask(`pass=lib-s3cret auth=${basic}`), "pass=*** auth=***");
    assert.equal(parseImageReference("nginx").repository, "library/nginx");
  });

  it("pushMode commits and pushes to a real remote with the resolved author", async () => {
    const { bare, workspace } = manifests();
    const config = await loadConfig(workspace);
    const r = await pushMode({
      dir: workspace,
      tags: new MemoryTags(TAGS),
      runCommands: true,
      git: await createGitCommandManager(workspace),
      commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
      branch: "main",
      maxAttempts: 3,
    });
    assert.equal(r.attempts, 1);
    assert.equal(git(bare, ["rev-parse", "main"]).trim(), r.commitSha);
    assert.equal(git(bare, ["log", "-1", "--format=%an <%ae>", "main"]).trim(), "Laminar <laminar@localhost>");
    assert.equal(
      git(bare, ["log", "-1", "--format=%B", "main"]).trim(),
      // Laminar's commits carry its trailer (issue #14: a person's rollback is told from its moves).
      `${buildCommitMessage(r.pass.plan.changes.map(toImageChange)).trim()}\n\nLaminar-Update: updates[0]`,
    );
    assert.equal(git(bare, ["show", "main:deploy/app.yaml"]), "image: ghcr.io/acme/app:1.4.0\n");
  });

  it("pushMode stages only what the pass changed: an untracked file a caller left is not committed (#13)", async () => {
    const { bare, workspace } = manifests();
    writeFileSync(join(workspace, "scratch.txt"), "not Laminar's\n");
    const config = await loadConfig(workspace);
    const r = await pushMode({
      dir: workspace,
      tags: new MemoryTags(TAGS),
      runCommands: true,
      git: await createGitCommandManager(workspace),
      commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
      branch: "main",
    });
    assert.ok(r.commitSha);
    assert.equal(git(bare, ["show", "--name-only", "--format=", "main"]).trim(), "deploy/app.yaml");
    assert.equal(readFileSync(join(workspace, "scratch.txt"), "utf8"), "not Laminar's\n");
  });

  it("pullRequestMode opens a pull request through the local GitHub API, with a rendered title and body", async () => {
    const s = await startGitHubApiServer({
      files: { ".laminar.yaml": CONFIG, "deploy/app.yaml": "image: ghcr.io/acme/app:1.0.0\n" },
    });
    try {
      const base = mkdtempSync(join(tmpdir(), "laminar-lib-pr-"));
      const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
      await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
      const workspace = join(base, "ws");
      const config = await loadConfig(workspace);
      const logged: string[] = [];
      const r = await pullRequestMode({
        dir: workspace,
        tags: new MemoryTags(TAGS),
        runCommands: true,
        git: await createGitCommandManager(workspace, { credentials: { serverUrl: s.url, token: s.token } }),
        commit: resolveCommitSettings({}, config.commit, CLI_AUTHOR),
        github: createGitHubApi({
          token: s.token,
          baseUrl: s.apiUrl,
          repository: s.repository,
          tuning: { throttle: false, retries: 0 },
        }),
        base: "main",
        pullRequest: {
          branch: defaultPullRequestBranch(".laminar.yaml", ".laminar.yaml"),
          title: DEFAULT_PR_TITLE,
          body: "{{#changes}}- {{image}}: {{from}} → {{to}}\n{{/changes}}",
          labels: ["images"],
          reviewers: [],
          teamReviewers: [],
          autoMerge: false,
          signCommits: false,
        },
        log: (m) => logged.push(m),
      });
      assert.equal(r.pullRequest.operation, "created");
      const [pr] = s.state.openPullRequests();
      assert.ok(pr);
      assert.equal(pr.head, "laminar/updates");
      assert.equal(pr.title, "deploy/app.yaml: ghcr.io/acme/app:1.4.0");
      assert.equal(pr.body, "- ghcr.io/acme/app: 1.0.0 → 1.4.0\n");
      assert.equal(git(s.bareRepoPath, ["show", "laminar/updates:deploy/app.yaml"]), "image: ghcr.io/acme/app:1.4.0\n");
      assert.ok(!logged.join("\n").includes(s.token), "the token is never logged");
    } finally {
      await s.close();
    }
  });

  it("exports the public names and none of the internals", () => {
    const exported = new Set(Object.keys(laminar));
    for (const name of [
      "createRegistryClient",
      "MemoryTags",
      "planRepository",
      "updatePass",
      "scanForConfig",
      "pushMode",
      "signedPushMode",
      "pullRequestMode",
      "resolveCommitSettings",
      "createGitCommandManager",
      "createGitHubApi",
      "renderTemplate",
      "buildCommitMessage",
      "parseTemplate",
      "TemplateError",
      "SecretMasker",
      "collectSecrets",
      "loadConfig",
      "parseConfig",
      "ConfigError",
      "parseImageReference",
      "formatPlan",
      "planToJson",
      "RegistryError",
    ])
      assert.ok(exported.has(name), `lib exports ${name}`);
    for (const name of [
      "writeFileAtomic",
      "restoreFiles",
      "rewriteFiles",
      "createTagSource",
      "RegistryClient",
      "parseDockerConfig",
      "readDockerConfig",
      "dockerConfigDir",
      "maskableForms",
      "secretForms",
      "commitThroughApi",
      "deliverWithRetry",
      "fetchBranch",
      "execGit",
    ])
      assert.ok(!exported.has(name), `lib does not export the internal ${name}`);
  });

  it("every export carries TSDoc on its declaration", () => {
    // Only the declarations are needed, not types: no default lib, so the compiler reads src/ alone.
    const entry = join(new URL("..", import.meta.url).pathname, "src/lib.ts");
    const program = ts.createProgram([entry], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      noLib: true,
      types: [],
    });
    const checker = program.getTypeChecker();
    const lib = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile);
    assert.ok(lib);
    const exports = checker.getExportsOfModule(lib);
    assert.ok(exports.length > 50);
    const undocumented = exports
      .filter((s) => {
        const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
        const declaration = target.declarations?.[0];
        return !target.getDocumentationComment(checker).length && !(declaration && ts.getJSDocTags(declaration).length);
      })
      .map((s) => s.name);
    assert.deepEqual(undocumented, []);
  });
});
