/**
 * Config mistakes people hit (issue #13), through the CLI as a user runs it: `files` entries that
 * match nothing and unknown pattern prefixes are warned about with file:line:column and key; YAML
 * merge keys work.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { laminar, writeRepo } from "./helpers/cli.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

const day = (d: number): Date => new Date(Date.UTC(2026, 10, d));

describe("config warnings and YAML merge keys (#13)", () => {
  let registry: RunningRegistry;
  let cacheHome: string;
  before(async () => {
    registry = await startRegistry();
    await seedImages(registry, [
      { repository: "acme/app", tag: "develop-1", created: day(1) },
      { repository: "acme/app", tag: "develop-2", created: day(2) },
    ]);
    cacheHome = await mkdtemp(join(tmpdir(), "laminar-config-warnings-cache-"));
  });
  after(async () => registry?.stop());

  it("a files entry that matches nothing and an unknown prefix (Glob:) are warned about with file:line:column and key", async () => {
    const h = registry.host;
    const dir = await writeRepo({
      ".laminar.yaml":
        "updates:\n  - pattern: glob:develop-*\n    files: [k8s, k8z]\n  - pattern: Glob:develop-*\n    files: [k8s]\n  - pattern: Regexp:x\n    files: [k8s]\n",
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = laminar(["plan", "--dir", dir], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /develop-2/);
    const warnings = r.stdout.slice(r.stdout.indexOf("Warnings:")).split("\n");
    assert.deepEqual(warnings.slice(1, 4), [
      `  .laminar.yaml:3:18: updates[0].files[1]: "k8z" matches no file in the repository (or only excluded ones); the rule updates nothing there`,
      `  .laminar.yaml:4:14: updates[1].pattern: unknown prefix "Glob:" (did you mean "glob:"?); read as a glob, it matches no tag (tags never contain ":")`,
      `  .laminar.yaml:6:14: updates[2].pattern: unknown prefix "Regexp:" (known: glob:, regex:, semver:); read as a glob, it matches no tag (tags never contain ":")`,
    ]);
    const json = JSON.parse(laminar(["plan", "--dir", dir, "--json"], { XDG_CACHE_HOME: cacheHome }).stdout) as {
      warnings: { file: string; line?: number; message: string }[];
    };
    assert.deepEqual(
      json.warnings.map((w) => [w.file, w.line]),
      [
        [".laminar.yaml", 3],
        [".laminar.yaml", 4],
        [".laminar.yaml", 6],
      ],
    );
  });

  it("exclude and blacklist entries with an unknown prefix are warned about the same way (file:line:column, key); known ones are not", async () => {
    const h = registry.host;
    const dir = await writeRepo({
      ".laminar.yaml": [
        "updates:",
        "  - name: app",
        "    pattern: glob:develop-*",
        "    files: [k8s]",
        "    exclude:",
        "      - Glob:develop-2",
        "      - regex:^develop-9$",
        "      - pattern: Semvr:>=1",
        "        images: [acme/*]",
        "    blacklist: [Regexp:x]",
        "",
      ].join("\n"),
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = laminar(["plan", "--dir", dir], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 0, r.stderr);
    // The mistyped exclusion excludes nothing: develop-2 is still chosen.
    assert.match(r.stdout, /develop-2/);
    const warnings = r.stdout.slice(r.stdout.indexOf("Warnings:")).split("\n");
    assert.deepEqual(warnings.slice(1, 4), [
      `  .laminar.yaml:6:9: app.exclude[0]: unknown prefix "Glob:" (did you mean "glob:"?); read as a glob, it excludes no tag (tags never contain ":")`,
      `  .laminar.yaml:8:18: app.exclude[2]: unknown prefix "Semvr:" (known: glob:, regex:, semver:); read as a glob, it excludes no tag (tags never contain ":")`,
      `  .laminar.yaml:10:17: app.blacklist[0]: unknown prefix "Regexp:" (known: glob:, regex:, semver:); read as a glob, it excludes no tag (tags never contain ":")`,
    ]);
    assert.equal(warnings[4]?.trim() ?? "", "", "no warning for the known prefixes");
  });

  it("YAML merge keys (<<: *anchor) are read as YAML 1.1 tools read them", async () => {
    const h = registry.host;
    const dir = await writeRepo({
      ".laminar.yaml":
        "updates:\n  - &dev\n    pattern: glob:develop-*\n    files: [k8s]\n  - <<: *dev\n    files: [other]\n",
      "k8s/app.yaml": `image: ${h}/acme/app:develop-1\n`,
      "other/app.yaml": `image: ${h}/acme/app:develop-1\n`,
    });
    const r = laminar(["plan", "--dir", dir, "--json"], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { changes: { file: string; to: string }[] };
    assert.deepEqual(
      plan.changes.map((c) => [c.file, c.to]),
      [
        ["k8s/app.yaml", "develop-2"],
        ["other/app.yaml", "develop-2"],
      ],
    );
  });

  it("a config file that is a symbolic link leaving the repository is refused before it is read, its content never shown", async () => {
    const outside = await mkdtemp(join(tmpdir(), "laminar-outside-"));
    await writeFile(join(outside, "secret.yaml"), "db-password: hunter2-first-line\nupdates: oops\n");
    await mkdir(join(outside, "ci"));
    await writeFile(join(outside, "ci", "laminar.yaml"), "token: hunter2-in-dir\n");
    const dir = await writeRepo({ "k8s/app.yaml": "image: nginx:1.25\n" });
    await symlink(join(outside, "secret.yaml"), join(dir, ".laminar.yaml"));
    await symlink(join(outside, "ci"), join(dir, "ci"));
    const r = laminar(["plan", "--dir", dir], { XDG_CACHE_HOME: cacheHome });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr.trim(),
      "laminar: config error: .laminar.yaml: is a symbolic link pointing outside the repository; refusing to read it (copy the file into the repository or pass --config with its real path)",
    );
    const viaDir = laminar(["plan", "--dir", dir, "--config", "ci/laminar.yaml"], { XDG_CACHE_HOME: cacheHome });
    assert.equal(viaDir.status, 1);
    assert.match(viaDir.stderr, /ci\/laminar\.yaml: is a symbolic link pointing outside the repository/);
    for (const out of [r.stdout, r.stderr, viaDir.stdout, viaDir.stderr]) assert.doesNotMatch(out, /hunter2/);

    // A link that stays inside the repository is read as before.
    const inside = await writeRepo({
      "config/laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n",
      "k8s/app.yaml": `image: ${registry.host}/acme/app:develop-1\n`,
    });
    await symlink("config/laminar.yaml", join(inside, ".laminar.yaml"));
    const ok = laminar(["plan", "--dir", inside, "--json"], { XDG_CACHE_HOME: cacheHome });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { changes: unknown[] }).changes.length, 1);
  });
});
