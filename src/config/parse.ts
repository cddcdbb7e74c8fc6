import { DOCKER_HUB, isDockerHub } from "../reference/docker-hub.js";
import type { ErrorObject } from "ajv";
import { posix } from "node:path";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from "yaml";
import { parseTemplate, TemplateError } from "../git/commit-message.js";
import { globProblem, parsePolicy, PolicyError, type SortSpec } from "../policy/policy.js";
import { parseDuration, type ConfigDuration } from "./duration.js";
import { ConfigError } from "./errors.js";
import { validate as laminarValidator } from "./laminar-validator.generated.js";
import { laminarSchema } from "./schema.js";
import {
  DEFAULT_COMMAND_TIMEOUT,
  DEFAULT_MAX_FILE_SIZE,
  type CommandSpec,
  type CosignKeySource,
  type LaminarConfig,
  type Limits,
  type PromotionRule,
  type PullRequestGroup,
  type RegistrySettings,
  type TagFilter,
  type UpdateRule,
} from "./types.js";
import { PLATFORM_PATTERN } from "../policy/platforms.js";

/** Config files are small; anything bigger is a mistake or an attack (huge documents). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_DEPTH = 32;
const MAX_ALIASES = 100;

/**
 * The schema is compiled ahead of time (scripts/validators.mjs): compiling it on every run cost a
 * small `plan` about 13 MB of RSS (#12). Same ajv options as before: `allErrors`, strict, union types.
 */
function validate(data: unknown): ErrorObject[] {
  const v = laminarValidator as unknown as { (data: unknown): boolean; errors?: ErrorObject[] | null };
  return v(data) ? [] : [...(v.errors ?? [])];
}

/** One step of a path into a YAML document: a key or a list index. */
export type PathSeg = string | number;

/**
 * Parses and fully validates `.laminar.yaml` text. Pure: the caller reads the file.
 * Every problem is a `ConfigError` naming file, line, column and key; nothing runs on a bad config.
 */
export function parseConfig(text: string, file = ".laminar.yaml"): LaminarConfig {
  const { data, fail, locate } = parseValidatedYaml(text, file, {
    validate,
    schema: laminarSchema,
    empty: "the file is empty; it needs at least an `updates` list",
  });
  return build(data as RawConfig, file, fail, locate);
}

/** Reports a problem at a path of the document (`["updates", 0, "pattern"]`); never returns. */
export type FailAt = (path: readonly PathSeg[], detail: string, keyOf?: boolean) => never;
/** Line and column of the node at a path of the document. */
export type LocateAt = (path: readonly PathSeg[]) => { line: number; col: number };

/**
 * The guarded YAML reading every Laminar config format shares (`.laminar.yaml`, the server file):
 * size and depth limits, strict YAML, alias-bomb refusal, then schema validation with errors
 * worded and positioned. Returns the plain data with `fail`/`locate` bound to the document, so the
 * format's builder reports its own semantic errors with the same file, line and key.
 */
export function parseValidatedYaml(
  text: string,
  file: string,
  format: { validate: (data: unknown) => ErrorObject[]; schema: object; empty: string },
): { data: unknown; fail: FailAt; locate: LocateAt } {
  if (Buffer.byteLength(text, "utf8") > MAX_CONFIG_BYTES) {
    throw new ConfigError(file, 1, 1, "", `file is larger than ${MAX_CONFIG_BYTES} bytes; refusing to parse it`);
  }
  // The YAML parser recurses per nesting level and its lexer builds a regex per flow level:
  // `[[[[…` 10k deep (20 kB) takes the process down with a fatal out-of-memory, not an exception.
  const deep = tooDeep(text, MAX_DEPTH * 2);
  if (deep)
    throw new ConfigError(
      file,
      deep.line,
      deep.column,
      "",
      `nesting deeper than ${MAX_DEPTH} levels; refusing to parse it`,
    );
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true, merge: true });
  } catch (e) {
    // The parser recurses per nesting level; absurd nesting ends in a RangeError.
    throw new ConfigError(file, 1, 1, "", `cannot parse YAML: ${(e as Error).message}`);
  }
  const at = (offset: number): { line: number; col: number } => lineCounter.linePos(offset);
  const first = doc.errors[0];
  if (first) {
    let offset = first.pos[0];
    let message = first.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "";
    // An unclosed quote is reported where the file ends; point at the quote that opened it.
    const quote = first.code === "MISSING_CHAR" ? /Missing closing (["'])quote/.exec(message)?.[1] : undefined;
    if (quote && text.lastIndexOf(quote, offset - 1) >= 0) {
      offset = text.lastIndexOf(quote, offset - 1);
      message += " (the string that starts here never ends)";
    }
    const p = at(offset);
    throw new ConfigError(file, p.line, p.col, "", `YAML syntax error: ${message}`);
  }
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ""))) {
    throw new ConfigError(file, 1, 1, "", format.empty);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    throw new ConfigError(file, 1, 1, "", `refusing the document: ${(e as Error).message} (alias bomb?)`);
  }
  if (depthOf(data) > MAX_DEPTH) throw new ConfigError(file, 1, 1, "", `nesting deeper than ${MAX_DEPTH} levels`);

  const locate = (path: readonly PathSeg[], keyOf = false): { line: number; col: number } => {
    const node = nodeAt(doc, path, keyOf);
    return node?.range ? at(node.range[0]) : { line: 1, col: 1 };
  };
  const fail = (path: readonly PathSeg[], detail: string, keyOf = false): never => {
    const p = locate(path, keyOf);
    throw new ConfigError(file, p.line, p.col, keyName(path), detail);
  };

  const errors = format.validate(data);
  if (errors.length) {
    const { path, detail, keyOf } = describeSchemaError(errors, format.schema);
    fail(path, detail, keyOf);
  }
  return { data, fail, locate };
}

/**
 * Builds the `LaminarConfig` of one `.laminar.yaml`-shaped section of a larger document (the
 * server file gives each repository one): `fail`/`locate` map the section's paths to the document.
 */
export function buildConfigSection(
  raw: unknown,
  file: string,
  fail: FailAt,
  locate: LocateAt,
  options: { requireUpdates: boolean },
): LaminarConfig {
  return build(raw as RawConfig, file, fail, locate, options);
}

interface RawPatternEntry {
  pattern: string;
  images?: string[];
}
interface RawUpdate {
  name?: string;
  pattern: string;
  files: Array<string | { path: string }>;
  images?: string[];
  exclude?: Array<string | RawPatternEntry>;
  blacklist?: Array<string | RawPatternEntry>;
  sort?: SortSpec["by"] | SortSpec;
  prerelease?: boolean;
  minAge?: string;
  platforms?: string[];
  digest?: "refresh" | "keep";
  verify?: { cosign: { key?: string; keyEnv?: string } };
}
interface RawPromotion {
  name: string;
  from: Array<string | { path: string }>;
  to: Array<string | { path: string }>;
  images?: string[];
  soak: string;
  minAge?: string;
}
type RawCommand = string | { run: string; name?: string; timeout?: number };
interface RawConfig {
  registries?: Array<Omit<RegistrySettings, "prefix">>;
  dockerRegistries?: Array<{ reg: string; name?: string; timeOut?: number }>;
  updates?: RawUpdate[];
  promotions?: RawPromotion[];
  commands?: RawCommand[];
  preCommitCommands?: RawCommand[];
  scan?: { maxFileSize?: number; exclude?: string[]; threads?: number };
  limits?: Limits;
  global?: { gitUser?: string; gitEmail?: string; gitMessage?: string };
  pullRequests?: { group?: PullRequestGroup };
}

/** `verify.cosign`: exactly one of `key` (a file inside the repository) or `keyEnv`. */
function cosignKeyAt(
  raw: { key?: string; keyEnv?: string },
  at: PathSeg[],
  fail: (path: readonly PathSeg[], detail: string, keyOf?: boolean) => never,
  locate: (path: readonly PathSeg[]) => { line: number; col: number },
  file: string,
): CosignKeySource {
  const p = locate(at);
  const position = { file, line: p.line, column: p.col };
  if ((raw.key === undefined) === (raw.keyEnv === undefined))
    fail(at, "set exactly one of `key` (a PEM file in the repository) or `keyEnv` (a variable holding the PEM)");
  if (raw.keyEnv !== undefined) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.keyEnv))
      fail([...at, "keyEnv"], `${JSON.stringify(raw.keyEnv)} is not an environment variable name`);
    return { keyEnv: raw.keyEnv, position };
  }
  const key = raw.key!;
  // The key is read from the repository's work tree: a path outside it would read the runner's files.
  if (posix.isAbsolute(key) || /^[A-Za-z]:/.test(key) || key.split(/[\\/]/).includes(".."))
    fail([...at, "key"], `${JSON.stringify(key)} must be a path inside the repository (relative, no \`..\`)`);
  return { key, position };
}

function build(
  raw: RawConfig,
  file: string,
  fail: (path: readonly PathSeg[], detail: string, keyOf?: boolean) => never,
  locate: (path: readonly PathSeg[]) => { line: number; col: number },
  options: { requireUpdates: boolean } = { requireUpdates: true },
): LaminarConfig {
  if (raw.registries && raw.dockerRegistries)
    fail(["dockerRegistries"], "use either `registries` or the original `dockerRegistries`, not both", true);
  if (raw.commands && raw.preCommitCommands)
    fail(["preCommitCommands"], "use either `commands` or the original `preCommitCommands`, not both", true);
  if (options.requireUpdates && (!raw.updates || raw.updates.length === 0) && !raw.promotions?.length)
    fail(raw.updates ? ["updates"] : [], "no `updates` rules (or `promotions`): nothing to do");

  const registries: RegistrySettings[] = [];
  for (const [i, r] of (raw.registries ?? []).entries()) {
    registries.push({ ...r, ...splitRegistry(r.host, (d) => fail(["registries", i, "host"], d)) });
  }
  for (const [i, r] of (raw.dockerRegistries ?? []).entries()) {
    registries.push({
      ...splitRegistry(r.reg, (d) => fail(["dockerRegistries", i, "reg"], d)),
      ...(r.name !== undefined ? { name: r.name } : {}),
      ...(r.timeOut !== undefined ? { timeout: r.timeOut } : {}),
    });
  }

  const updates: UpdateRule[] = [];
  const seen = new Map<string, number>();
  for (const [i, u] of (raw.updates ?? []).entries()) {
    const base: PathSeg[] = ["updates", i];
    const sort: SortSpec | undefined = typeof u.sort === "string" ? { by: u.sort } : u.sort;
    let policy;
    try {
      policy = parsePolicy(u.pattern, { sort, prerelease: u.prerelease });
    } catch (e) {
      if (e instanceof PolicyError)
        fail([...base, e.message.startsWith("`sort`") || e.message.startsWith("sort") ? "sort" : "pattern"], e.message);
      throw e;
    }
    const files = u.files.map((f, j) => {
      const path = typeof f === "string" ? f : f.path;
      return normaliseFileSelector(path, (d) =>
        fail([...base, "files", j, ...(typeof f === "string" ? [] : ["path"])], d),
      );
    });
    const images = (u.images ?? []).map((g, j) => checkGlob(g, (d) => fail([...base, "images", j], d)));
    const exclude: TagFilter[] = [];
    for (const key of ["exclude", "blacklist"] as const) {
      for (const [j, e] of (u[key] ?? []).entries()) {
        const pattern = typeof e === "string" ? e : e.pattern;
        const where: PathSeg[] = [...base, key, j, ...(typeof e === "string" ? [] : ["pattern"])];
        try {
          const policy = parsePolicy(pattern);
          const q = locate(where);
          exclude.push({
            policy,
            at: { key, index: j, position: { file, line: q.line, column: q.col } },
            images:
              typeof e === "string"
                ? []
                : (e.images ?? []).map((g, k) => checkGlob(g, (d) => fail([...base, key, j, "images", k], d))),
          });
        } catch (err) {
          if (err instanceof PolicyError) fail(where, err.message);
          throw err;
        }
      }
    }
    const platforms = (u.platforms ?? []).map((pl, j) => {
      if (!PLATFORM_PATTERN.test(pl))
        fail([...base, "platforms", j], `${JSON.stringify(pl)} is not os/arch[/variant] (e.g. linux/arm64)`);
      return pl;
    });
    const verify = u.verify && {
      cosign: cosignKeyAt(u.verify.cosign, [...base, "verify", "cosign"], fail, locate, file),
    };
    const identity = JSON.stringify([u.pattern, [...files].sort(), [...images].sort()]);
    const dup = seen.get(identity);
    if (dup !== undefined) fail(base, `duplicate of updates[${dup}] (same pattern, files and images)`);
    seen.set(identity, i);
    const minAge = u.minAge === undefined ? undefined : durationAt(u.minAge, (d) => fail([...base, "minAge"], d));
    const p = locate(base);
    const filePositions = u.files.map((_, j) => {
      const q = locate([...base, "files", j]);
      return { file, line: q.line, column: q.col };
    });
    const pp = locate([...base, "pattern"]);
    updates.push({
      name: u.name ?? `updates[${i}]`,
      index: i,
      position: { file, line: p.line, column: p.col },
      patternPosition: { file, line: pp.line, column: pp.col },
      policy,
      files,
      filePositions,
      images,
      exclude,
      ...(minAge ? { minAge } : {}),
      ...(platforms.length ? { platforms } : {}),
      ...(u.digest === "refresh" ? { digest: "refresh" as const } : {}),
      ...(verify ? { verify } : {}),
    });
  }

  const promotions: PromotionRule[] = [];
  for (const [i, r] of (raw.promotions ?? []).entries()) {
    const base: PathSeg[] = ["promotions", i];
    const dup = promotions.find((q) => q.name === r.name);
    if (dup) fail([...base, "name"], `duplicate promotion name ${JSON.stringify(r.name)} (promotions[${dup.index}])`);
    const selectors = (key: "from" | "to"): string[] =>
      r[key].map((f, j) =>
        normaliseFileSelector(typeof f === "string" ? f : f.path, (d) =>
          fail([...base, key, j, ...(typeof f === "string" ? [] : ["path"])], d),
        ),
      );
    const from = selectors("from");
    const to = selectors("to");
    const both = to.find((t) => from.includes(t));
    if (both !== undefined) fail([...base, "to"], `${JSON.stringify(both)} is in both \`from\` and \`to\``);
    const soak = durationAt(r.soak, (d) => fail([...base, "soak"], d));
    const minAge = r.minAge === undefined ? undefined : durationAt(r.minAge, (d) => fail([...base, "minAge"], d));
    const p = locate(base);
    const positions = (key: "from" | "to") =>
      r[key].map((_, j) => {
        const q = locate([...base, key, j]);
        return { file, line: q.line, column: q.col };
      });
    promotions.push({
      name: r.name,
      index: i,
      position: { file, line: p.line, column: p.col },
      from,
      to,
      pathPositions: { from: positions("from"), to: positions("to") },
      images: (r.images ?? []).map((g, j) => checkGlob(g, (d) => fail([...base, "images", j], d))),
      soak,
      ...(minAge ? { minAge } : {}),
    });
  }

  const commands: CommandSpec[] = (raw.commands ?? raw.preCommitCommands ?? []).map((c) =>
    typeof c === "string"
      ? { run: c, timeout: DEFAULT_COMMAND_TIMEOUT }
      : {
          run: c.run,
          timeout: c.timeout ?? DEFAULT_COMMAND_TIMEOUT,
          ...(c.name !== undefined ? { name: c.name } : {}),
        },
  );
  const scanExclude = (raw.scan?.exclude ?? []).map((g, j) => checkGlob(g, (d) => fail(["scan", "exclude", j], d)));
  const g = raw.global ?? {};
  // Parsed here, not at commit time, so a typo in the template fails the run before any git work.
  if (g.gitMessage !== undefined) {
    try {
      parseTemplate(g.gitMessage);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      fail(["global", "gitMessage"], e.message);
    }
  }
  return {
    file,
    registries,
    updates,
    promotions,
    commands,
    scan: {
      maxFileSize: raw.scan?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
      exclude: scanExclude,
      ...(raw.scan?.threads ? { threads: raw.scan.threads } : {}),
    },
    limits: { ...raw.limits },
    commit: {
      ...(g.gitUser !== undefined ? { authorName: g.gitUser } : {}),
      ...(g.gitEmail !== undefined ? { authorEmail: g.gitEmail } : {}),
      ...(g.gitMessage !== undefined ? { message: g.gitMessage } : {}),
    },
    ...(raw.pullRequests?.group ? { pullRequests: { group: raw.pullRequests.group } } : {}),
  };
}

/** `ghcr.io/acme` → host `ghcr.io`, prefix `acme`; `index.docker.io` and `docker.io` are one registry. */
export function splitRegistry(text: string, fail: (detail: string) => never): { host: string; prefix: string } {
  const t = text
    .trim()
    .replace(/^[a-z]+:\/\//i, "")
    .replace(/\/+$/, "");
  const slash = t.indexOf("/");
  let host = (slash < 0 ? t : t.slice(0, slash)).toLowerCase();
  const prefix = slash < 0 ? "" : t.slice(slash + 1);
  if (!/^(\[[0-9a-f:]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)(:\d{1,5})?$/.test(host)) {
    fail(`${JSON.stringify(text)} is not a registry host[:port][/prefix]`);
  }
  if (prefix && !/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(prefix)) {
    fail(`${JSON.stringify(prefix)} is not a valid repository prefix`);
  }
  if (isDockerHub(host)) host = DOCKER_HUB;
  return { host, prefix };
}

/**
 * A `files` entry becomes a glob relative to the repo root. Paths that could leave the repository
 * (`../x`, `/etc`) are refused here, before anything reads the disk.
 */
export function normaliseFileSelector(path: string, fail: (detail: string) => never): string {
  const trimmed = path.trim();
  if (posix.isAbsolute(trimmed) || /^[A-Za-z]:[\\/]/.test(trimmed))
    fail(`${JSON.stringify(path)} is absolute; use a path relative to the repository root`);
  const norm = posix.normalize(trimmed.replace(/\\/g, "/"));
  if (norm === ".." || norm.startsWith("../")) fail(`${JSON.stringify(path)} points outside the repository`);
  const clean = norm.replace(/^\.\/?/, "").replace(/\/+$/, "");
  checkGlob(clean || "**", fail);
  return clean === "" ? "**" : clean;
}

/** A duration key (`minAge`, `soak`), or the config error at its line. */
function durationAt(text: string, fail: (detail: string) => never): ConfigDuration {
  const d = parseDuration(text);
  if ("problem" in d) fail(d.problem);
  return d;
}

function checkGlob(glob: string, fail: (detail: string) => never): string {
  const problem = globProblem(glob);
  if (problem) fail(problem);
  return glob;
}

/**
 * A cheap upper bound of the nesting depth, before the parser sees the text: open flow brackets
 * outside quotes and comments, plus block levels (indentation steps and compact `- - -` entries).
 * Returns where it first exceeds `max`.
 */
export function tooDeep(text: string, max: number): { line: number; column: number } | undefined {
  const indents: number[] = [];
  let flow = 0;
  let quote: "'" | '"' | undefined;
  const lines = text.split("\n");
  for (let ln = 0; ln < lines.length; ln++) {
    const l = lines[ln] as string;
    if (!quote && flow === 0 && /\S/.test(l) && !/^\s*#/.test(l)) {
      const m = /^( *)((?:[-?](?: +|$))*)/.exec(l) as RegExpExecArray;
      const indent = (m[1] as string).length;
      while (indents.length && (indents[indents.length - 1] as number) >= indent) indents.pop();
      indents.push(indent);
      const compact = ((m[2] as string).match(/[-?]/g) ?? []).length;
      if (indents.length + compact > max) return { line: ln + 1, column: indent + 1 };
    }
    for (let i = 0; i < l.length; i++) {
      const c = l[i];
      if (quote === '"') {
        if (c === "\\") i++;
        else if (c === '"') quote = undefined;
        continue;
      }
      if (quote === "'") {
        if (c === "'" && l[i + 1] === "'") i++;
        else if (c === "'") quote = undefined;
        continue;
      }
      const prev = i === 0 ? " " : (l[i - 1] as string);
      if (c === "#" && /\s/.test(prev)) break;
      if ((c === '"' || c === "'") && /[\s:,[{-]/.test(prev)) quote = c;
      else if (c === "[" || c === "{") {
        flow++;
        if (indents.length + flow > max) return { line: ln + 1, column: i + 1 };
      } else if ((c === "]" || c === "}") && flow > 0) flow--;
    }
  }
  return undefined;
}

function depthOf(v: unknown, depth = 0): number {
  if (depth > MAX_DEPTH || v === null || typeof v !== "object") return depth;
  let max = depth;
  for (const child of Object.values(v as Record<string, unknown>)) max = Math.max(max, depthOf(child, depth + 1));
  return max;
}

/** `git[0].notify[1].slack`: a path as error messages name it. */
export function keyName(path: readonly PathSeg[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

function nodeAt(doc: Document.Parsed, path: readonly PathSeg[], keyOf: boolean): YamlNode | null {
  let node: unknown = doc.contents;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair) return node as YamlNode;
      if (last && keyOf) return pair.key as YamlNode;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === "number") {
      node = node.items[seg] ?? node;
    } else break;
  }
  return (node as YamlNode | null) ?? null;
}

const PLAIN_TYPES: Record<string, string> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

/** Picks the most useful of ajv's errors (the deepest, not the `oneOf` summary) and words it. */
function describeSchemaError(
  errors: ErrorObject[],
  schema: object,
): { path: PathSeg[]; detail: string; keyOf: boolean } {
  const toPath = (p: string): PathSeg[] =>
    p
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const unknown = errors.find((e) => e.keyword === "additionalProperties");
  const depth = (e: ErrorObject) => e.instancePath.split("/").length;
  const maxDepth = Math.max(...errors.map(depth));
  if (unknown && depth(unknown) >= maxDepth) {
    const prop = String((unknown.params as { additionalProperty: string }).additionalProperty);
    const path = [...toPath(unknown.instancePath), prop];
    const allowed = allowedKeys(unknown.schemaPath, schema);
    const hint = closest(prop, allowed);
    return {
      path,
      detail: `unknown key ${JSON.stringify(prop)}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ""}`,
      keyOf: true,
    };
  }
  const deepest = errors.filter((e) => depth(e) === maxDepth && e.keyword !== "oneOf");
  const e = deepest[0] ?? (errors[0] as ErrorObject);
  const path = toPath(e.instancePath);
  const types = deepest
    .filter((x) => x.keyword === "type")
    .map(
      (x) => PLAIN_TYPES[String((x.params as { type: string }).type)] ?? String((x.params as { type: string }).type),
    );
  if (types.length) return { path, detail: `must be ${[...new Set(types)].join(" or ")}`, keyOf: false };
  switch (e.keyword) {
    case "required":
      return {
        path,
        detail: `missing required key ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`,
        keyOf: false,
      };
    case "enum":
      return {
        path,
        detail: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`,
        keyOf: false,
      };
    case "const":
      return {
        path,
        detail: `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`,
        keyOf: false,
      };
    case "minItems":
      return { path, detail: "must not be empty", keyOf: false };
    case "minLength":
      return { path, detail: "must not be empty", keyOf: false };
    default:
      return { path, detail: e.message ?? "is invalid", keyOf: false };
  }
}

function allowedKeys(schemaPath: string, schema: object): string[] {
  // schemaPath like "#/properties/updates/items/additionalProperties"
  let node: unknown = schema;
  for (const seg of schemaPath.replace(/^#\//, "").split("/").slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[seg];
  }
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] as number;
}
