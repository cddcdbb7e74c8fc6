import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildCommitMessage,
  commitSubject,
  parseTemplate,
  renderTemplate,
  TemplateError,
  type ImageChange,
} from "../src/git/commit-message.js";

const nginx: ImageChange = { file: "apps/web/deploy.yaml", line: 12, image: "nginx", from: "1.25.3", to: "1.25.4" };
const redis: ImageChange = { file: "apps/cache/values.yaml", line: 3, image: "redis", from: "7.2.3", to: "7.2.4" };
const app: ImageChange = {
  file: "apps/web/deploy.yaml",
  line: 40,
  image: "ghcr.io/acme/app",
  from: "v1.0.0",
  to: "v1.1.0",
};

describe("buildCommitMessage (default format)", () => {
  it("one change: <file>: <image>:<tag>, the original tool's format", () => {
    assert.equal(buildCommitMessage([nginx]), "apps/web/deploy.yaml: nginx:1.25.4\n");
  });

  it("several: summary line, blank line, one sorted line per change", () => {
    assert.equal(
      buildCommitMessage([app, nginx, redis]),
      [
        "Update 3 images",
        "",
        "apps/cache/values.yaml: redis 7.2.3 → 7.2.4",
        "apps/web/deploy.yaml: nginx 1.25.3 → 1.25.4",
        "apps/web/deploy.yaml: ghcr.io/acme/app v1.0.0 → v1.1.0",
        "",
      ].join("\n"),
    );
  });

  it("is independent of input order (re-runs produce the same message)", () => {
    assert.equal(buildCommitMessage([nginx, redis, app]), buildCommitMessage([redis, app, nginx]));
  });

  it("refuses to describe nothing", () => {
    assert.throws(() => buildCommitMessage([]), /no changes/);
  });
});

describe("templates", () => {
  it("fills the top-level variables", () => {
    const out = renderTemplate("chore(deps): {{summary}} [{{count}}] {{images}} in {{files}}", [nginx, redis]);
    assert.equal(
      out,
      "chore(deps): Update 2 images [2] redis:7.2.4, nginx:1.25.4 in apps/cache/values.yaml, apps/web/deploy.yaml",
    );
  });

  it("single-change variables read naturally", () => {
    assert.equal(
      renderTemplate("bump {{image}} from {{from}} to {{to}} ({{file}})", [nginx]),
      "bump nginx from 1.25.3 to 1.25.4 (apps/web/deploy.yaml)",
    );
  });

  it("{{changes}} is the default body", () => {
    assert.equal(
      renderTemplate("{{changes}}", [redis, nginx]),
      "apps/cache/values.yaml: redis 7.2.3 → 7.2.4\napps/web/deploy.yaml: nginx 1.25.3 → 1.25.4",
    );
  });

  it("repeats {{#changes}} sections per change, sorted", () => {
    const t = "| file | image |\n{{#changes}}| {{file}}:{{line}} | {{image}} {{from}}→{{to}} |\n{{/changes}}";
    assert.equal(
      renderTemplate(t, [nginx, redis]),
      "| file | image |\n| apps/cache/values.yaml:3 | redis 7.2.3→7.2.4 |\n| apps/web/deploy.yaml:12 | nginx 1.25.3→1.25.4 |\n",
    );
  });

  it("allows spaces inside braces and leaves non-tags alone", () => {
    assert.equal(renderTemplate("{{ count }} {not a tag} {{ 5 }}", [nginx]), "1 {not a tag} {{ 5 }}");
  });

  it("rejects unknown variables, with the list of known ones", () => {
    assert.throws(
      () => parseTemplate("Update {{cout}} images"),
      (e: unknown) => e instanceof TemplateError && /\{\{cout\}\}.*known: count/.test(e.message),
    );
    assert.throws(() => parseTemplate("{{#changes}}{{count}}{{/changes}}"), /inside \{\{#changes\}\}/);
  });

  it("rejects broken sections", () => {
    assert.throws(() => parseTemplate("{{#changes}}x"), /not closed/);
    assert.throws(() => parseTemplate("x{{/changes}}"), /closes no open section/);
    assert.throws(() => parseTemplate("{{#images}}{{/images}}"), /unknown section/);
    assert.throws(() => parseTemplate("{{#changes}}{{#changes}}{{/changes}}{{/changes}}"), /nested/);
  });

  it("buildCommitMessage uses a template, trimmed, with one final newline", () => {
    const t = parseTemplate("\n{{summary}}\n\n{{changes}}\n\n");
    assert.equal(
      buildCommitMessage([nginx], t),
      "apps/web/deploy.yaml: nginx:1.25.4\n\napps/web/deploy.yaml: nginx 1.25.3 → 1.25.4\n",
    );
    assert.throws(() => buildCommitMessage([nginx], "   "), /empty message/);
  });

  it("commitSubject matches the default message's first line", () => {
    assert.equal(commitSubject([nginx, redis]), buildCommitMessage([nginx, redis]).split("\n")[0]);
  });
});
