/**
 * The executable runs whatever it is called (issue #13: started through a symlink named `lam` it used
 * to do nothing and exit 0): dist/cli.js, the bundle `bin.laminar` names, through links of other names,
 * the way npm's `.bin/` and people's `~/bin` set it up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const root = new URL("..", import.meta.url).pathname;
const cli = join(root, "dist", "cli.js");

describe("the laminar executable under other names (#13)", () => {
  it("the package has a name of our own (npm's unscoped `laminar` is another project) and its bin is laminar → dist/cli.js", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      name: string;
      bin: Record<string, string>;
    };
    assert.equal(pkg.name, "@laminar-gitops/laminar");
    assert.deepEqual(pkg.bin, { laminar: "dist/cli.js" });
  });

  it("the README's quick start, `npx @laminar-gitops/laminar …`, runs this package when it is installed (no network)", (t) => {
    const npx = spawnSync("npx", ["--version"], { encoding: "utf8" });
    if (npx.status !== 0) return t.skip("npx is not installed");
    const readme = readFileSync(join(root, "README.md"), "utf8");
    assert.match(readme, /^ {3}npx @laminar-gitops\/laminar scan /m);
    const base = mkdtempSync(join(tmpdir(), "laminar-npx-"));
    writeFileSync(join(base, "package.json"), '{"name": "manifests", "private": true}\n');
    mkdirSync(join(base, "node_modules", "@laminar-gitops"), { recursive: true });
    mkdirSync(join(base, "node_modules", ".bin"));
    symlinkSync(root, join(base, "node_modules", "@laminar-gitops", "laminar"));
    symlinkSync("../@laminar-gitops/laminar/dist/cli.js", join(base, "node_modules", ".bin", "laminar"));
    writeFileSync(join(base, "app.yaml"), "image: ghcr.io/acme/app:1.2.3\n");
    const r = spawnSync("npx", ["--no-install", "@laminar-gitops/laminar", "scan"], {
      cwd: base,
      encoding: "utf8",
      env: { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false" },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /app\.yaml:1:8 +ghcr\.io\/acme\/app:1\.2\.3/);
  });

  it("a symlink named lam (absolute and relative, run directly and through node) prints the version and scans", () => {
    const base = mkdtempSync(join(tmpdir(), "laminar-entry-"));
    mkdirSync(join(base, "bin"));
    mkdirSync(join(base, "node_modules", ".bin"), { recursive: true });
    symlinkSync(cli, join(base, "bin", "lam"));
    // npm installs the scoped package and links `.bin/laminar` with a relative target.
    mkdirSync(join(base, "node_modules", "@laminar-gitops", "laminar"), { recursive: true });
    symlinkSync(join(root, "dist"), join(base, "node_modules", "@laminar-gitops", "laminar", "dist"));
    symlinkSync("../@laminar-gitops/laminar/dist/cli.js", join(base, "node_modules", ".bin", "laminar"));
    const repo = join(base, "repo");
    mkdirSync(repo);
    writeFileSync(join(repo, "app.yaml"), "image: ghcr.io/acme/app:1.2.3\n");
    const version = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }).version;
    for (const entry of [join(base, "bin", "lam"), join(base, "node_modules", ".bin", "laminar")]) {
      for (const argv of [[entry], [process.execPath, entry]]) {
        const [cmd, ...pre] = argv as [string, ...string[]];
        const v = spawnSync(cmd, [...pre, "--version"], { encoding: "utf8" });
        assert.equal(v.status, 0, `${argv.join(" ")}: ${v.stderr}`);
        assert.equal(v.stdout.trim(), version);
        const scan = spawnSync(cmd, [...pre, "scan", "--dir", repo], { encoding: "utf8" });
        assert.equal(scan.status, 0, scan.stderr);
        assert.match(scan.stdout, /1 image reference\(s\) in 1 file\(s\)/);
        assert.match(scan.stdout, /app\.yaml:1:8 +ghcr\.io\/acme\/app:1\.2\.3/);
      }
    }
    const usage = spawnSync(join(base, "bin", "lam"), [], { encoding: "utf8" });
    assert.equal(usage.status, 2, "no command is a usage error, not a silent 0");
    assert.match(usage.stderr, /Usage:/);
  });
});
