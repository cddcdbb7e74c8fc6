/**
 * The page at `GET /`: the original laminar's "simple GUI", server-rendered from the same status as
 * `/api/v1/repos` (issue #16). One HTML document with inline CSS and no script, so the server can
 * send a strict Content-Security-Policy (`default-src 'none'`). Pure: status in, markup out.
 *
 * Every value comes from files, tags, registries or the server file, any of which a stranger may
 * write (a file named `<img onerror=…>.yaml` is a valid Linux path): all of it goes through the
 * `markup` template of src/output/html.ts, which escapes each interpolation.
 */
import { markup, type SafeHtml } from "../output/html.js";
import type { ReferenceStatus, RepositoryStatus, RunRecord } from "./types.js";

/** How the page is drawn. */
export interface StatusPageOptions {
  /** When the page was made (shown, so a stale tab is visible as such). */
  readonly now: Date;
  /** Seconds between reloads (`<meta http-equiv="refresh">`); 0 turns it off. Default 30. */
  readonly refreshSeconds?: number;
}

/**
 * Renders the status of every repository as one HTML document: per repository its state, branch
 * and remote, its image references (file:line, image, current tag → best candidate with build time,
 * or the reason it stays) and its recent runs (time, trigger, result, changes, commit).
 */
export function renderStatusPage(repos: readonly RepositoryStatus[], o: StatusPageOptions): string {
  const refresh = o.refreshSeconds ?? 30;
  const count = `${repos.length} ${repos.length === 1 ? "repository" : "repositories"}`;
  const paused = repos.find((r) => r.paused);
  const banner = paused
    ? markup`<p class="banner" role="status"><strong>Updates are paused</strong>${paused.pausedSince ? markup` since ${time(paused.pausedSince)}` : null}: scheduled and webhook runs are skipped until resumed (a <code>[laminar resume]</code> comment, or <code>POST /api/v1/resume</code> with the Bearer token).</p>`
    : null;
  const nav = repos.length
    ? markup`<nav><ul>${repos.map((r) => markup`<li><a href="#${anchor(r.name)}">${r.name}</a> ${state(r)}</li>`)}</ul></nav>`
    : markup`<p class="empty">No repositories.</p>`;
  return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh > 0 ? markup`<meta http-equiv="refresh" content="${refresh}">` : null}
<title>Laminar serve: ${count}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Laminar</h1>
<p class="meta">${count} · page made ${time(o.now.toISOString())}${refresh > 0 ? ` · reloads every ${refresh} s` : null} · <a href="/api/v1/repos">JSON</a> · <a href="/metrics">metrics</a></p>
</header>
${banner}
${nav}
${repos.map(section)}
</body>
</html>
`.html;
}

function section(r: RepositoryStatus): SafeHtml {
  const runs = r.recentRuns.length ? r.recentRuns : r.lastRun ? [r.lastRun] : [];
  const references = r.references.length
    ? markup`<table class="refs">
<thead><tr><th>File</th><th>Image</th><th>Current tag</th><th>→ Best candidate, or why it stays</th></tr></thead>
<tbody>${r.references.map(reference)}</tbody>
</table>`
    : markup`<p class="empty">${r.lastRun ? "No image references found." : "Not scanned yet: the first run has not finished."}</p>`;
  const history = runs.length
    ? markup`<table class="runs">
<thead><tr><th>Started</th><th>Trigger</th><th>Result</th><th>Took</th><th>Changes</th><th>Commit</th></tr></thead>
<tbody>${runs.map(run)}</tbody>
</table>`
    : markup`<p class="empty">No run yet.</p>`;
  return markup`
<section id="${anchor(r.name)}">
<h2>${r.name} ${state(r)}</h2>
<p class="meta">branch <code>${r.branch}</code> of <code>${r.url}</code> · every ${r.pollFreq} s${r.nextRunAt ? markup` · next run ${time(r.nextRunAt)}` : null}${r.skippedWhilePaused ? ` · ${r.skippedWhilePaused} run(s) skipped while paused` : null}</p>
${r.warnings.length ? markup`<ul class="warnings">${r.warnings.map((w) => markup`<li>${w}</li>`)}</ul>` : null}
<h3>Image references (${r.references.length})</h3>
${references}
<h3>Recent runs</h3>
${history}
</section>`;
}

function reference(ref: ReferenceStatus): SafeHtml {
  const outcome = ref.candidate
    ? markup`<span class="move">→ <code>${ref.candidate}</code></span>${ref.candidateBuildTime ? markup`<br><span class="when">built ${time(ref.candidateBuildTime)}</span>` : null}`
    : markup`<span class="reason reason-${ref.reason === "up-to-date" ? "ok" : "stay"}">${ref.reason}</span>${ref.detail ? markup` <span class="detail">${ref.detail}</span>` : null}`;
  return markup`<tr>
<td><code>${ref.file}:${ref.line}</code></td>
<td><code>${ref.image}</code></td>
<td>${ref.tag === null ? markup`<span class="empty">none</span>` : markup`<code>${ref.tag}</code>`}${ref.buildTime ? markup`<br><span class="when">built ${time(ref.buildTime)}</span>` : null}</td>
<td>${outcome}</td>
</tr>`;
}

function run(r: RunRecord): SafeHtml {
  const changes = r.changes.length
    ? markup`<ul>${r.changes.map((c) => markup`<li><code>${c.file}:${c.line}</code> <code>${c.image}</code> <code>${c.from}</code> → <code>${c.to}</code></li>`)}</ul>`
    : r.error
      ? markup`<span class="error">${r.error}</span>`
      : markup`<span class="empty">none</span>`;
  return markup`<tr>
<td>${time(r.startedAt)}</td>
<td>${r.trigger}</td>
<td><span class="result result-${r.result}">${r.result}</span></td>
<td class="nowrap">${duration(r.durationMs)}</td>
<td>${changes}</td>
<td>${r.commit ? markup`<code class="nowrap" title="${r.commit}">${r.commit.slice(0, 12)}</code>` : markup`<span class="empty">none</span>`}</td>
</tr>`;
}

/** A repository's state in a few words (and a colour). */
function state(r: RepositoryStatus): SafeHtml {
  const [cls, text] = r.running
    ? ["run", "running"]
    : !r.lastRun
      ? ["wait", "waiting for its first run"]
      : r.lastRun.result === "error"
        ? ["err", `failing (${r.consecutiveFailures} in a row)`]
        : r.lastRun.result === "registry-error"
          ? ["warn", "registry error"]
          : ["ok", "ok"];
  return markup`<span class="badge badge-${cls}">${text}</span>${r.paused ? markup` <span class="badge badge-warn">paused</span>` : null}`;
}

/** `2026-11-02 00:00:00 UTC` from an ISO 8601 time: the server's times are UTC, and say so. */
function time(iso: string): SafeHtml {
  const shown = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(iso)
    ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
    : iso;
  return markup`<time datetime="${iso}">${shown}</time>`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An element id (and fragment) for a repository name. */
function anchor(name: string): string {
  return `repo-${encodeURIComponent(name)}`;
}

/** Literal markup of this module (a template part, so not escaped: the CSS keeps its quotes). */
const STYLE = markup`
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg-alt: #f6f8fa; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 0 0 4px; font-size: 20px; }
h3 { margin: 18px 0 6px; font-size: 15px; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 18px 0; }
.meta, .when, .detail, .empty { color: var(--muted); }
.when { font-size: 13px; white-space: nowrap; }
time, .nowrap { white-space: nowrap; }
nav ul { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 20px; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--bg-alt); padding: 1px 4px; border-radius: 4px; overflow-wrap: break-word; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
td ul { margin: 0; padding-left: 16px; }
.badge, .result, .reason { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 10px; vertical-align: middle; }
.badge-ok, .result-success, .reason-ok { background: #dafbe1; color: #116329; }
.badge-err, .result-error { background: #ffebe9; color: #a40e26; }
.badge-warn, .result-registry-error, .reason-stay { background: #fff8c5; color: #7d4e00; }
.badge-run { background: #ddf4ff; color: #0550ae; }
.badge-wait { background: var(--bg-alt); color: var(--muted); }
.move { color: #116329; font-weight: 600; }
.error { color: #a40e26; }
.warnings { color: #7d4e00; }
.banner { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 8px; padding: 10px 14px; }
`;
