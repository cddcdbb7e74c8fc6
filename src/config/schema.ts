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
  description:
    "How matches are ordered: by build time (default), by the registry's push time (Docker Hub, GCR, ECR report one), or (regex) by a named capture.",
  oneOf: [
    { enum: ["build-time", "push-time", "numerical", "alphabetical"] },
    {
      type: "object",
      additionalProperties: false,
      required: ["by"],
      properties: {
        by: { enum: ["build-time", "push-time", "numerical", "alphabetical"] },
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
          insecure: {
            type: "boolean",
            description: "Plain HTTP (loopback hosts are always plain HTTP); its token realm is trusted as well.",
          },
          trustRealm: {
            type: "boolean",
            description:
              "Send credentials to the token realm this registry names even on another host or over plain http (refused otherwise).",
          },
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
          api: {
            enum: ["auto", "none", "docker-hub", "gcr", "ecr", "quay", "harbor"],
            description:
              "Timestamp API of the registry: auto (Docker Hub, GCR, ECR, quay.io by host), none, or the one named (quay / harbor for self-hosted ones).",
          },
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
          minAge: {
            type: "string",
            minLength: 1,
            description:
              "Candidates built less than this long ago are not chosen yet (`2h`, `1d12h`; units s, m, h, d, w).",
          },
          digest: {
            enum: ["refresh", "keep"],
            description:
              "`refresh`: a reference pinned `tag@sha256:…` whose tag now points at another digest gets the new digest (a digest-only change); `keep` (default) leaves it.",
          },
          platforms: {
            type: "array",
            minItems: 1,
            items: { type: "string", minLength: 1 },
            description:
              "Required platforms (`os/arch[/variant]`): a candidate whose index lacks one is skipped (missing-platform); a single-platform image must be one of them.",
          },
          verify: {
            type: "object",
            additionalProperties: false,
            required: ["cosign"],
            description:
              "Signature gate: only candidates with a valid signature are chosen (the winning candidate is checked, then the next).",
            properties: {
              cosign: {
                type: "object",
                additionalProperties: false,
                description:
                  "A cosign public key (PEM): `key` (a file relative to the repository root) or `keyEnv` (an environment variable holding it). Candidates without a valid signature (tag `sha256-<hex>.sig`) by it stay `unsigned` / `bad-signature`.",
                properties: {
                  key: {
                    type: "string",
                    minLength: 1,
                    description: "Path of the PEM public key, relative to the repository root.",
                  },
                  keyEnv: {
                    type: "string",
                    minLength: 1,
                    description: "Environment variable holding the PEM public key.",
                  },
                },
              },
            },
          },
        },
      },
    },
    promotions: {
      type: "array",
      description:
        "Promotions between environments: each reference in `to` takes the tag the same image has in `from`, once it has been there for `soak` (from git history).",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "from", "to", "soak"],
        properties: {
          name: {
            type: "string",
            pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$",
            description: "Names the promotion in the plan, the commit trailer and its pull-request branch.",
          },
          from: { type: "array", minItems: 1, items: fileEntry, description: "The source environment's files." },
          to: { type: "array", minItems: 1, items: fileEntry, description: "The files that receive the tags." },
          images: {
            type: "array",
            items: { type: "string", minLength: 1 },
            description: "Only these images (globs, as in `updates[].images`).",
          },
          soak: {
            type: "string",
            minLength: 1,
            description: "How long a tag must have been in `from` on the branch (`24h`, `2d`).",
          },
          minAge: { type: "string", minLength: 1, description: "The build must also be at least this old." },
        },
      },
    },
    commands: {
      type: "array",
      items: command,
      description: "Run after rewriting, before committing, in the repository root.",
    },
    preCommitCommands: { type: "array", items: command, description: "The original laminar name of `commands`." },
    limits: {
      type: "object",
      description: "Bounds on the work one run asks of registries, whatever they answer.",
      additionalProperties: false,
      properties: {
        tags: {
          type: "integer",
          minimum: 1,
          description:
            "Most tags read per repository (default 100000); a repository with more is left alone with reason `too-many-tags`.",
        },
        candidates: {
          type: "integer",
          minimum: 1,
          description:
            "Most build times fetched per channel and repository and run (default 200; times cached by earlier runs are free). A channel with more left to fetch is learnt over several runs, reason `learning-build-times` meanwhile.",
        },
        registryDeadline: {
          type: "integer",
          minimum: 1,
          description:
            "Seconds each registry may keep requests waiting per run (default 60); past it its remaining requests are skipped.",
        },
      },
    },
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
        threads: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          description:
            "Threads that read and scan files (default: one per CPU, at most 4, in repositories of 5,000 files or more; `LAMINAR_SCAN_THREADS` overrides).",
        },
      },
    },
    pullRequests: {
      type: "object",
      description: "Pull-request mode (the Action's `mode: pull-request`, `laminar apply --pull-request`).",
      additionalProperties: false,
      properties: {
        group: {
          enum: ["all", "rule", "image", "promotion"],
          description:
            "Which changes share a pull request: `promotion` (default) one for the update rules plus one per promotion (`laminar/promote-<name>`); `all` one for everything; `rule` one per update rule (`laminar/rule-<rule>`); `image` one per image repository (`laminar/image-<repository>`). Promotions keep their own unless `all`.",
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
