/**
 * `npm run example`: the main job on the bundled example, offline on a fresh machine.
 * Starts the real registry on 127.0.0.1:5055, pushes real image manifests (distinct build times, a
 * multi-arch index, a semver series), copies examples/manifests to a temporary directory and runs
 * the CLI there: `laminar scan`, `laminar plan`, `laminar apply`, then shows what changed.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRegistry } from "../test/helpers/registry/server.js";
import { seedImages, type SeedImage } from "../test/helpers/registry/seed.js";

const root = new URL("..", import.meta.url).pathname;
const PORT = Number(process.env.LAMINAR_EXAMPLE_PORT ?? 5055);

const day = (d: number, h = 0): Date => new Date(Date.UTC(2026, 10, d, h));
const images: SeedImage[] = [
  { repository: "acme/app", tag: "develop-52af76b8", created: day(18) },
  { repository: "acme/app", tag: "develop-0a1b2c3d", created: day(19) },
  { repository: "acme/app", tag: "develop-b2ee56fd", created: day(20, 10) }, // newest develop build
  { repository: "acme/app", tag: "develop-broken1", created: day(21) }, // newer, but excluded
  { repository: "acme/app", tag: "latest", created: day(22) }, // never chosen
  { repository: "acme/app", tag: "1.2.0", created: day(1) },
  { repository: "acme/app", tag: "1.10.1", created: day(10) }, // highest 1.x
  { repository: "acme/app", tag: "1.9.0", created: day(15) },
  { repository: "acme/app", tag: "2.0.0", created: day(16) }, // out of range ^1.0.0
  { repository: "acme/worker", tag: "develop-1111aaaa", created: day(18) },
  { repository: "acme/worker", tag: "develop-2222bbbb", created: day(20), platforms: ["linux/amd64", "linux/arm64"] },
];

const cli = (dir: string, ...args: string[]): number => {
  const cacheDir = join(dir, "..", "cache");
  console.log(`\n$ laminar ${args.join(" ")}`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/bin.ts"), ...args, "--dir", dir], {
    stdio: "inherit",
    env: { ...process.env, XDG_CACHE_HOME: cacheDir },
  });
  return r.status ?? 1;
};

const { ensureTools } = (await import(join(root, "scripts/tools.mjs"))) as {
  ensureTools: (o: { node24: boolean }) => void;
};
ensureTools({ node24: false });
console.log(`starting the CNCF registry on 127.0.0.1:${PORT} and pushing ${images.length} images …`);
const registry = await startRegistry({ port: PORT }).catch((e: unknown) => {
  console.error(
    `could not start the registry on port ${PORT} (${(e as Error).message}); set LAMINAR_EXAMPLE_PORT? The example files name 127.0.0.1:5055.`,
  );
  process.exit(1);
});
try {
  await seedImages(registry, images);
  const work = await mkdtemp(join(tmpdir(), "laminar-example-"));
  const dir = join(work, "manifests");
  await cp(join(root, "examples/manifests"), dir, { recursive: true });
  console.log(`example repository copied to ${dir}`);
  let status = cli(dir, "scan");
  status ||= cli(dir, "plan");
  status ||= cli(dir, "apply");
  console.log("\n$ cat rendered-images.txt   # written by the configured command `sh render.sh`");
  console.log((await readFile(join(dir, "rendered-images.txt"), "utf8")).trimEnd());
  console.log("\n$ diff -ru examples/manifests <copy>");
  spawnSync("diff", ["-ru", join(root, "examples/manifests"), dir], { stdio: "inherit" });
  status ||= cli(dir, "plan");
  process.exitCode = status;
} finally {
  await registry.stop();
}
