/**
 * `npx tsx bench/scale-profile.ts [--files 2000] [--repos 500] [--tags 20]`: where the wall time of
 * a cold `laminar plan` at scale goes (issue #12), against its floor.
 *
 * A real registry (docker-registry on 127.0.0.1, no auth) holds `--repos` repositories of `--tags`
 * semver tags, and a manifests repository holds `--files` files whose references follow
 * `semver:^1.0.0` (none pinned `tag@digest`): the plan needs one tag list per repository and
 * nothing else, `--repos` + 1 requests (the ping). It measures, each in a fresh process:
 *
 *   a. `node -e ''`: Node's own start;
 *   b. the scan alone (`scanForConfig`, as the plan runs it) over the files;
 *   c. the tag-list GETs with plain `fetch` at the client's per-registry concurrency (8);
 *   d. `laminar plan --json` with an empty cache, the bundled CLI.
 *
 * floor = a + b + c; it prints d ÷ floor. Then it runs d under `--cpu-prof` and lists the
 * functions with the most self time. Nothing is enforced: wall time on shared cores is noisy.
 * `--keep` keeps the work directory (and the .cpuprofile) and prints where it is; `--hold` keeps
 * the registry up afterwards (until Ctrl-C) to profile by hand; `--runs N` repeats each measure
 * (median, default 3); `--cli FILE` measures that CLI instead of bundling src/.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseArgs } from "node:util";
import { startRegistry, type RunningRegistry } from "../test/helpers/registry/server.js";
import { seedImages, tagImage, type SeededImage } from "../test/helpers/registry/seed.js";
import { generateTree, refPicker, writeTree } from "./manifests.js";
import { ROOT } from "./measure.js";
import { repoName, SEMVER_PATTERN, type BenchRepo } from "./registry-data.js";
import { median } from "./scan-bench.js";

/** The client's per-registry default (src/registry/http.ts): what the floor's tag lists get. */
const PER_REGISTRY = 8;

const log = (msg: string): void => {
  process.stderr.write(`[scale] ${msg}\n`);
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        wallMs: performance.now() - started,
      }),
    );
  });
}

/** `1.M.P` releases: all in the `^1.0.0` channel, so no build time is ever needed. */
function semverRepos(count: number, tags: number): BenchRepo[] {
  return Array.from({ length: count }, (_, r) => ({
    name: repoName(r),
    kind: "semver" as const,
    tags: Array.from({ length: tags }, (_, k) => ({
      tag: `1.${Math.floor(k / 10)}.${k % 10}`,
      created: new Date(Date.UTC(2024, 0, 1) + k * 60_000),
      inChannel: true,
    })),
  }));
}

/** One image per repository, then the other tags pointed at it: one manifest PUT per tag. */
async function seed(registry: RunningRegistry, repos: readonly BenchRepo[]): Promise<void> {
  const started = performance.now();
  const firsts: SeededImage[] = await seedImages(
    registry,
    repos.map((r) => ({ repository: r.name, tag: r.tags[0]!.tag, created: r.tags[0]!.created })),
    { concurrency: 16 },
  );
  const rest = repos.flatMap((r, i) => r.tags.slice(1).map((t) => ({ image: firsts[i]!, tag: t.tag })));
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < rest.length) {
        const { image, tag } = rest[next++]!;
        await tagImage(registry, image, tag);
      }
    }),
  );
  log(
    `seeded ${repos.length} repositories × ${repos[0]?.tags.length ?? 0} tags in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * dist/ as `scripts/bundle.mjs` builds it (the CLI entry with its chunks, the cloud SDKs split off),
 * written under `dir` instead of dist/: the figures are those of the CLI users run.
 */
async function bundleDist(dir: string): Promise<string> {
  const script = join(ROOT, "scripts/bundle.mjs");
  const { bundle } = (await import(script)) as {
    bundle(o: { write: boolean }): Promise<Array<{ path: string; text: string }>>;
  };
  for (const f of await bundle({ write: false })) {
    const to = join(dir, relative(join(ROOT, "dist"), f.path));
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, f.text);
  }
  await writeFile(join(dir, "package.json"), '{ "type": "module" }\n');
  return join(dir, "cli.js");
}

// ---- the floor's parts, each a plain Node program (no tsx) timed from inside -------------------

/** The scan as the plan runs it (`loadConfig` + `scanForConfig`), bundled like the CLI. */
async function bundleScan(dir: string): Promise<string> {
  const { build } = await import("esbuild");
  const out = join(dir, "scan.mjs");
  await build({
    absWorkingDir: ROOT,
    stdin: {
      resolveDir: ROOT,
      sourcefile: "scan-entry.ts",
      contents: [
        'import { loadConfig } from "./src/config/load.js";',
        'import { scanForConfig } from "./src/pipeline.js";',
        "const dir = process.argv[2];",
        "const config = await loadConfig(dir);",
        "const started = performance.now();",
        "const scan = await scanForConfig(dir, config);",
        "const ms = performance.now() - started;",
        "const refs = scan.files.reduce((k, f) => k + f.references.length, 0);",
        "process.stdout.write(JSON.stringify({ ms, files: scan.files.length, refs }) + '\\n');",
      ].join("\n"),
    },
    outfile: out,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    logLevel: "silent",
    banner: { js: "import { createRequire as __cr } from 'node:module';\nconst require = __cr(import.meta.url);" },
  });
  return out;
}

/** `--repos` + 1 GETs (ping + one tag list each) with plain fetch, `PER_REGISTRY` at once. */
const TAGS_CHILD = `
const [base, list] = process.argv.slice(2);
const repos = list.split(",");
const started = performance.now();
await (await fetch(base + "/v2/")).arrayBuffer();
let next = 0;
let tags = 0;
await Promise.all(Array.from({ length: ${PER_REGISTRY} }, async () => {
  while (next < repos.length) {
    const r = repos[next++];
    const res = await fetch(base + "/v2/" + r + "/tags/list?n=1000");
    if (!res.ok) throw new Error(r + ": HTTP " + res.status);
    tags += (await res.json()).tags.length;
  }
}));
process.stdout.write(JSON.stringify({ ms: performance.now() - started, tags }) + "\\n");
`;

// ---- the CPU profile ---------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a sample's time went, by the code it was in: the first frame with a source file. */
function sourceOf(frames: readonly ProfileNode["callFrame"][]): string {
  const top = frames[0]!.functionName;
  if (top === "(garbage collector)") return "garbage collector";
  if (top === "(idle)") return "idle (waiting for I/O)";
  if (top === "(program)") return "V8 (program)";
  const url = frames.find((f) => f.url)?.url ?? "";
  if (/undici/.test(url)) return "fetch (undici)";
  if (/internal\/(modules|bootstrap)|esm\//.test(url)) return "module loading";
  if (/fs\/|node:fs/.test(url)) return "file system";
  if (/^node:(https?|_http|net)|internal\/(http|net|stream_base)/.test(url)) return "HTTP (node:http, sockets)";
  if (url.startsWith("file://")) return "the CLI bundle (Laminar and its packages)";
  return url.startsWith("node:") ? "other Node internals" : url || "other";
}

/** Self time per function (name + file:line) and per source, highest first. */
export function selfTimes(profile: CpuProfile): {
  total: number;
  top: Array<{ name: string; ms: number }>;
  sources: Array<{ name: string; ms: number }>;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const sources = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v);
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]!)!;
    const f = n.callFrame;
    const file = f.url.replace(/^file:\/\//, "").replace(ROOT, "");
    const name = `${f.functionName || "(anonymous)"}${file ? ` ${file.split("/").slice(-2).join("/")}:${f.lineNumber + 1}` : ""}`;
    // A sample's time is the delta to the next one.
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    add(self, name, dt);
    const frames: ProfileNode["callFrame"][] = [];
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) frames.push(byId.get(id)!.callFrame);
    add(sources, sourceOf(frames), dt);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  const sorted = (m: Map<string, number>) =>
    [...m.entries()].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms);
  return { total, top: sorted(self), sources: sorted(sources) };
}

// ---- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      files: { type: "string", default: "2000" },
      repos: { type: "string", default: "500" },
      tags: { type: "string", default: "20" },
      runs: { type: "string", default: "3" },
      top: { type: "string", default: "20" },
      cli: { type: "string" },
      keep: { type: "boolean", default: false },
      hold: { type: "boolean", default: false },
    },
  });

  const files = Number(values.files);
  const repoCount = Number(values.repos);
  const tagCount = Number(values.tags);
  const runs = Math.max(1, Number(values.runs));
  const work = await mkdtemp(join(tmpdir(), "laminar-scale-"));
  let registry: RunningRegistry | undefined;
  try {
    const cli = values.cli ?? (await bundleDist(join(work, "cli")));
    log(`CLI ${cli}; work directory ${work}`);
    registry = await startRegistry({ auth: "none" });
    const repos = semverRepos(repoCount, tagCount);
    await seed(registry, repos);

    const dir = join(work, "repo");
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, ".laminar.yaml"),
      `registries:\n  - host: ${registry.host}\nupdates:\n  - name: releases\n    pattern: "${SEMVER_PATTERN}"\n    files: ["**"]\n`,
    );
    // No digests: no reference is pinned `tag@digest`, so no move needs a manifest request.
    const tree = await writeTree(
      dir,
      generateTree({
        files,
        refs: files,
        repos,
        host: registry.host,
        pick: refPicker(registry.host, new Map()),
        noise: [500, 3000],
        noiseShare: 0.1,
        seed: 3,
      }),
    );
    log(`repository: ${tree.files} files, ${tree.refs} references, ${(tree.bytes / 1e6).toFixed(1)} MB`);

    const node = process.execPath;
    const scanJs = await bundleScan(join(work, "cli"));
    const tagsJs = join(work, "cli", "tags.mjs");
    await writeFile(tagsJs, TAGS_CHILD);
    const start: number[] = [];
    const scan: number[] = [];
    const tags: number[] = [];
    const plan: number[] = [];
    let requests: unknown;
    for (let i = 0; i < runs; i++) {
      start.push((await run(node, ["-e", ""])).wallMs);
      const s = await run(node, [scanJs, dir]);
      if (s.code !== 0) throw new Error(`scan child: ${s.stderr}`);
      scan.push((JSON.parse(s.stdout) as { ms: number }).ms);
      const t = await run(node, [tagsJs, registry.url, repos.map((r) => r.name).join(",")]);
      if (t.code !== 0) throw new Error(`tags child: ${t.stderr}`);
      tags.push((JSON.parse(t.stdout) as { ms: number }).ms);
      const cache = join(work, `cache-${i}.json`);
      const p = await run(node, [cli, "plan", "--dir", dir, "--json", "--cache", cache]);
      if (p.code !== 0) throw new Error(`laminar plan exited ${p.code}: ${p.stderr.slice(0, 2000)}`);
      const json = JSON.parse(p.stdout) as { requests: unknown; changes: unknown[] };
      requests = json.requests;
      plan.push(p.wallMs);
      log(
        `run ${i + 1}: start ${start[i]!.toFixed(0)} ms, scan ${scan[i]!.toFixed(0)} ms, tag lists ${tags[i]!.toFixed(0)} ms, plan ${plan[i]!.toFixed(0)} ms (${json.changes.length} changes)`,
      );
    }
    const a = median(start);
    const b = median(scan);
    const c = median(tags);
    const d = median(plan);
    const floor = a + b + c;
    const fmt = (xs: number[]): string => `${median(xs).toFixed(0)} ms (${xs.map((x) => x.toFixed(0)).join(", ")})`;
    console.log(
      `\n${files} files, ${repoCount} repositories × ${tagCount} tags; cold plan requests ${JSON.stringify(requests)}`,
    );
    console.log(`a. node start           ${fmt(start)}`);
    console.log(`b. scan alone           ${fmt(scan)}`);
    console.log(`c. ${repoCount + 1} GETs, ${PER_REGISTRY} at once ${fmt(tags)}`);
    console.log(`floor = a + b + c       ${floor.toFixed(0)} ms`);
    console.log(`d. cold laminar plan    ${fmt(plan)}`);
    console.log(`d ÷ floor               ${(d / floor).toFixed(2)}×`);

    // The profile of one more cold run.
    const profDir = join(work, "profile");
    const p = await run(node, [
      "--cpu-prof",
      "--cpu-prof-dir",
      profDir,
      cli,
      "plan",
      "--dir",
      dir,
      "--json",
      "--cache",
      join(work, "cache-prof.json"),
    ]);
    if (p.code !== 0) throw new Error(`profiled plan exited ${p.code}: ${p.stderr.slice(0, 2000)}`);
    const [file] = (await readdir(profDir)).filter((f) => f.endsWith(".cpuprofile"));
    const profile = JSON.parse(await readFile(join(profDir, file!), "utf8")) as CpuProfile;
    const { total, top, sources } = selfTimes(profile);
    console.log(
      `\nCPU profile of a cold plan (${p.wallMs.toFixed(0)} ms wall, ${total.toFixed(0)} ms profiled), self time:`,
    );
    for (const t of top.slice(0, Number(values.top)))
      console.log(`  ${t.ms.toFixed(1).padStart(8)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${t.name}`);
    console.log("by source:");
    for (const t of sources)
      console.log(`  ${t.ms.toFixed(1).padStart(8)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)}%  ${t.name}`);
    if (values.hold) {
      // Profile by hand against the same registry: it stays up until this process is interrupted.
      console.log(`\nholding: registry ${registry.url}, repository ${dir}, CLI ${cli}; Ctrl-C to stop`);
      await new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
    }
    if (values.keep) console.log(`\nkept: ${work} (profile: ${join(profDir, file!)})`);
  } finally {
    await registry?.stop().catch(() => undefined);
    if (!values.keep) await rm(work, { recursive: true, force: true });
  }
}

// Run, unless imported (selfTimes is of use on its own).
if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1])
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
