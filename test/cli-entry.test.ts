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
  it("package.json's bin is laminar → dist/cli.js", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    assert.deepEqual(pkg.bin, { laminar: "dist/cli.js" });
  });

  it("a symlink named lam (absolute and relative, run directly and through node) prints the version and scans", () => {
    const base = mkdtempSync(join(tmpdir(), "laminar-entry-"));
    mkdirSync(join(base, "bin"));
    mkdirSync(join(base, "node_modules", ".bin"), { recursive: true });
    symlinkSync(cli, join(base, "bin", "lam"));
    // npm links `.bin/laminar` with a relative target.
    mkdirSync(join(base, "node_modules", "laminar"));
    symlinkSync(join(root, "dist"), join(base, "node_modules", "laminar", "dist"));
    symlinkSync("../laminar/dist/cli.js", join(base, "node_modules", ".bin", "laminar"));
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
