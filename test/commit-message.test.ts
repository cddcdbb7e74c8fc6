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
import { InputError, readSettings } from "../src/action/inputs.js";
import { ACTION_AUTHOR as DEFAULT_AUTHOR, CLI_AUTHOR, resolveCommitSettings } from "../src/delivery/commit-settings.js";
import { ConfigError } from "../src/config/errors.js";
import { parseConfig } from "../src/config/parse.js";

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
  it("names what the configured commands changed in a paragraph of its own; a template places it with {{commandFiles}}", () => {
    const files = [
      { path: "dist/app.yaml", change: "modified" },
      { path: "dist/new.yaml", change: "created" },
    ] as const;
    assert.equal(
      buildCommitMessage([nginx], undefined, files),
      "apps/web/deploy.yaml: nginx:1.25.4\n\nChanged by the configured commands:\nmodified dist/app.yaml\ncreated dist/new.yaml\n",
    );
    assert.equal(
      buildCommitMessage([nginx, redis], undefined, files),
      "Update 2 images\n\napps/cache/values.yaml: redis 7.2.3 → 7.2.4\napps/web/deploy.yaml: nginx 1.25.3 → 1.25.4\n\nChanged by the configured commands:\nmodified dist/app.yaml\ncreated dist/new.yaml\n",
    );
    assert.equal(
      buildCommitMessage([nginx], "{{summary}}\n\n{{commandFiles}}", files),
      "apps/web/deploy.yaml: nginx:1.25.4\n\nmodified dist/app.yaml\ncreated dist/new.yaml\n",
    );
  });
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

describe("templates are checked when inputs and config are read, not when committing", () => {
  const env = { GITHUB_WORKSPACE: "/ws", GITHUB_REPOSITORY: "acme/manifests" };
  const settings = (inputs: Record<string, string>) =>
    readSettings((name) => ({ token: "t", mode: "pull-request", ...inputs })[name] ?? "", env);

  it("a bad pr-title, pr-body or commit-message is an InputError naming the input", () => {
    for (const [input, value] of [
      ["pr-title", "Bump {{cout}}"],
      ["pr-body", "{{#changes}}{{file}}"],
      ["commit-message", "{{/changes}}"],
    ] as const) {
      assert.throws(
        () => settings({ [input]: value }),
        (e: unknown) => e instanceof InputError && e.input === input && e.message.startsWith(`input \`${input}\`: `),
      );
    }
    assert.doesNotThrow(() => settings({ "pr-title": "{{count}} images", "commit-message": "{{summary}}" }));
  });

  it("a bad global.gitMessage is a config error at that key", () => {
    assert.throws(
      () => parseConfig('global:\n  gitMessage: "{{imgs}}"\nupdates:\n  - pattern: glob:x\n    files: [a]\n', "c.yaml"),
      (e: unknown) => e instanceof ConfigError && e.key === "global.gitMessage" && e.line === 2,
    );
  });
});

describe("resolveCommitSettings: one rule for author and message in every mode", () => {
  const config = { authorName: "Config Bot", authorEmail: "config@example.test", message: "{{images}}" };
  it("input, then config global, then the default", () => {
    assert.deepEqual(resolveCommitSettings({}, config, DEFAULT_AUTHOR), {
      author: { name: "Config Bot", email: "config@example.test" },
      messageTemplate: "{{images}}",
    });
    assert.deepEqual(
      resolveCommitSettings(
        { author: { name: "In", email: "in@example.test" }, commitMessage: "{{summary}}" },
        config,
        DEFAULT_AUTHOR,
      ),
      { author: { name: "In", email: "in@example.test" }, messageTemplate: "{{summary}}" },
    );
    assert.deepEqual(resolveCommitSettings({}, {}, DEFAULT_AUTHOR), { author: DEFAULT_AUTHOR });
    // Only gitUser set: the email still falls back to the default rather than being empty.
    assert.deepEqual(resolveCommitSettings({}, { authorName: "Only Name" }, DEFAULT_AUTHOR).author, {
      name: "Only Name",
      email: DEFAULT_AUTHOR.email,
    });
  });
  it("the default author is the front end's: the CLI and watch commit as Laminar", () => {
    assert.deepEqual(resolveCommitSettings({}, {}, CLI_AUTHOR), {
      author: { name: "Laminar", email: "laminar@localhost" },
    });
    assert.deepEqual(resolveCommitSettings({}, { authorEmail: "ops@example.test" }, CLI_AUTHOR).author, {
      name: "Laminar",
      email: "ops@example.test",
    });
  });
});
