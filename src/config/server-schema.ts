/**
 * JSON Schema of the `laminar serve` server file (`server.yaml`): the original laminar daemon's
 * format, read unchanged. `schema/server.schema.json` is generated from it by `npm run schema`
 * (a test keeps the two equal). The per-repository rule keys are `.laminar.yaml`'s own schema pieces, so a
 * rule means the same in both files and is validated by one definition.
 */
import { laminarSchema } from "./schema.js";

const p = laminarSchema.properties;

/** The server file's schema (ajv strict mode accepts it as is). */
export const serverSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://github.com/laminar-gitops/laminar/schema/server.schema.json",
  title: "Laminar server configuration (server.yaml, `laminar serve`)",
  type: "object",
  additionalProperties: false,
  required: ["git"],
  properties: {
    global: {
      type: "object",
      additionalProperties: false,
      description: "Settings for every repository.",
      properties: {
        gitUser: { type: "string", description: "Commit author name." },
        gitEmail: { type: "string", description: "Commit author email." },
        gitMessage: { type: "string", description: "Commit message template." },
        gitHubToken: {
          type: "string",
          description: "The original's GitHub webhook path secret; accepted and masked (not used yet).",
        },
        webAddress: {
          type: "string",
          description: "Default listen address (`host:port` or `:port`); --listen overrides it.",
        },
      },
    },
    registries: p.registries,
    dockerRegistries: p.dockerRegistries,
    git: {
      type: "array",
      minItems: 1,
      description: "The repositories to keep up to date.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "url"],
        properties: {
          name: {
            type: "string",
            pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$",
            description: "Unique name: the clone's folder in the state dir and the API's {name}.",
          },
          url: { type: "string", minLength: 1, description: "Remote: a local path, file://, or SSH." },
          branch: { type: "string", minLength: 1, description: "Branch to update (default main)." },
          key: { type: "string", minLength: 1, description: "SSH private key file (SSH remotes)." },
          knownHosts: { type: "string", minLength: 1, description: "known_hosts file for SSH remotes." },
          trustNewHostKeys: {
            type: "boolean",
            description:
              "SSH remotes: record the host key of a server seen for the first time (in the state dir) instead of refusing it; a changed key is always refused (default false).",
          },
          tokenEnv: {
            type: "string",
            minLength: 1,
            description: "HTTPS remotes: environment variable holding the token (sent as x-access-token).",
          },
          pollFreq: { type: "integer", minimum: 1, description: "Seconds between runs (default 120)." },
          remoteConfig: {
            type: "boolean",
            description: "Also apply the `updates` of the repository's own .laminar.yaml (re-read every run).",
          },
          updates: p.updates,
          commands: p.commands,
          preCommitCommands: p.preCommitCommands,
        },
      },
    },
  },
} as const;
