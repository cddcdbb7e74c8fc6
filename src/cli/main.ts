import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { applyPlan } from "../apply/apply.js";
import { ConfigError } from "../config/errors.js";
import { loadConfig } from "../config/load.js";
import { laminarSchema } from "../config/schema.js";
import type { LaminarConfig } from "../config/types.js";
import { planRepository } from "../engine.js";
import type { Plan } from "../plan/types.js";
import { formatPlan, planToJson, scanToJson, table } from "../report/format.js";
import { scanRepository } from "../scan/repository.js";
import { DEFAULT_MAX_FILE_SIZE } from "../config/types.js";
import { defaultCachePath } from "../registry/cache.js";
import { createTagSource } from "../registry/from-config.js";
import { collectSecrets } from "../secrets/collect.js";
import { knownSecrets } from "../secrets/known-secrets.js";
import { SecretMasker } from "../secrets/masker.js";
import { VERSION } from "../version.js";
import { describeError, type CliIo } from "./io.js";

export type { CliIo } from "./io.js";
export { describeError } from "./io.js";

/** The help text; it takes the environment so the cache default it names is the one this run would use. */
const usage = (
  env: NodeJS.ProcessEnv,
): string => `laminar ${VERSION}: keeps container image tags in a repository of deployment files up to date

Usage:
  laminar scan  [--dir DIR] [--json]                 list every image reference in the repository
  laminar plan  [--dir DIR] [--config FILE] [--json]  show which tags would move, and why others stay
  laminar apply [--dir DIR] [--config FILE] [--json]  rewrite the tags, then run the configured commands
  laminar watch [--dir DIR] [--interval SECONDS] [--push] [--metrics-port N]
                                                     plan + apply (+ commit and push) on a timer
  laminar schema                                     print the JSON Schema of .laminar.yaml

Options:
  --dir DIR              repository root (default: the current directory)
  --config FILE          config file (default: DIR/.laminar.yaml)
  --json                 machine-readable output
  --cache FILE           registry metadata cache (default: ${defaultCachePath(env)})
  --registry-errors M    fail (exit 3, default) or warn when a registry fails; healthy ones proceed
  --no-commands          apply: do not run the configured commands
  -h, --help, --version

Exit status: 0 done, 1 error (config, command, I/O), 2 usage, 3 some registry failed.`;

/** Runs the CLI; returns the exit status. Exported so tests can run it in-process too. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dir: { type: "string" },
        config: { type: "string" },
        json: { type: "boolean", default: false },
        cache: { type: "string" },
        "registry-errors": { type: "string", default: "fail" },
        "no-commands": { type: "boolean", default: false },
        interval: { type: "string", default: "300" },
        push: { type: "boolean", default: false },
        "metrics-port": { type: "string" },
        once: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", default: false },
      },
    });
  } catch (e) {
    io.err(`laminar: ${(e as Error).message}\n\n${usage(io.env)}`);
    return 2;
  }
  const { values: o, positionals } = args;
  if (o.version) {
    io.out(VERSION);
    return 0;
  }
  const command = positionals[0];
  if (o.help || !command) {
    (o.help ? io.out : io.err)(usage(io.env));
    return o.help ? 0 : 2;
  }
  if (o["registry-errors"] !== "fail" && o["registry-errors"] !== "warn") {
    io.err("laminar: --registry-errors must be fail or warn");
    return 2;
  }
  const dir = resolve(io.cwd, o.dir ?? ".");
  // Everything printed from here on passes through the masker (src/secrets/masker.ts).
  const redactor = new SecretMasker();
  redactor.addAll(knownSecrets({ env: io.env }));
  const safe: CliIo = { ...io, out: (s) => io.out(redactor.mask(s)), err: (s) => io.err(redactor.mask(s)) };
  try {
    if (command === "plan" || command === "apply" || command === "watch") {
      const docker = await collectSecrets(io.env);
      redactor.addAll(docker.secrets);
      for (const p of docker.problems) safe.err(`laminar: warning: ${p}`);
    }
    switch (command) {
      case "schema":
        io.out(JSON.stringify(laminarSchema, null, 2));
        return 0;
      case "scan":
        return await scanCommand(dir, o.config, o.json, io);
      case "plan":
      case "apply": {
        const config = await loadConfig(dir, o.config);
        redactor.addAll(knownSecrets({ env: io.env, config }));
        const tags = createTagSource(config, {
          dir,
          env: io.env,
          ...(o.cache ? { cachePath: resolve(io.cwd, o.cache) } : {}),
        });
        const { plan } = await planRepository(dir, config, tags.source);
        await tags.save();
        const requests = tags.counts();
        if (command === "plan") {
          safe.out(o.json ? JSON.stringify(planToJson(plan, requests), null, 2) : formatPlan(plan, requests));
          reportFailures(plan, o["registry-errors"], "planned", safe);
          return failureStatus(plan, o["registry-errors"]);
        }
        return await applyCommand(
          dir,
          config,
          plan,
          { json: o.json, commands: !o["no-commands"], mode: o["registry-errors"], requests },
          safe,
        );
      }
      case "watch": {
        // Mask the secrets the config names too (a config error is reported by the loop itself).
        const config = await loadConfig(dir, o.config).catch(() => undefined);
        if (config) redactor.addAll(knownSecrets({ env: io.env, config }));
        const { watch } = await import("./watch.js");
        return await watch(
          {
            dir,
            configPath: o.config,
            interval: Number(o.interval),
            push: o.push,
            metricsPort: o["metrics-port"] ? Number(o["metrics-port"]) : undefined,
            once: o.once,
            cachePath: o.cache ? resolve(io.cwd, o.cache) : undefined,
            redactor,
          },
          safe,
        );
      }
      default:
        io.err(`laminar: unknown command ${JSON.stringify(command)}\n\n${usage(io.env)}`);
        return 2;
    }
  } catch (e) {
    safe.err(`laminar: ${describeError(e)}`);
    return 1;
  }
}

async function scanCommand(dir: string, configPath: string | undefined, json: boolean, io: CliIo): Promise<number> {
  // The inventory covers every file; a config, when there is one, only contributes scan settings.
  let config: LaminarConfig | undefined;
  try {
    config = await loadConfig(dir, configPath);
  } catch (e) {
    if (!(e instanceof ConfigError && /not found/.test(e.detail)) || configPath) throw e;
  }
  const scan = await scanRepository(dir, {
    exclude: config?.scan.exclude ?? [],
    maxFileSize: config?.scan.maxFileSize ?? DEFAULT_MAX_FILE_SIZE,
  });
  if (json) {
    io.out(JSON.stringify({ ...scanToJson(scan.files), warnings: scan.warnings }, null, 2));
    return 0;
  }
  const rows = scan.files.flatMap((f) =>
    f.references.map((r) => [
      `${f.path}:${r.line}:${r.column}`,
      r.text,
      `${r.reference.registry}/${r.reference.repository}`,
      r.reference.tag ?? "-",
      r.reference.digest ? `${r.reference.digest.slice(0, 19)}…` : "-",
    ]),
  );
  io.out(`${rows.length} image reference(s) in ${scan.files.length} file(s) (${scan.stats.files} scanned)`);
  if (rows.length) io.out(table([["FILE:LINE:COL", "TEXT", "REPOSITORY", "TAG", "DIGEST"], ...rows]));
  for (const w of scan.warnings) io.err(`warning: ${w.file}: ${w.message}`);
  return 0;
}

async function applyCommand(
  dir: string,
  config: LaminarConfig,
  plan: Plan,
  opts: {
    json: boolean;
    commands: boolean;
    mode: string;
    requests: ReturnType<ReturnType<typeof createTagSource>["counts"]>;
  },
  io: CliIo,
): Promise<number> {
  const result = await applyPlan(dir, plan, opts.commands ? config.commands : [], {
    env: io.env,
    onCommand: (c) => opts.json || io.err(`running: ${c.run}`),
  });
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          ...planToJson(plan, opts.requests),
          files: result.files,
          commands: result.commands.map((c) => ({
            command: c.command,
            exitCode: c.exitCode,
            durationMs: c.durationMs,
          })),
        },
        null,
        2,
      ),
    );
  } else {
    io.out(formatPlan(plan, opts.requests));
    io.out(
      result.files.length
        ? `\nRewrote ${result.files.length} file(s): ${result.files.join(", ")}`
        : "\nNothing to rewrite.",
    );
  }
  reportFailures(plan, opts.mode, "updated", io);
  return failureStatus(plan, opts.mode);
}

function failureStatus(plan: Plan, mode: string): number {
  return plan.failures.length && mode === "fail" ? 3 : 0;
}

/**
 * Registry failures also go to stderr, so a CI log shows why the run exits 3 (or what `warn`
 * let through) even when stdout is JSON for another tool.
 */
function reportFailures(plan: Plan, mode: string, done: "planned" | "updated", io: CliIo): void {
  if (!plan.failures.length) return;
  const lines = plan.failures.map((f) => `  ${f.message}`).join("\n");
  if (mode === "fail")
    io.err(
      `laminar: ${plan.failures.length} registry failure(s) (exit 3; healthy registries were ${done}; --registry-errors warn exits 0):\n${lines}`,
    );
  else
    io.err(`laminar: warning: ${plan.failures.length} registry failure(s) ignored (--registry-errors warn):\n${lines}`);
}
