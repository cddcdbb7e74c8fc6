/**
 * Packaging of `laminar serve` (issue #16): the Dockerfile, read statically (there is no docker daemon
 * here) and its runtime claim checked by running what it copies; and the Kustomize base, rendered by
 * the real `kubectl kustomize` and read back.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { parseServerConfig } from "../src/config/server.js";
import { initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { freePort } from "./helpers/registry/server.js";

isolateGitConfig();
const root = new URL("..", import.meta.url).pathname;

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions, with `\` continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (!pending && /^\s*#/.test(line)) continue;
    const joined = pending + line.trim();
    if (joined.endsWith("\\")) {
      pending = `${joined.slice(0, -1)} `;
      continue;
    }
    pending = "";
    const m = /^(\S+)\s*(.*)$/.exec(joined);
    if (m) out.push({ keyword: (m[1] as string).toUpperCase(), args: m[2] as string });
  }
  return out;
}

/** The stages of a multi-stage Dockerfile: everything from one FROM to the next. */
function stages(all: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of all) {
    if (i.keyword === "FROM") out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}

function jsonArgs(i: Instruction | undefined): string[] {
  assert.ok(i, "instruction missing");
  const v: unknown = JSON.parse(i.args);
  assert.ok(Array.isArray(v) && v.every((x) => typeof x === "string"), `${i.keyword} must be exec form`);
  return v as string[];
}

describe("Dockerfile", () => {
  const text = readFileSync(join(root, "Dockerfile"), "utf8");
  const all = instructions(text);
  const [build, runtime, ...more] = stages(all);

  it("builds on Node 24 slim in one stage and runs from another, as a numeric non-root user", () => {
    assert.ok(build && runtime, "two stages");
    assert.equal(more.length, 0);
    for (const stage of [build, runtime]) assert.match(stage[0]?.args ?? "", /^node:24-(bookworm|trixie)-slim\b/);
    const runs = build.filter((i) => i.keyword === "RUN").map((i) => i.args);
    assert.ok(
      runs.some((r) => /\bnpm ci\b/.test(r)),
      "npm ci",
    );
    assert.ok(
      runs.some((r) => /\bnpm run build\b/.test(r)),
      "npm run build",
    );
    const apt = runtime.filter((i) => i.keyword === "RUN" && /apt-get install/.test(i.args)).map((i) => i.args);
    for (const pkg of ["git", "openssh-client", "ca-certificates"]) {
      assert.ok(
        apt.some((a) => new RegExp(`\\s${pkg}(\\s|$)`).test(a)),
        `${pkg} installed`,
      );
    }
    const users = runtime.filter((i) => i.keyword === "USER").map((i) => i.args);
    assert.equal(users.length, 1);
    assert.match(users[0] as string, /^[1-9]\d*(:\d+)?$/, "numeric UID");
    // The last USER wins: nothing after it switches back to root.
    const lastUser = runtime.findLastIndex((i) => i.keyword === "USER");
    assert.ok(runtime.slice(lastUser).every((i) => i.keyword !== "RUN"));
    assert.deepEqual(
      runtime.filter((i) => i.keyword === "EXPOSE").map((i) => i.args),
      ["8080"],
    );
  });

  it("holds no secret and sends none into the build", () => {
    assert.doesNotMatch(text, /(PASSWORD|TOKEN|SECRET|PRIVATE KEY)\s*[=:]/i);
    assert.ok(all.every((i) => i.keyword !== "ARG" || !/token|secret|password|key/i.test(i.args)));
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n");
    for (const entry of [".git", "node_modules", ".env"]) assert.ok(ignored.includes(entry), `${entry} ignored`);
    // Only files from the build stage reach the runtime image.
    for (const copy of (runtime ?? []).filter((i) => i.keyword === "COPY")) assert.match(copy.args, /^--from=build\s/);
  });

  it("starts `laminar serve` on 0.0.0.0:8080 with the config and state paths the manifests mount", () => {
    const entry = jsonArgs(runtime?.findLast((i) => i.keyword === "ENTRYPOINT"));
    const cmd = jsonArgs(runtime?.findLast((i) => i.keyword === "CMD"));
    assert.ok(entry.includes("node"));
    assert.equal(entry.at(-1), "/app/dist/cli.js");
    assert.deepEqual(cmd, [
      "serve",
      "--config",
      "/etc/laminar/server.yaml",
      "--state-dir",
      "/var/lib/laminar",
      "--listen",
      "0.0.0.0:8080",
    ]);
  });

  it("what it copies runs on its own: dist/cli.js serves /healthz without node_modules and exits 0 on SIGTERM", async () => {
    // COPY --from=build /src/dist/ /app/dist/: the bundle is all the runtime stage gets.
    const copies = (runtime ?? []).filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/));
    assert.deepEqual(copies, [["--from=build", "/src/dist/", "/app/dist/"]]);
    const image = mkdtempSync(join(tmpdir(), "laminar-image-"));
    mkdirSync(join(image, "app", "dist"), { recursive: true });
    // The whole folder, as COPY does: the bundles and their lazily loaded chunks (dist/chunks/).
    cpSync(join(root, "dist"), join(image, "app", "dist"), { recursive: true });
    const cli = join(image, "app", "dist", "cli.js");
    assert.ok(existsSync(cli), "the ENTRYPOINT's script is in the build output");

    const help = spawnSync(process.execPath, [cli, "--help"], { cwd: image, encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /laminar serve --config server\.yaml/);

    const bare = join(image, "manifests.git");
    initBareRepo(bare, { "k8s/app.yaml": "image: 127.0.0.1:1/acme/app:v1\n" });
    writeFileSync(
      join(image, "server.yaml"),
      `git:\n  - name: manifests\n    url: ${bare}\n    pollFreq: 3600\n    updates:\n      - pattern: semver:^1\n        files: [k8s]\n`,
    );
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [cli, "serve", "--config", "server.yaml", "--state-dir", "state", "--listen", `127.0.0.1:${port}`],
      { cwd: image, env: { PATH: process.env.PATH, HOME: image }, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    try {
      let healthz = 0;
      let readyz = 0;
      for (let i = 0; i < 200 && (healthz !== 200 || readyz !== 200); i++) {
        await sleep(100);
        const status = (path: string): Promise<number> =>
          fetch(`http://127.0.0.1:${port}${path}`).then(
            (r) => r.status,
            () => 0,
          );
        healthz = await status("/healthz");
        readyz = await status("/readyz");
      }
      assert.equal(healthz, 200, stderr);
      assert.equal(readyz, 200, stderr);
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });
});

const kubectl = "/usr/bin/kubectl";

describe(
  "deploy/kubernetes (Kustomize base)",
  { skip: existsSync(kubectl) ? false : `${kubectl} is not installed` },
  () => {
    const rendered = spawnSync(kubectl, ["kustomize", join(root, "deploy/kubernetes")], { encoding: "utf8" });
    type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const docs = (): Doc[] => {
      assert.equal(rendered.status, 0, rendered.stderr);
      return parseAllDocuments(rendered.stdout).map((d) => d.toJS() as Doc);
    };
    const one = (kind: string): Doc => {
      const found = docs().filter((d) => d.kind === kind);
      assert.equal(found.length, 1, `one ${kind}`);
      return found[0] as Doc;
    };

    it("renders a Deployment, ServiceAccount, Service, ConfigMap, PVC and the example Secrets", () => {
      assert.deepEqual(
        docs()
          .map((d) => d.kind)
          .sort(),
        ["ConfigMap", "Deployment", "PersistentVolumeClaim", "Secret", "Secret", "Service", "ServiceAccount"],
      );
      assert.equal(one("ServiceAccount").automountServiceAccountToken, false);
      const svc = one("Service");
      assert.equal(svc.spec.type, "ClusterIP");
      assert.deepEqual(
        svc.spec.ports.map((p: Doc) => p.port),
        [8080],
      );
      // Placeholders only, and said so.
      for (const s of docs().filter((d) => d.kind === "Secret"))
        for (const v of Object.values(s.stringData as Record<string, string>)) assert.match(v, /REPLACE-ME/);
    });

    it("the Deployment probes /healthz and /readyz, runs locked down, and mounts config, state, ssh and /tmp", () => {
      const dep = one("Deployment");
      const pod = dep.spec.template.spec;
      const [c, ...others] = pod.containers as Doc[];
      assert.ok(c);
      assert.equal(others.length, 0);
      assert.equal(pod.serviceAccountName, "laminar");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.deepEqual(c.ports, [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      assert.deepEqual(c.livenessProbe.httpGet, { path: "/healthz", port: "http" });
      assert.deepEqual(c.readinessProbe.httpGet, { path: "/readyz", port: "http" });
      assert.deepEqual(c.args.slice(-2), ["--listen", "0.0.0.0:8080"]);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.runAsUser, 10001);
      assert.equal(c.securityContext.runAsNonRoot, true);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      assert.ok(c.resources.requests.memory && c.resources.limits.memory);
      // The token comes from a Secret, never a literal.
      const token = (c.env as Doc[]).find((e) => e.name === "LAMINAR_API_TOKEN");
      assert.deepEqual(token?.valueFrom, { secretKeyRef: { name: "laminar-api", key: "LAMINAR_API_TOKEN" } });

      const mounts = new Map((c.volumeMounts as Doc[]).map((m) => [m.mountPath as string, m]));
      const volumes = new Map((pod.volumes as Doc[]).map((v) => [v.name as string, v]));
      const volumeAt = (path: string): Doc => {
        const m = mounts.get(path);
        assert.ok(m, `a mount at ${path}`);
        return volumes.get(m.name) as Doc;
      };
      const config = volumeAt("/etc/laminar/server.yaml");
      assert.equal(config.configMap.name, one("ConfigMap").metadata.name, "the generated (hashed) ConfigMap");
      assert.equal(
        volumeAt("/var/lib/laminar").persistentVolumeClaim.claimName,
        one("PersistentVolumeClaim").metadata.name,
      );
      assert.equal(volumeAt("/etc/laminar/ssh").secret.secretName, "laminar-ssh");
      assert.deepEqual(volumeAt("/tmp").emptyDir, {});
      assert.equal(mounts.get("/etc/laminar/ssh")?.readOnly, true);
      assert.equal(c.args[c.args.indexOf("--state-dir") + 1], "/var/lib/laminar");
      assert.equal(c.args[c.args.indexOf("--config") + 1], "/etc/laminar/server.yaml");
    });

    it("the ConfigMap's server.yaml passes Laminar's own server-config parser, with key and known_hosts from the mounted Secret", () => {
      const text = one("ConfigMap").data["server.yaml"] as string;
      const server = parseServerConfig(text, "/etc/laminar/server.yaml", "/etc/laminar");
      assert.equal(server.repositories.length, 1);
      const ssh = docs().find((d) => d.kind === "Secret" && d.metadata.name === "laminar-ssh");
      assert.ok(ssh);
      const repo = server.repositories[0];
      assert.ok(repo);
      const sshKeys = Object.keys(ssh.stringData as object).map((k) => `/etc/laminar/ssh/${k}`);
      assert.ok(repo.key && sshKeys.includes(repo.key), `key ${repo.key} in ${sshKeys.join(", ")}`);
      assert.ok(repo.knownHosts && sshKeys.includes(repo.knownHosts));
    });
  },
);
