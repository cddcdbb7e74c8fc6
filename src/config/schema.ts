/**
 * JSON Schema of `.laminar.yaml`. The source of truth lives here (typed, bundled with the code);
 * `schema/laminar.schema.json` is generated from it by `npm run schema` and a test keeps the two equal,
 * so editors (yaml-language-server) complete and check the same rules Laminar enforces.
 */

const pattern = {
  type: "string",
  minLength: 1,
  description:
    "Tag policy: `glob:develop-*`, `regex:^develop-(?<build>\\d+)$` (anchored), `semver:^1.2` (node-semver range). A bare value is a glob.",
} as const;

const patternEntry = {
  description: "A tag pattern (string) or the original `{pattern: ...}` form.",
  oneOf: [
    pattern,
    {
      type: "object",
      additionalProperties: false,
      required: ["pattern"],
      properties: {
        pattern,
        images: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Only for these images (globs on `registry/repository` or the familiar name).",
        },
      },
    },
  ],
} as const;

const fileEntry = {
  description: "A file, a directory (trailing `/` optional) or a glob, relative to the repository root.",
  oneOf: [
    { type: "string", minLength: 1 },
    {
      type: "object",
      additionalProperties: false,
      required: ["path"],
      properties: { path: { type: "string", minLength: 1 } },
    },
  ],
} as const;

const command = {
  oneOf: [
    { type: "string", minLength: 1 },
    {
      type: "object",
      additionalProperties: false,
      required: ["run"],
      properties: {
        run: { type: "string", minLength: 1, description: "Shell command, run with `sh -c` in the repository root." },
        name: { type: "string" },
        timeout: { type: "integer", minimum: 1, description: "Seconds before the command is killed (default 600)." },
      },
    },
  ],
} as const;

const sort = {
  description: "How regex matches are ordered: by build time (default), or by a named capture.",
  oneOf: [
    { enum: ["build-time", "numerical", "alphabetical"] },
    {
      type: "object",
      additionalProperties: false,
      required: ["by"],
      properties: {
        by: { enum: ["build-time", "numerical", "alphabetical"] },
        capture: {
          type: "string",
          minLength: 1,
          description: "Named capture group to sort on (default: the first one).",
        },
        order: { enum: ["asc", "desc"], description: "`asc` (default): the highest value wins; `desc`: the lowest." },
      },
    },
  ],
} as const;

/**
 * The JSON Schema (draft-07) of `.laminar.yaml`, the one `parseConfig` validates with; `laminar
 * schema` prints it and schema/ holds it for editors (yaml-language-server).
 */
export const laminarSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://github.com/laminar-gitops/laminar/schema/laminar.schema.json",
  title: "Laminar configuration (.laminar.yaml)",
  type: "object",
  additionalProperties: false,
  properties: {
    version: { const: 1, description: "Configuration format version." },
    registries: {
      type: "array",
      description:
        "Registries Laminar may ask, with per-registry settings. When present, only references to these registries are updated.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["host"],
        properties: {
          host: {
            type: "string",
            minLength: 1,
            description: "Registry host[:port], optionally with a repository prefix: `ghcr.io/acme`.",
          },
          name: { type: "string" },
          insecure: { type: "boolean", description: "Plain HTTP (loopback hosts are always plain HTTP)." },
          usernameEnv: { type: "string", minLength: 1, description: "Environment variable holding the user name." },
          passwordEnv: {
            type: "string",
            minLength: 1,
            description: "Environment variable holding the password or token.",
          },
          tokenEnv: { type: "string", minLength: 1, description: "Environment variable holding a bearer token." },
          pageCap: { type: "integer", minimum: 1, description: "At most this many tag-list pages per repository." },
          platforms: {
            type: "array",
            items: { type: "string", pattern: "^[a-z0-9]+/[a-z0-9]+(/[a-z0-9]+)?$" },
            description: "Platforms whose build time counts for multi-arch images (default linux/amd64).",
          },
          timeout: { type: "integer", minimum: 1, description: "Seconds per request." },
          cloud: {
            enum: ["aws", "google", "azure", "none"],
            description:
              "Whose credential chain logs in to this registry when docker's config has nothing for it (default: from the host name: ECR, Artifact Registry / GCR, ACR); `none` turns it off.",
          },
          aws: {
            type: "object",
            additionalProperties: false,
            description: "ECR: how the AWS SDK's default credential chain is used for this registry.",
            properties: {
              roleArn: {
                type: "string",
                pattern: "^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$",
                description: "Role to assume with the chain's credentials (a registry in another account).",
              },
              region: {
                type: "string",
                pattern: "^[a-z]{2}(-[a-z]+)+-[0-9]+$",
                description: "Region of the ECR API (default: the one in the host name).",
              },
              profile: { type: "string", minLength: 1, description: "Shared-config profile (default `AWS_PROFILE`)." },
              endpoint: {
                type: "string",
                pattern: "^https?://",
                description: "ECR API endpoint instead of the SDK's (a VPC endpoint, tests).",
              },
            },
          },
        },
      },
    },
    dockerRegistries: {
      type: "array",
      description: "The original laminar form of `registries`.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["reg"],
        properties: {
          reg: { type: "string", minLength: 1 },
          name: { type: "string" },
          timeOut: { type: "integer", minimum: 1 },
        },
      },
    },
    updates: {
      type: "array",
      description: "Update rules: which files, which images, which tag policy.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["pattern", "files"],
        properties: {
          name: { type: "string", minLength: 1 },
          pattern,
          files: { type: "array", minItems: 1, items: fileEntry },
          images: {
            type: "array",
            items: { type: "string", minLength: 1 },
            description: "Only references whose image matches one of these globs (`acme/*`, `ghcr.io/acme/app`).",
          },
          exclude: { type: "array", items: patternEntry, description: "Tags never chosen." },
          blacklist: { type: "array", items: patternEntry, description: "The original laminar name of `exclude`." },
          sort,
          prerelease: { type: "boolean", description: "semver: allow pre-release versions." },
        },
      },
    },
    commands: {
      type: "array",
      items: command,
      description: "Run after rewriting, before committing, in the repository root.",
    },
    preCommitCommands: { type: "array", items: command, description: "The original laminar name of `commands`." },
    scan: {
      type: "object",
      additionalProperties: false,
      properties: {
        maxFileSize: {
          type: "integer",
          minimum: 1,
          description: "Bytes; larger files are skipped with a warning (default 4 MiB).",
        },
        exclude: {
          type: "array",
          items: { type: "string", minLength: 1 },
          description: "Globs of files never scanned.",
        },
      },
    },
    global: {
      type: "object",
      description: "The original laminar global settings (commit author and message).",
      additionalProperties: false,
      properties: {
        gitUser: { type: "string" },
        gitEmail: { type: "string" },
        gitMessage: { type: "string" },
      },
    },
  },
} as const;
