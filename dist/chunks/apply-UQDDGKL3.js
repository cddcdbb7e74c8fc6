import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  CLI_AUTHOR,
  assertCleanWorkTree,
  createGitCommandManager,
  deliverWithRetry,
  fetchBranch,
  pushMode,
  resolveCommitSettings,
  toImageChange
} from "./chunk-36RSFMHN.js";
import {
  nothingToUpdate
} from "./chunk-VLETM5AE.js";
import {
  VERSION
} from "./chunk-2QTVSED2.js";
import {
  DEFAULT_CONFIG_FILE,
  changedPaths,
  createAppTokenSource,
  createOctokit,
  editsFor,
  errorMessage,
  graphqlFailure,
  httpFailure,
  isHttpError,
  oneLine,
  renderTemplate,
  repoKey,
  scanFile,
  targetsByRepository,
  updatePass
} from "./chunk-EQSYRQKA.js";
import "./chunk-5RE2FBRL.js";
import "./chunk-SRO4HYQ2.js";
import "./chunk-QIE7EB24.js";

// src/cli/apply.ts
import { relative as relative2, resolve as resolve2 } from "node:path";

// src/delivery/pull-request.ts
import { createHash } from "node:crypto";

// src/output/markdown.ts
var ZWSP = "\u200B";
var HTML = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
function unlink(text) {
  return text.replace(/@(?=[A-Za-z0-9])/g, `@${ZWSP}`).replace(/#(?=[0-9])/g, `#${ZWSP}`).replace(/:\/\//g, `:${ZWSP}//`).replace(/\b(www)\./gi, `$1${ZWSP}.`);
}
function markdownText(text) {
  const escaped = oneLine(text).replace(/[\\`*_[\]|~!]/g, "\\$&").replace(/[&<>"]/g, (c) => HTML[c] ?? c);
  return unlink(escaped);
}
function markdownCode(text) {
  return `\`${oneLine(text).replace(/`/g, "'").replace(/\|/g, "\\|")}\``;
}

// src/report/markdown.ts
var time = (iso, source, cached) => iso ? `${iso.replace(/\.\d{3}Z$/, "Z")}${source ? ` (${source}${cached ? ", cached" : ""})` : ""}` : "\u2014";
function changesTable(plan, options = {}) {
  if (plan.changes.length === 0) return "No image tag moves.";
  const rows = plan.changes.map(
    (c) => `| ${markdownCode(c.image)} | ${markdownText(`${c.file}:${c.line}`)} | ${c.digestOnly ? `${markdownCode(`${c.from}@${(c.fromDigest ?? "").slice(0, 19)}`)} \u2192 ${markdownCode(`${(c.toDigest ?? "").slice(0, 19)}`)} (digest only)` : `${markdownCode(c.from)} \u2192 ${markdownCode(c.to)}`} | ${markdownText(time(c.buildTime, c.timeSource, options.showCache && c.cached))} |`
  );
  return ["| Image | File | From \u2192 To | Build time |", "| --- | --- | --- | --- |", ...rows].join("\n");
}
function unchangedTable(plan) {
  if (plan.unchanged.length === 0) return "";
  const rows = plan.unchanged.map(
    (u) => `| ${markdownCode(u.image)} | ${markdownText(`${u.file}:${u.line}`)} | ${u.tag ? markdownCode(u.tag) : "\u2014"} | ${u.reason} | ${markdownText(u.detail)} |`
  );
  return ["| Image | File | Tag | Reason | Detail |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
function promotionEvidence(plan) {
  const promoted = plan.changes.filter((c) => c.promotion);
  if (promoted.length === 0) return [];
  const lines = promoted.map((c) => {
    const e = c.promotion;
    return `- **${markdownText(e.promotion)}**: ${markdownCode(c.image)} ${markdownCode(c.to)} in ${markdownText(`${c.file}:${c.line}`)} \u2014 reached ${markdownText(`${e.from}:${e.fromLine}`)} in ${markdownCode(e.commit.slice(0, 12))} by ${markdownText(e.author)} at ${e.arrivedAt.replace(/\.\d{3}Z$/, "Z")}${e.arrivalExact ? "" : " (or earlier)"}; soak ${e.soak}; built ${time(c.buildTime)}${e.digest ? `; digest ${markdownCode(e.digest)} (checked against the registry)` : ""}${e.choice ? `. ${markdownText(e.choice)}` : ""}`;
  });
  return ["", "### Promotions", "", ...lines];
}
function leftAlone(plan) {
  const left = unchangedTable(plan);
  if (!left) return [];
  return [
    "",
    `<details><summary>${plan.unchanged.length} reference(s) left alone</summary>`,
    "",
    left,
    "",
    "</details>"
  ];
}
function pullRequestBody(plan) {
  const parts = ["Laminar moved these image tags:", "", changesTable(plan), ...promotionEvidence(plan)];
  parts.push(...leftAlone(plan));
  parts.push(
    "",
    "<sub>Opened by Laminar. Rerunning updates this pull request; it is closed when no change is left.</sub>"
  );
  return `${parts.join("\n")}
`;
}

// src/delivery/carry-over.ts
import { readFile } from "node:fs/promises";
import { join } from "node:path";
var PUSHED_TAG_STAYS = /* @__PURE__ */ new Set([
  "no-candidates",
  "up-to-date",
  "older-than-current",
  "too-new",
  "unknown-build-time",
  "ambiguous-build-time",
  "missing-platform",
  "unsigned",
  "bad-signature",
  "registry-error"
]);
async function carriedChanges(source, plan, config) {
  const { git, sha } = source;
  const idle = /* @__PURE__ */ new Map();
  const pushed = targetsByRepository(source.targets);
  const carries = (u) => u.reason === "not-targeted" || Boolean(pushed.get(u.repository)?.length) && PUSHED_TAG_STAYS.has(u.reason);
  for (const u of plan.unchanged) if (carries(u)) idle.set(u.file, [...idle.get(u.file) ?? [], u]);
  if (idle.size === 0) return [];
  await fetchBranch(git, source.branch, 2);
  if ((await git.laminarTrailers(sha)).length === 0) return [];
  const parent = await git.tryRevParse(`${sha}^`);
  if (parent === void 0) return [];
  const touched = new Set(await git.diffNameOnly({ from: parent, to: sha }));
  const files = [...idle].filter(([file]) => touched.has(file));
  const texts = await git.showFiles(
    files.flatMap(([path]) => [
      { rev: parent, path },
      { rev: sha, path }
    ])
  );
  const out = [];
  for (const [i, [file, records]] of files.entries()) {
    const [before, after] = [texts[2 * i], texts[2 * i + 1]];
    if (before === void 0 || after === void 0) continue;
    const now = (await readFile(join(source.dir, file))).toString("latin1");
    out.push(...carryFile(file, { before, after, now }, records, config));
  }
  return out;
}
function carryFile(file, text, records, config) {
  const before = scanFile(text.before, file).sites;
  const after = scanFile(text.after, file).sites;
  if (before.length !== after.length || before.some((s, i) => repoKey(s.reference) !== repoKey(after[i].reference)))
    return [];
  const twins = /* @__PURE__ */ new Map();
  before.forEach((s, i) => {
    const key = repoKey(s.reference);
    twins.set(key, [...twins.get(key) ?? [], { from: s, to: after[i] }]);
  });
  const seen = /* @__PURE__ */ new Map();
  const out = [];
  for (const site of scanFile(text.now, file).sites) {
    const key = repoKey(site.reference);
    const occurrence = seen.get(key) ?? 0;
    seen.set(key, occurrence + 1);
    const record = records.find((r) => r.line === site.line && r.column === site.column);
    const twin = twins.get(key)?.[occurrence];
    if (!record || !twin || site.skip || !site.tagSpan) continue;
    const was = twin.from.reference;
    const moved = twin.to.reference;
    const cur = site.reference;
    if (moved.tag === void 0 || moved.tag === was.tag && moved.digest === was.digest) continue;
    if (cur.tag !== was.tag || cur.digest !== was.digest) continue;
    const toDigest = cur.digest !== void 0 && moved.digest !== cur.digest ? moved.digest : void 0;
    const digestOnly = moved.tag === cur.tag;
    if (digestOnly && toDigest === void 0) continue;
    const { edits, quoted } = editsFor(site, moved.tag, toDigest);
    const rule = record.rule ?? "";
    out.push({
      file,
      line: site.line,
      column: site.column,
      form: site.form,
      image: site.name,
      repository: key,
      from: cur.tag ?? "",
      to: moved.tag,
      ...cur.digest ? { fromDigest: cur.digest } : {},
      ...toDigest ? { toDigest } : {},
      ...digestOnly ? { digestOnly: true } : {},
      rule,
      pattern: config.updates.find((u) => u.name === rule)?.policy.source ?? "",
      ...quoted && !digestOnly ? { quoted } : {},
      edits: digestOnly ? edits.filter((e) => e.expect === cur.digest) : edits
    });
  }
  return out;
}
function withCarried(plan, carried) {
  if (carried.length === 0) return plan;
  const at = (c) => `${c.file}\0${c.line}\0${c.column}`;
  const moved = new Set(carried.map(at));
  const order = (a, b) => a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
  return {
    ...plan,
    changes: [...plan.changes, ...carried].sort(order),
    unchanged: plan.unchanged.filter((u) => !moved.has(at(u)))
  };
}

// src/delivery/signed-push.ts
import { readFile as readFile2 } from "node:fs/promises";
import { join as join2 } from "node:path";
async function commitThroughApi(gh, git, o) {
  const modes = await git.fileModes(o.files);
  const files = await Promise.all(
    o.files.map(async (path) => {
      const content = await readFile2(join2(git.workingDirectory, path)).catch((e) => {
        if (e.code === "ENOENT") return null;
        throw e;
      });
      if (content === null) return { path, deleted: true };
      const mode = modes.get(path);
      return { path, content, ...mode === "100755" || mode === "120000" ? { mode } : {} };
    })
  );
  return (await gh.createSignedCommit({ parent: o.parent, files, message: o.message })).sha;
}

// src/delivery/pull-request.ts
var DEFAULT_PR_TITLE = "{{summary}}";
function defaultPullRequestBranch(given, relativePath) {
  return given === ".laminar.yaml" ? "laminar/updates" : `laminar/updates-${createHash("sha256").update(relativePath).digest("hex").slice(0, 8)}`;
}
function ownerMarker(owner) {
  return `
<!-- laminar-owner: ${owner} -->
`;
}
function pullRequestOwnerOf(body) {
  return /<!-- laminar-owner: ([0-9a-f]+) -->/.exec(body ?? "")?.[1];
}
async function pullRequestMode(o) {
  const { git, github: gh, pullRequest: s } = o;
  const start = await git.revParse("HEAD");
  const prBranch = s.branch;
  let seenPr = await git.remoteBranchSha(prBranch);
  let seenBase = await git.remoteBranchSha(o.base);
  let moved = "";
  const existing = await gh.findOpenPullRequest(prBranch, o.base);
  let rendered = { title: "", body: "" };
  let pushed = false;
  try {
    const targeted = (o.targets?.length ?? 0) > 0;
    const extendPlan = async (plan, config) => {
      if (seenPr === void 0) return plan;
      const carried = await carriedChanges(
        { git, dir: o.dir, branch: prBranch, sha: seenPr, targets: o.targets ?? [] },
        plan,
        config
      );
      if (carried.length)
        o.log(
          `${prBranch}: keeping ${carried.length} change(s) the pull request already has that this targeted run did not move`
        );
      return withCarried(plan, carried);
    };
    const r = await deliverWithRetry(
      { ...o, branch: o.base, ...targeted ? { extendPlan } : {} },
      {
        publish: async ({ parent, local, message, pass: pass2 }) => {
          const changes = pass2.plan.changes.map(toImageChange);
          rendered = {
            // The title is one line whatever the template says; the body's values are Markdown-escaped
            // (issue #13: file names and tags are outside text).
            title: oneLine(renderTemplate(s.title, changes).trim()) || "Update image tags",
            body: s.body ? renderTemplate(s.body, changes, markdownText, pass2.applied?.commandChanges) : pullRequestBody(pass2.plan) + commandFilesSection(pass2.applied?.commandChanges ?? [])
          };
          if (s.owner !== void 0) rendered.body += ownerMarker(s.owner);
          if (await git.remoteBranchSha(o.base) !== seenBase) {
            moved = `${o.base} moved on the remote`;
            return { kind: "moved" };
          }
          if (seenPr !== void 0 && await sameTree(git, prBranch, seenPr, parent, local)) {
            pushed = false;
            return { kind: "published", sha: seenPr };
          }
          if (seenPr !== void 0)
            o.log(
              `${prBranch} is at ${seenPr.slice(0, 12)}; rebuilding it from ${o.base} (the branch is Laminar's own: commits others pushed to it are replaced, not kept)`
            );
          const sha = s.signCommits ? await publishSigned(o, { parent, local, message, expected: seenPr }) : await publishWithLease(o, local, seenPr);
          if (sha === void 0) {
            moved = `${prBranch} was pushed to by someone else`;
            return { kind: "moved" };
          }
          pushed = true;
          return { kind: "published", sha };
        },
        refetch: async () => {
          const base = await fetchBranch(git, o.base);
          seenBase = await git.revParse(base);
          seenPr = await git.remoteBranchSha(prBranch);
          return base;
        },
        retryNote: (next, max) => `${moved}; fetching ${o.base} and ${prBranch} and planning again (attempt ${next} of ${max})`,
        exhausted: (attempts) => new Error(
          `updating the pull-request branch ${prBranch} failed ${attempts} times because ${o.base} or ${prBranch} kept moving; nothing was pushed`
        )
      }
    );
    const pass = r.pass;
    if (!pass.applied || r.commitSha === void 0) {
      if (existing && pass.plan.failures.length) {
        o.log(`no change found, but a registry failed: pull request #${existing.number} is left open`);
        return {
          plan: pass.plan,
          files: [],
          pullRequest: { operation: "unchanged", number: existing.number, url: existing.htmlUrl },
          sentence: `${nothingToUpdate(pass.plan)} Pull request #${existing.number} is left open.`
        };
      }
      if (existing) {
        await gh.closePullRequest(existing.number, { deleteBranch: true });
        o.log(`no change left: closed pull request #${existing.number} and deleted ${prBranch}`);
        return {
          plan: pass.plan,
          files: [],
          pullRequest: { operation: "closed", number: existing.number, url: existing.htmlUrl },
          sentence: `Nothing to update: closed the obsolete pull request #${existing.number}.`
        };
      }
      return {
        plan: pass.plan,
        files: [],
        pullRequest: { operation: "none" },
        sentence: nothingToUpdate(pass.plan)
      };
    }
    const headSha = r.commitSha;
    o.log(
      pushed ? `pushed ${headSha.slice(0, 12)} to ${prBranch}` : `${prBranch} already has these changes; not pushing`
    );
    const { title, body } = rendered;
    let operation;
    let pr = existing;
    if (!pr) {
      const made = await gh.createOrUpdatePullRequest({ head: prBranch, base: o.base, title, body });
      pr = made;
      operation = made.created ? "created" : "updated";
    } else if (pr.title !== title || normalise(pr.body) !== normalise(body)) {
      pr = await gh.updatePullRequest(pr.number, { title, body });
      operation = "updated";
    } else operation = pushed ? "updated" : "unchanged";
    const missing = s.labels.filter((l) => !pr?.labels.includes(l));
    if (missing.length) await gh.addLabels(pr.number, missing);
    if (operation === "created" && (s.reviewers.length || s.teamReviewers.length))
      await gh.requestReviewers(pr.number, { users: s.reviewers, teams: s.teamReviewers });
    if (s.autoMerge) {
      const m = await gh.enableAutoMerge(pr.nodeId, s.autoMerge.toUpperCase());
      if (m.kind === "refused") o.log(`auto-merge not enabled: ${m.message}`);
    }
    o.log(`pull request #${pr.number} ${operation}: ${pr.htmlUrl}`);
    return {
      plan: pass.plan,
      files: changedPaths(pass.applied),
      commitSha: headSha,
      pullRequest: { operation, number: pr.number, url: pr.htmlUrl },
      sentence: `Pull request #${pr.number} ${operation}: ${pass.plan.changes.length} image tag(s) move${r.attempts > 1 ? ` (after ${r.attempts} attempts)` : ""}.`
    };
  } finally {
    await git.resetHard(start);
  }
}
function commandFilesSection(files) {
  if (!files.length) return "";
  return `
Changed by the configured commands:

${files.map((f) => `- ${f.change} ${markdownCode(f.path)}`).join("\n")}
`;
}
async function publishWithLease(o, local, expected) {
  const prBranch = o.pullRequest.branch;
  const r = await o.git.push({ branch: prBranch, source: local, expectedSha: expected ?? null });
  if (r.kind === "ok") return local;
  if (r.kind === "rejected-stale-lease") return void 0;
  const why = r.kind === "error" ? r.stderr.trim() : r.kind === "rejected-protected" ? r.remoteMessages.join(" ") || r.reason : r.reason;
  throw new Error(`could not push the pull-request branch ${prBranch}: ${why}`);
}
async function publishSigned(o, c) {
  const { git, github: gh } = o;
  const prBranch = o.pullRequest.branch;
  const files = await git.diffNameOnly({ from: c.parent, to: c.local });
  const sha = await commitThroughApi(gh, git, { parent: c.parent, files, message: c.message });
  if (await gh.getBranchSha(prBranch) !== c.expected) return void 0;
  const moved = await gh.updateBranch(prBranch, sha, { force: true });
  if (moved.kind !== "created" && moved.kind !== "updated")
    throw new Error(`could not move the pull-request branch ${prBranch}: ${moved.message}`);
  return sha;
}
async function sameTree(git, branch, remoteSha, baseSha, local) {
  await fetchBranch(git, branch, 2);
  const parent = await git.tryRevParse(`${remoteSha}^`);
  if (parent !== baseSha) return false;
  const theirs = await git.revParse(`${remoteSha}^{tree}`);
  const ours = await git.revParse(`${local}^{tree}`);
  return theirs === ours;
}
function normalise(text) {
  return text.replace(/\r\n/g, "\n").trim();
}

// src/delivery/grouped-pull-requests.ts
import { createHash as createHash2 } from "node:crypto";
import { relative, resolve } from "node:path";
var DEFAULT_BRANCH = "laminar/updates";
function groupPrefix(main) {
  return main === DEFAULT_BRANCH ? "laminar/" : `${main}-`;
}
function promotionBranch(name, main = DEFAULT_BRANCH) {
  return `${groupPrefix(main)}promote-${name}`;
}
function dynamicPrefixes(main) {
  return { rule: `${groupPrefix(main)}rule-`, image: `${groupPrefix(main)}image-` };
}
function pullRequestOwner(relativeConfigPath) {
  return createHash2("sha256").update(relativeConfigPath.split("\\").join("/")).digest("hex").slice(0, 12);
}
function branchSlug(text) {
  const slug = text.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/\.{2,}/g, ".").replace(/^[-.]+|[-.]+$/g, "");
  if (slug && slug.length <= 60 && !slug.endsWith(".lock")) return slug;
  const hash = createHash2("sha256").update(text).digest("hex").slice(0, 8);
  return `${slug.slice(0, 50).replace(/[-.]+$/, "")}-${hash}`;
}
function groupBranch(change, group, main) {
  if (group === "all") return main;
  if (change.promotion) return promotionBranch(change.promotion.promotion, main);
  if (group === "rule") return dynamicPrefixes(main).rule + branchSlug(change.rule);
  if (group === "image") return dynamicPrefixes(main).image + branchSlug(change.repository);
  return main;
}
async function groupedPullRequests(o, grouping) {
  const group = grouping.group ?? "promotion";
  const main = o.pullRequest.branch;
  const known = [main, ...grouping.promotions.map((name) => promotionBranch(name, main))];
  const owner = pullRequestOwner(relative(o.dir, resolve(o.dir, o.configPath ?? DEFAULT_CONFIG_FILE)));
  const settings = { ...o.pullRequest, owner };
  const targeted = (o.targets?.length ?? 0) > 0;
  if (group === "promotion" && grouping.promotions.length === 0) {
    const r = await pullRequestMode({ ...o, pullRequest: settings });
    return { ...r, promotions: [], groups: [{ branch: main, pullRequest: r.pullRequest }] };
  }
  let branches;
  let mustRun;
  const leftover = /* @__PURE__ */ new Set();
  let preview;
  if (group === "promotion" && !targeted) {
    branches = known;
    mustRun = new Set(known);
  } else {
    preview = await updatePass({ ...o, dryRun: true });
    const produced = new Set(preview.plan.changes.map((c) => groupBranch(c, group, main)));
    const prefixes = Object.values(dynamicPrefixes(main)).map((p) => `refs/heads/${p}`);
    const refs = targeted ? [] : [...(await o.git.lsRemote([])).keys()];
    for (const ref of refs) if (prefixes.some((p) => ref.startsWith(p))) leftover.add(ref.slice("refs/heads/".length));
    const dynamic = [.../* @__PURE__ */ new Set([...produced, ...leftover])].filter((b) => !known.includes(b)).sort();
    branches = targeted ? [main, ...dynamic, ...known.slice(1)].filter((b) => produced.has(b)) : [main, ...dynamic, ...known.slice(1)];
    mustRun = produced;
    if (!targeted) mustRun.add(main);
    for (const b of produced) leftover.delete(b);
  }
  const promotionOf = new Map(grouping.promotions.map((name) => [promotionBranch(name, main), name]));
  const runs = [];
  for (const branch of branches) {
    if (!mustRun.has(branch)) {
      const pr = await o.github.findOpenPullRequest(branch, o.base);
      if (!pr) continue;
      if (leftover.has(branch) && pullRequestOwnerOf(pr.body) !== owner) {
        o.log(`${branch}: pull request #${pr.number} is not this config's (no owner marker ${owner}); left alone`);
        continue;
      }
    }
    const promotion = promotionOf.get(branch);
    const result = await pullRequestMode({
      ...o,
      selectChanges: (c) => groupBranch(c, group, main) === branch,
      pullRequest: {
        ...settings,
        branch,
        ...promotion !== void 0 ? { title: `Promote ${promotion}: {{summary}}` } : {}
      }
    });
    runs.push({ branch, result });
  }
  if (runs.length === 0 && preview) {
    runs.push({
      branch: main,
      result: {
        plan: preview.plan,
        files: [],
        pullRequest: { operation: "none" },
        sentence: nothingToUpdate(preview.plan)
      }
    });
  }
  const first = runs[0];
  const lead = group === "promotion" || first.result.pullRequest.operation !== "none" ? first : runs.find((r) => r.result.pullRequest.operation !== "none") ?? first;
  const sentences = runs.filter((r) => r === lead || r.result.pullRequest.operation !== "none").map((r) => {
    const name = promotionOf.get(r.branch);
    if (r === first && group === "promotion") return r.result.sentence;
    return name !== void 0 ? `Promotion ${name}: ${r.result.sentence}` : `${r.branch}: ${r.result.sentence}`;
  });
  const { commitSha: _ignored, ...base } = first.result;
  return {
    ...base,
    ...lead.result.commitSha ? { commitSha: lead.result.commitSha } : {},
    pullRequest: lead.result.pullRequest,
    plan: { ...first.result.plan, changes: runs.flatMap((r) => r.result.plan.changes) },
    files: [...new Set(runs.flatMap((r) => r.result.files))],
    sentence: sentences.join(" "),
    promotions: runs.flatMap((r) => {
      const name = promotionOf.get(r.branch);
      return name !== void 0 ? [{ name, pullRequest: r.result.pullRequest }] : [];
    }),
    groups: runs.map((r) => ({ branch: r.branch, pullRequest: r.result.pullRequest }))
  };
}

// src/github/github-api.ts
var PR_ALREADY_EXISTS = "A pull request already exists";
var REF_ALREADY_EXISTS = "Reference already exists";
var REF_DOES_NOT_EXIST = "Reference does not exist";
var NOT_FAST_FORWARD = /not a fast.forward/i;
var PROTECTED = /protected branch|rule violation|GH006|GH013|Cannot update this protected ref/i;
function toPullRequest(p) {
  return {
    number: p.number,
    nodeId: p.node_id,
    htmlUrl: p.html_url,
    state: p.state === "closed" ? "closed" : "open",
    title: p.title,
    body: p.body ?? "",
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    draft: p.draft ?? false,
    labels: p.labels.map((l) => typeof l === "string" ? l : l.name ?? "").filter((n) => n.length > 0)
  };
}
function blobContent(file) {
  return Buffer.from(file.content).toString("base64");
}
var ENABLE_AUTO_MERGE = `mutation LaminarEnableAutoMerge($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
    pullRequest { number autoMergeRequest { mergeMethod enabledAt } }
  }
}`;
var OctokitGitHubApi = class {
  constructor(octokit, repository, log) {
    this.octokit = octokit;
    this.repository = repository;
    this.log = log;
  }
  octokit;
  repository;
  log;
  get repo() {
    return { owner: this.repository.owner, repo: this.repository.repo };
  }
  async findOpenPullRequest(branch, base) {
    const { data } = await this.octokit.rest.pulls.list({
      ...this.repo,
      state: "open",
      head: `${this.repository.owner}:${branch}`,
      ...base ? { base } : {},
      per_page: 100
    });
    const match = data.find((p) => p.head.ref === branch);
    return match ? toPullRequest(match) : void 0;
  }
  async getPullRequest(number) {
    const { data } = await this.octokit.rest.pulls.get({ ...this.repo, pull_number: number });
    return toPullRequest(data);
  }
  async createOrUpdatePullRequest(input) {
    try {
      const { data } = await this.octokit.rest.pulls.create({
        ...this.repo,
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
        ...input.draft !== void 0 ? { draft: input.draft } : {}
      });
      this.log?.info(`Created pull request #${data.number} (${input.head} \u2192 ${input.base})`);
      return { ...toPullRequest(data), created: true };
    } catch (e) {
      if (!isHttpError(e, 422, PR_ALREADY_EXISTS)) throw e;
    }
    const existing = await this.findOpenPullRequest(input.head, input.base);
    if (!existing)
      throw new Error(`GitHub says a pull request exists for ${input.head}, but none is open into ${input.base}`);
    const updated = await this.updatePullRequest(existing.number, { title: input.title, body: input.body });
    this.log?.info(`Updated pull request #${updated.number} (${input.head} \u2192 ${input.base})`);
    return { ...updated, created: false };
  }
  async updatePullRequest(number, update) {
    const { data } = await this.octokit.rest.pulls.update({
      ...this.repo,
      pull_number: number,
      ...update.title !== void 0 ? { title: update.title } : {},
      ...update.body !== void 0 ? { body: update.body } : {},
      ...update.base !== void 0 ? { base: update.base } : {}
    });
    return toPullRequest(data);
  }
  async addLabels(number, labels) {
    if (labels.length === 0) return;
    await this.octokit.rest.issues.addLabels({ ...this.repo, issue_number: number, labels: [...labels] });
  }
  async requestReviewers(number, request) {
    const users = [...request.users ?? []];
    const teams = (request.teams ?? []).map((t) => t.slice(t.lastIndexOf("/") + 1));
    if (users.length === 0 && teams.length === 0) return;
    try {
      await this.octokit.rest.pulls.requestReviewers({
        ...this.repo,
        pull_number: number,
        ...users.length ? { reviewers: users } : {},
        ...teams.length ? { team_reviewers: teams } : {}
      });
    } catch (e) {
      if (teams.length && isHttpError(e, 422, "Could not resolve to a node")) {
        throw new Error(
          `cannot request team reviewers (${teams.join(", ")}): the token needs read access to the organization's teams \u2014 ${errorMessage(e)}`,
          { cause: e }
        );
      }
      throw e;
    }
  }
  async closePullRequest(number, options = {}) {
    const { data } = await this.octokit.rest.pulls.update({ ...this.repo, pull_number: number, state: "closed" });
    if (options.deleteBranch !== false) await this.deleteBranch(data.head.ref);
  }
  async deleteBranch(branch) {
    try {
      await this.octokit.rest.git.deleteRef({ ...this.repo, ref: `heads/${branch}` });
      return true;
    } catch (e) {
      if (isHttpError(e, 422, REF_DOES_NOT_EXIST) || isHttpError(e, 404)) return false;
      throw e;
    }
  }
  async enableAutoMerge(pullRequestNodeId, mergeMethod) {
    try {
      await this.octokit.graphql(ENABLE_AUTO_MERGE, { pullRequestId: pullRequestNodeId, mergeMethod });
      return { kind: "enabled", mergeMethod };
    } catch (e) {
      const failure = graphqlFailure(e);
      if (failure) return { kind: "refused", message: failure.messages.join("; ") };
      throw e;
    }
  }
  async getBranchSha(branch) {
    try {
      const { data } = await this.octokit.rest.git.getRef({ ...this.repo, ref: `heads/${branch}` });
      return data.object.sha;
    } catch (e) {
      if (isHttpError(e, 404)) return void 0;
      throw e;
    }
  }
  async createSignedCommit(input) {
    const baseTree = input.parentTree ?? (await this.octokit.rest.git.getCommit({ ...this.repo, commit_sha: input.parent })).data.tree.sha;
    const tree = [];
    for (const file of input.files) {
      if ("deleted" in file) {
        tree.push({ path: file.path, mode: "100644", type: "blob", sha: null });
        continue;
      }
      const { data: blob } = await this.octokit.rest.git.createBlob({
        ...this.repo,
        content: blobContent(file),
        encoding: "base64"
      });
      tree.push({ path: file.path, mode: file.mode ?? "100644", type: "blob", sha: blob.sha });
    }
    const { data: newTree } = await this.octokit.rest.git.createTree({ ...this.repo, base_tree: baseTree, tree });
    const { data: commit } = await this.octokit.rest.git.createCommit({
      ...this.repo,
      message: input.message,
      tree: newTree.sha,
      parents: [input.parent],
      ...input.author ? { author: { name: input.author.name, email: input.author.email } } : {}
    });
    this.log?.info(
      `Created commit ${commit.sha} (verified: ${commit.verification.verified}, ${commit.verification.reason})`
    );
    return {
      sha: commit.sha,
      treeSha: commit.tree.sha,
      verified: commit.verification.verified,
      reason: commit.verification.reason
    };
  }
  async updateBranch(branch, sha, options) {
    if (await this.getBranchSha(branch) === void 0) {
      try {
        await this.octokit.rest.git.createRef({ ...this.repo, ref: `refs/heads/${branch}`, sha });
        return { kind: "created", sha };
      } catch (e) {
        if (!isHttpError(e, 422, REF_ALREADY_EXISTS)) throw e;
      }
    }
    try {
      await this.octokit.rest.git.updateRef({ ...this.repo, ref: `heads/${branch}`, sha, force: options.force });
      return { kind: "updated", sha };
    } catch (e) {
      const f = httpFailure(e);
      if (f && f.status === 422 && NOT_FAST_FORWARD.test(f.message))
        return { kind: "rejected-non-fast-forward", message: f.message };
      if (f && (f.status === 422 || f.status === 403 || f.status === 409) && PROTECTED.test(f.message)) {
        return { kind: "rejected-protected", message: f.message };
      }
      throw e;
    }
  }
};
function createGitHubApi(options) {
  return new OctokitGitHubApi(createOctokit(options), options.repository, options.log);
}

// src/cli/apply.ts
async function runApply(o) {
  const common = {
    dir: o.dir,
    ...o.configPath ? { configPath: o.configPath } : {},
    tags: o.tags,
    runCommands: o.runCommands,
    env: o.env,
    onCommand: o.onCommand,
    ...o.onFile ? { onFile: o.onFile } : {},
    ...o.signal ? { signal: o.signal } : {},
    ...o.setTag ? { setTag: o.setTag } : {},
    ...o.targets?.length ? { targets: o.targets } : {}
  };
  if (o.delivery.kind === "work-tree") {
    const r2 = await updatePass({ ...common, dryRun: false });
    return {
      plan: r2.plan,
      files: r2.applied?.files ?? [],
      commandChanges: r2.applied?.commandChanges ?? [],
      commands: r2.applied?.commands ?? []
    };
  }
  const d = o.delivery;
  const app = d.kind === "pull-request" && d.app ? await createAppTokenSource({
    app: d.app,
    baseUrl: d.apiUrl,
    serverUrl: d.serverUrl,
    repository: d.repository,
    userAgent: `laminar/${VERSION}`,
    onToken: (t) => o.onSecret?.(t, "x-access-token")
  }) : void 0;
  if (app) o.log(`GitHub App ${app.appSlug} (installation ${app.installationId}): pushes and API calls use its token`);
  const git = await createGitCommandManager(o.dir, {
    ...o.remote ? { remote: { name: o.remote, from: "--remote" } } : {},
    ...d.kind === "pull-request" ? {
      credentials: app ? async () => ({ serverUrl: d.serverUrl, token: await app.token() }) : { serverUrl: d.serverUrl, token: d.token }
    } : {}
  });
  await assertCleanWorkTree(git);
  const branch = await git.currentBranch();
  if (!branch) throw new Error("HEAD is detached: check out the branch laminar should update");
  const delivery = {
    ...common,
    git,
    commit: resolveCommitSettings({}, o.config.commit, app?.identity ?? CLI_AUTHOR),
    log: o.log
  };
  if (d.kind === "push") {
    const r2 = await pushMode({
      ...delivery,
      branch,
      protectedHint: "open a pull request instead (`laminar apply --pull-request`)"
    });
    return {
      plan: r2.pass.plan,
      files: r2.pass.applied?.files ?? [],
      commandChanges: r2.pass.applied?.commandChanges ?? [],
      commands: r2.pass.applied?.commands ?? [],
      ...r2.commitSha ? { commitSha: r2.commitSha } : {},
      sentence: r2.commitSha ? `Pushed ${r2.commitSha.slice(0, 12)} to ${branch}: ${r2.pass.plan.changes.length} image tag(s) moved${r2.attempts > 1 ? ` (after ${r2.attempts} attempts)` : ""}.` : "Nothing to update: every image is at the newest tag its policy allows."
    };
  }
  const configFile = o.configPath ?? DEFAULT_CONFIG_FILE;
  const prBranch = d.branch ?? defaultPullRequestBranch(configFile, relative2(o.dir, resolve2(o.dir, configFile)));
  if (prBranch === branch) throw new Error(`--pr-branch must differ from the checked-out branch ${branch}`);
  const r = await groupedPullRequests(
    {
      ...delivery,
      github: createGitHubApi({
        token: d.token,
        ...app ? { tokenSource: () => app.token() } : {},
        baseUrl: d.apiUrl,
        repository: d.repository,
        userAgent: `laminar/${VERSION}`
      }),
      base: branch,
      pullRequest: {
        branch: prBranch,
        title: DEFAULT_PR_TITLE,
        body: "",
        labels: [],
        reviewers: [],
        teamReviewers: [],
        autoMerge: false,
        signCommits: false
      },
      log: o.log
    },
    // `set` writes one tag on purpose: an empty share would close the promotions' pull requests.
    {
      promotions: o.setTag ? [] : o.config.promotions.map((p) => p.name),
      ...o.config.pullRequests?.group && !o.setTag ? { group: o.config.pullRequests.group } : {}
    }
  );
  return {
    plan: r.plan,
    files: r.files,
    commandChanges: [],
    commands: [],
    ...r.commitSha ? { commitSha: r.commitSha } : {},
    pullRequest: r.pullRequest,
    sentence: r.sentence
  };
}
export {
  runApply
};
