/**
 * The README's "## Library" example, run verbatim as a library user runs it: the code block is
 * copied into a manifests repository, `@laminar-gitops/laminar` resolves to this package through its
 * package.json `exports` (the built lib/), and node runs it there against a real registry.
 * If the README and the exports drift apart, this fails.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const root = new URL("..", import.meta.url).pathname;

/** The first ```ts block of the README's "## Library" section, exactly as written. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Library\n"));
  assert.ok(section, 'README.md has a "## Library" section');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(section);
  assert.ok(block?.[1], 'the "## Library" section has a ```ts block');
  return block[1];
}

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("README library example", () => {
  let registry: RunningRegistry;
  before(async () => {
    // The package as a user gets it: lib/ built from src/ (package.json "exports" points there).
    // A full build every time: incremental state would either be packed with lib/ or go stale beside it.
    const build = spawnSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: root,
        encoding: "utf8",
      },
    );
    assert.equal(build.status, 0, build.stdout + build.stderr);
    registry = await startRegistry({ auth: "htpasswd", users: { ci: "readme-s3cret" } });
    await seedImages(registry, [
      { repository: "acme/app", tag: "1.0.0", created: day(1) },
      { repository: "acme/app", tag: "1.1.0", created: day(2) },
      { repository: "acme/app", tag: "1.2.0", created: day(3) },
      { repository: "acme/app", tag: "2.0.0", created: day(4) },
    ]);
  });
  after(async () => {
    await registry?.stop();
  });

  it("runs verbatim against the real registry: the deploy file moves to the newest tag, the output lists it", async () => {
    const h = registry.host;
    const repo = await mkdtemp(join(tmpdir(), "laminar-readme-"));
    await mkdir(join(repo, "deploy"));
    await mkdir(join(repo, "node_modules"));
    // The package's scoped name (package.json "name"), as npm installs it.
    await mkdir(join(repo, "node_modules", "@laminar-gitops"));
    await symlink(root, join(repo, "node_modules", "@laminar-gitops", "laminar"), "dir");
    await writeFile(
      join(repo, ".laminar.yaml"),
      [
        "registries:",
        `  - host: ${h}`,
        "    usernameEnv: REG_USER",
        "    passwordEnv: REG_PASS",
        "updates:",
        '  - pattern: "semver:^1"',
        "    files: [deploy]",
        "",
      ].join("\n"),
    );
    await writeFile(join(repo, "deploy", "app.yaml"), `image: ${h}/acme/app:1.0.0\n`);
    await writeFile(join(repo, "update.mts"), await readmeExample());
    const cache = await mkdtemp(join(tmpdir(), "laminar-readme-cache-"));

    const run = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), "update.mts"], {
      cwd: repo,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: cache,
        XDG_CACHE_HOME: cache,
        DOCKER_CONFIG: join(cache, "docker"),
        REG_USER: "ci",
        REG_PASS: "readme-s3cret",
      },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.equal(await readFile(join(repo, "deploy", "app.yaml"), "utf8"), `image: ${h}/acme/app:1.2.0\n`);
    assert.match(run.stdout, /^1 change\(s\)/m);
    assert.match(
      run.stdout,
      new RegExp(`deploy/app\\.yaml:1 +${h.replace(/\./g, "\\.")}/acme/app +1\\.0\\.0 +→ +1\\.2\\.0`),
    );
    assert.match(run.stdout, /^rewrote deploy\/app\.yaml$/m);
    // The cache was saved where the CLI keeps it, and the password never reached the output.
    assert.ok(JSON.parse(await readFile(join(cache, "laminar", "registry.json"), "utf8")));
    assert.ok(!run.stdout.includes("readme-s3cret") && !run.stderr.includes("readme-s3cret"));
  });
});
