import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { runAction } from "./helpers/action-runner.js";
import { git, gitAsync, initBareRepo, isolateGitConfig } from "./helpers/github-api/git-fixtures.js";
import { startGitHubApiServer } from "./helpers/github-api/server.js";
import { startRegistry, type RunningRegistry } from "./helpers/registry/server.js";
import { seedImages } from "./helpers/registry/seed.js";

isolateGitConfig();
const root = new URL("..", import.meta.url).pathname;
const readme = readFileSync(join(root, "README.md"), "utf8");
const action = parse(readFileSync(join(root, "action.yml"), "utf8")) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};
const workflows = ["nightly.yml", "on-image-push.yml", "pull-request.yml"];

interface Step {
  uses?: string;
  with?: Record<string, string | number | boolean>;
  id?: string;
  run?: string;
}
function laminarStep(file: string): Step {
  const wf = parse(readFileSync(join(root, "examples/workflows", file), "utf8")) as {
    jobs: Record<string, { steps: Step[] }>;
  };
  const step = Object.values(wf.jobs)
    .flatMap((j) => j.steps)
    .find((s) => s.uses?.startsWith("laminar-gitops/laminar@"));
  assert.ok(step, `${file} has a laminar step`);
  return step;
}

describe("the README's example workflows", () => {
  for (const file of workflows) {
    it(`${file} is shown verbatim in the README and uses only real inputs and outputs`, () => {
      const text = readFileSync(join(root, "examples/workflows", file), "utf8").trimEnd();
      assert.ok(readme.includes(`\`\`\`yaml\n${text}\n\`\`\``), `README shows examples/workflows/${file}`);
      const step = laminarStep(file);
      for (const key of Object.keys(step.with ?? {}))
        assert.ok(key in action.inputs, `${file}: input ${key} is in action.yml`);
      for (const m of text.matchAll(/steps\.laminar\.outputs\.([\w-]+)/g))
        assert.ok((m[1] as string) in action.outputs, `${file}: output ${m[1]}`);
    });
  }

  describe("run with each workflow's inputs", () => {
    let registry: RunningRegistry;
    before(async () => {
      registry = await startRegistry();
      await seedImages(registry, [
        { repository: "acme/app", tag: "develop-1", created: new Date("2026-11-01T00:00:00Z") },
        { repository: "acme/app", tag: "develop-2", created: new Date("2026-11-02T00:00:00Z") },
      ]);
    });
    after(async () => registry?.stop());
    const files = () => ({
      ".laminar.yaml": "updates:\n  - pattern: glob:develop-*\n    files: [k8s]\n",
      "k8s/app.yaml": `image: ${registry.host}/acme/app:develop-1\n`,
    });
    // The dispatch payload's image is the one the build pushed: develop-2, the newest.
    const payload = (v: string): string =>
      v.replace("${{ github.event.client_payload.image }}", `${registry.host}/acme/app:develop-2`);
    const inputsOf = (file: string): Record<string, string> =>
      Object.fromEntries(Object.entries(laminarStep(file).with ?? {}).map(([k, v]) => [k, payload(String(v))]));

    for (const file of ["nightly.yml", "on-image-push.yml"]) {
      it(`${file}: pushes the commit`, async () => {
        const base = mkdtempSync(join(tmpdir(), "laminar-wf-"));
        initBareRepo(join(base, "remote.git"), files());
        git(base, ["clone", "--quiet", join(base, "remote.git"), "ws"]);
        const r = await runAction({
          workspace: join(base, "ws"),
          inputs: { token: "ghs_workflowtest", ...inputsOf(file) },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        assert.equal(r.outputs.changes, "1");
        const subject = git(join(base, "remote.git"), ["log", "-1", "--format=%s", "main"]).trim();
        assert.equal(
          subject,
          file === "on-image-push.yml"
            ? `k8s/app.yaml: ${registry.host}/acme/app:develop-2 [skip ci]`
            : `k8s/app.yaml: ${registry.host}/acme/app:develop-2`,
        );
      });
    }

    it("pull-request.yml: opens the reviewed pull request with auto-merge and a signed commit", async () => {
      const s = await startGitHubApiServer({ files: files(), collaborators: ["octocat"], autoMergeAllowed: true });
      try {
        const base = mkdtempSync(join(tmpdir(), "laminar-wf-pr-"));
        const auth = `http.${s.url}/.extraheader=AUTHORIZATION: basic ${Buffer.from(`x-access-token:${s.token}`).toString("base64")}`;
        await gitAsync(base, ["-c", auth, "clone", "--quiet", s.gitUrl, "ws"]);
        const r = await runAction({
          workspace: join(base, "ws"),
          inputs: { token: s.token, ...inputsOf("pull-request.yml") },
          env: { GITHUB_API_URL: s.apiUrl, GITHUB_SERVER_URL: s.url },
        });
        assert.equal(r.status, 0, r.stdout + r.stderr);
        const pr = s.state.pullRequests.get(Number(r.outputs["pull-request-number"]));
        assert.ok(pr);
        assert.equal(pr.head, "laminar/production");
        assert.equal(pr.title, `deploy: ${registry.host}/acme/app:develop-2`);
        assert.deepEqual([...pr.labels].sort(), ["automated", "deploy"]);
        assert.deepEqual(pr.requestedReviewers, ["octocat"]);
        assert.equal(pr.autoMerge?.mergeMethod, "SQUASH");
        assert.ok(s.state.signedCommits.has(r.outputs["commit-sha"] as string));
        assert.deepEqual(s.violations, []);
      } finally {
        await s.close();
      }
    });
  });
});
