/**
 * Commit messages (and pull-request titles/bodies, which use the same templates) for a set of image
 * tag changes.
 *
 * Default format:
 * - one change: `<file>: <image>:<tag>` — the format of the tool Laminar replaces, so the history of
 *   repositories that switch over reads the same;
 * - several: a summary line `Update N images` (N = number of changes, one per edited line), a blank
 *   line, then one `file: image from → to` line per change, sorted by file and line so the same set of
 *   changes always gives the same message (and a re-run finds its pull request unchanged).
 *
 * User templates are deliberately tiny (no logic, no helpers): `{{name}}` variables and one repeated
 * section `{{#changes}}…{{/changes}}`. Unknown names are an error at parse time so a typo in the
 * configuration fails the run instead of producing a commit titled "Update {{cout}} images".
 *
 * Every value from a change (file, image, tags) is escaped once, before any template sees it: by
 * default to one line (src/output/one-line.ts), so a file name with a newline cannot add a
 * `Co-authored-by:` trailer or a second subject line (issue #13). A pull-request body passes the
 * Markdown escaper instead.
 */
import { oneLine } from "../output/one-line.js";

/** One edited image reference. `line` is 1-based. */
export interface ImageChange {
  readonly file: string;
  readonly line: number;
  readonly image: string;
  readonly from: string;
  readonly to: string;
}

/** Variables available at the top level of a template. */
export const TEMPLATE_VARIABLES = [
  "count", // number of changes
  "summary", // the default subject line for these changes
  "changes", // default body: one "file: image from → to" line per change
  "images", // distinct "image:to", comma separated
  "files", // distinct files, comma separated
  "image", // distinct images, comma separated (one change: just that image)
  "from", // distinct old tags, comma separated
  "to", // distinct new tags, comma separated
  "file", // same as files (one change: just that file)
  "commandFiles", // paths the configured commands changed, one "created|modified|deleted path" per line
] as const;

/** A path the configured commands changed; it is committed too, so the message names it. */
export interface CommandFileChange {
  readonly path: string;
  readonly change: "created" | "modified" | "deleted";
}

/** Variables inside `{{#changes}}…{{/changes}}`, one repetition per change. */
export const CHANGE_VARIABLES = ["file", "line", "image", "from", "to"] as const;

/**
 * A commit-message or pull-request template that cannot be rendered (unknown variable, unclosed
 * section). Thrown by {@link parseTemplate}, so front ends parse templates when they read their
 * inputs and fail before anything is pushed.
 *
 * @example
 * ```ts
 * parseTemplate("{{summry}}"); // throws TemplateError naming {{summry}}
 * ```
 */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
}

type Node =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "changes"; readonly body: readonly Node[] };

/** A parsed, checked template; parse once (when reading configuration), render per run. */
export interface CommitTemplate {
  readonly source: string;
  readonly nodes: readonly Node[];
}

const TAG = /\{\{\s*([#/]?)\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

/** Parses and checks a template; throws TemplateError with the offending tag on any mistake. */
export function parseTemplate(source: string): CommitTemplate {
  const root: Node[] = [];
  let current: Node[] = root;
  let inSection = false;
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    const [tag, sigil = "", name = ""] = m;
    const at = m.index ?? 0;
    if (at > last) current.push({ kind: "text", text: source.slice(last, at) });
    last = at + tag.length;
    if (sigil === "#") {
      if (name !== "changes") throw new TemplateError(`unknown section ${tag}: only {{#changes}} repeats`);
      if (inSection) throw new TemplateError(`{{#changes}} cannot be nested`);
      const body: Node[] = [];
      current.push({ kind: "changes", body });
      current = body;
      inSection = true;
    } else if (sigil === "/") {
      if (!inSection || name !== "changes") throw new TemplateError(`${tag} closes no open section`);
      current = root;
      inSection = false;
    } else {
      const allowed: readonly string[] = inSection ? CHANGE_VARIABLES : TEMPLATE_VARIABLES;
      if (!allowed.includes(name)) {
        throw new TemplateError(
          `unknown variable ${tag}${inSection ? " inside {{#changes}}" : ""}; known: ${allowed.join(", ")}`,
        );
      }
      current.push({ kind: "var", name });
    }
  }
  if (inSection) throw new TemplateError("{{#changes}} is not closed by {{/changes}}");
  if (last < source.length) current.push({ kind: "text", text: source.slice(last) });
  return { source, nodes: root };
}

function sorted(changes: readonly ImageChange[]): ImageChange[] {
  return [...changes].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(", ");
}

/** One body line of the default format. */
export function describeChange(c: ImageChange): string {
  return `${c.file}: ${c.image} ${c.from} → ${c.to}`;
}

/** The default subject line. */
export function commitSubject(changes: readonly ImageChange[]): string {
  const [only] = changes;
  if (changes.length === 1 && only) return `${only.file}: ${only.image}:${only.to}`;
  return `Update ${changes.length} images`;
}

/** The lines naming what the commands changed: `modified dist/app.yaml`. */
function commandFileLines(files: readonly CommandFileChange[]): string {
  return files.map((f) => `${f.change} ${f.path}`).join("\n");
}

function variables(
  changes: readonly ImageChange[],
  commandFiles: readonly CommandFileChange[],
): Record<(typeof TEMPLATE_VARIABLES)[number], string> {
  const list = sorted(changes);
  return {
    count: String(list.length),
    summary: commitSubject(list),
    changes: list.map(describeChange).join("\n"),
    images: distinct(list.map((c) => `${c.image}:${c.to}`)),
    files: distinct(list.map((c) => c.file)),
    image: distinct(list.map((c) => c.image)),
    from: distinct(list.map((c) => c.from)),
    to: distinct(list.map((c) => c.to)),
    file: distinct(list.map((c) => c.file)),
    commandFiles: commandFileLines(commandFiles),
  };
}

function renderNodes(
  nodes: readonly Node[],
  lookup: (name: string) => string,
  changes: readonly ImageChange[],
): string {
  let out = "";
  for (const n of nodes) {
    if (n.kind === "text") out += n.text;
    else if (n.kind === "var") out += lookup(n.name);
    else {
      for (const c of changes) {
        const fields: Record<string, string> = {
          file: c.file,
          line: String(c.line),
          image: c.image,
          from: c.from,
          to: c.to,
        };
        out += renderNodes(n.body, (name) => fields[name] ?? "", changes);
      }
    }
  }
  return out;
}

/** Each outside value of a change through `escape` (the line number is ours). */
function escaped(changes: readonly ImageChange[], escape: (text: string) => string): ImageChange[] {
  return changes.map((c) => ({
    file: escape(c.file),
    line: c.line,
    image: escape(c.image),
    from: escape(c.from),
    to: escape(c.to),
  }));
}

/** The paths commands changed are outside text too (a file name may hold a newline). */
function escapedFiles(files: readonly CommandFileChange[], escape: (text: string) => string): CommandFileChange[] {
  return files.map((f) => ({ path: escape(f.path), change: f.change }));
}

/**
 * Renders a parsed template for these changes (sorted by file and line). Each value of a change goes
 * through `escape` first: {@link oneLine} by default (commit messages, titles); a Markdown body
 * passes `markdownText`. `commandFiles` fills `{{commandFiles}}`.
 */
export function renderTemplate(
  template: CommitTemplate | string,
  changes: readonly ImageChange[],
  escape: (text: string) => string = oneLine,
  commandFiles: readonly CommandFileChange[] = [],
): string {
  const t = typeof template === "string" ? parseTemplate(template) : template;
  const safe = escaped(changes, escape);
  const vars: Record<string, string> = variables(safe, escapedFiles(commandFiles, escape));
  return renderNodes(t.nodes, (name) => vars[name] ?? "", sorted(safe));
}

/**
 * The commit message for these changes: the default format, or the user's template.
 * `commandFiles` (what the configured commands changed, committed alongside) ends the default
 * message in a paragraph of its own; a template places it with `{{commandFiles}}`.
 * Throws when there is nothing to describe — committing no change is a caller bug.
 */
export function buildCommitMessage(
  changes: readonly ImageChange[],
  template?: CommitTemplate | string,
  commandFiles: readonly CommandFileChange[] = [],
): string {
  if (changes.length === 0) throw new Error("buildCommitMessage: no changes to describe");
  if (template !== undefined) {
    const text = renderTemplate(template, changes, oneLine, commandFiles).trim();
    if (text.length === 0) throw new TemplateError("the commit message template rendered an empty message");
    return `${text}\n`;
  }
  const safe = escaped(changes, oneLine);
  const subject = commitSubject(safe);
  const body = safe.length === 1 ? [] : [sorted(safe).map(describeChange).join("\n")];
  if (commandFiles.length)
    body.push(`Changed by the configured commands:\n${commandFileLines(escapedFiles(commandFiles, oneLine))}`);
  return [subject, ...body].join("\n\n") + "\n";
}

/**
 * The trailer key Laminar marks its own commits with (`Laminar-Update: <rule>`). The rollback hold
 * (issue #14) reads it back from history: a tag moved to an older build by a commit without it was a
 * person's rollback, which the next run must respect instead of undoing.
 */
export const LAMINAR_TRAILER = "Laminar-Update";

/**
 * The `git log --format` placeholder that prints the values of a commit's `Laminar-Update` trailers,
 * separated by U+001D (a separator of its own: the placeholder can sit inside a larger format). What
 * it printed is read by {@link parseLaminarTrailers}, so the history (file-history.ts) and the
 * pull-request branch's head (`GitCommandManager.laminarTrailers`) read Laminar's trailers one way.
 */
export const LAMINAR_TRAILER_FORMAT = `%(trailers:key=${LAMINAR_TRAILER},valueonly,separator=%x1d)`;

/** The values {@link LAMINAR_TRAILER_FORMAT} printed for one commit: non-empty for Laminar's own commits. */
export function parseLaminarTrailers(printed: string): string[] {
  return printed
    .split("\x1d")
    .map((v) => v.trim())
    .filter(Boolean);
}

/**
 * The trailer of `laminar set` commits: a tag chosen by a person through Laminar. Not
 * `Laminar-Update`, so the rollback hold applies to it as to any person's commit.
 */
export const LAMINAR_SET_TRAILER = "Laminar-Set";

/**
 * Appends one `Laminar-Update: <rule>` trailer per distinct rule (in order) to a commit message, as
 * the last paragraph, so `git interpret-trailers` and `%(trailers)` read them.
 */
export function withLaminarTrailers(message: string, rules: readonly string[], key = LAMINAR_TRAILER): string {
  const names = [...new Set(rules.map((r) => r.replace(/[\r\n]+/g, " ").trim()).filter(Boolean))];
  if (names.length === 0) return message;
  return `${message.replace(/\n+$/, "")}\n\n${names.map((r) => `${key}: ${r}`).join("\n")}\n`;
}
