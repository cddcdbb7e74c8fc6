import { createRequire as __laminarCreateRequire } from 'node:module';
const require = __laminarCreateRequire(import.meta.url);
import {
  laminarSchema
} from "./chunk-EQSYRQKA.js";

// src/config/server-schema.ts
var p = laminarSchema.properties;
var envName = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" };
var registryHost = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9.-]*(:[0-9]{1,5})?$" };
var notify = {
  type: "array",
  description: "Notifications after each push and when a repository starts or stops failing.",
  items: {
    type: "object",
    additionalProperties: false,
    description: "Exactly one of `slack` or `webhook`.",
    properties: {
      slack: {
        type: "object",
        additionalProperties: false,
        required: ["webhookUrlEnv"],
        description: "A Slack incoming webhook.",
        properties: {
          webhookUrlEnv: { ...envName, description: "Environment variable holding the incoming-webhook URL." }
        }
      },
      webhook: {
        type: "object",
        additionalProperties: false,
        required: ["urlEnv", "secretEnv"],
        description: "A generic JSON webhook, signed like GitHub's (X-Laminar-Signature-256).",
        properties: {
          urlEnv: { ...envName, description: "Environment variable holding the URL." },
          secretEnv: { ...envName, description: "Environment variable holding the HMAC-SHA256 secret." }
        }
      }
    }
  }
};
var githubApp = {
  type: "object",
  additionalProperties: false,
  required: ["appId"],
  description: "A GitHub App whose installation token clones and pushes (exactly one of privateKeyFile or privateKeyEnv).",
  properties: {
    appId: {
      description: "The App's numeric id (or its client id, Iv\u2026).",
      oneOf: [
        { type: "integer", minimum: 1 },
        { type: "string", pattern: "^(\\d+|Iv[0-9A-Za-z.]+)$" }
      ]
    },
    privateKeyFile: { type: "string", minLength: 1, description: "The App's private key (.pem file), read on use." },
    privateKeyEnv: { ...envName, description: "Environment variable holding the App's private key (PEM)." },
    installationId: {
      type: "integer",
      minimum: 1,
      description: "The installation to use (default: the App's installation on the repository)."
    },
    apiUrl: {
      type: "string",
      pattern: "^https?://",
      description: "REST API root (default https://api.github.com for github.com remotes, https://HOST/api/v3 for others: GitHub Enterprise Server)."
    }
  }
};
var serverSchema = {
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
          description: "The original's GitHub webhook path secret: POST /webhooks/github/<gitHubToken> takes `[laminar pause]` / `[laminar resume]` comments; masked wherever Laminar prints."
        },
        githubApp: {
          ...githubApp,
          description: `${githubApp.description} For every https:// repository without its own tokenEnv or githubApp.`
        },
        maxParallel: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          description: "Repositories run at the same time, at most (default 4)."
        },
        webAddress: {
          type: "string",
          description: "Default listen address (`host:port` or `:port`); --listen overrides it."
        },
        hookHosts: {
          type: "object",
          additionalProperties: false,
          description: "The registry host Docker Hub and GitHub Packages pushes mean, for setups that pull them through a mirror.",
          properties: {
            dockerhub: { ...registryHost, description: "Host Docker Hub pushes refer to (default docker.io)." },
            ghcr: { ...registryHost, description: "Host GitHub Packages pushes refer to (default ghcr.io)." }
          }
        }
      }
    },
    notify: { ...notify, description: "Notifications for every repository." },
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
            description: "Unique name: the clone's folder in the state dir and the API's {name}."
          },
          url: { type: "string", minLength: 1, description: "Remote: a local path, file://, or SSH." },
          branch: { type: "string", minLength: 1, description: "Branch to update (default main)." },
          key: { type: "string", minLength: 1, description: "SSH private key file (SSH remotes)." },
          knownHosts: {
            description: "SSH remotes: a known_hosts file, or the known_hosts lines themselves (a list; written to the state dir).",
            oneOf: [
              { type: "string", minLength: 1 },
              { type: "array", minItems: 1, items: { type: "string", minLength: 1, pattern: "^[^\\r\\n]+$" } }
            ]
          },
          trustNewHostKeys: {
            type: "boolean",
            description: "SSH remotes: record the host key of a server seen for the first time (in the state dir) instead of refusing it; a changed key is always refused (default false)."
          },
          tokenEnv: {
            type: "string",
            minLength: 1,
            description: "HTTPS remotes: environment variable holding the token (sent as x-access-token)."
          },
          githubApp: { ...githubApp, description: `${githubApp.description} Overrides global.githubApp.` },
          pollFreq: { type: "integer", minimum: 1, description: "Seconds between runs (default 120)." },
          remoteConfig: {
            type: "boolean",
            description: "Also apply the `updates` and `promotions` of the repository's own .laminar.yaml (re-read every run)."
          },
          updates: p.updates,
          promotions: p.promotions,
          commands: p.commands,
          preCommitCommands: p.preCommitCommands,
          notify: { ...notify, description: "Notifications for this repository, besides the top-level ones." }
        }
      }
    }
  }
};

export {
  serverSchema
};
