/**
 * Shapes of what comes over the wire, checked with JSON Schema (ajv, each compiled on its first use)
 * instead of cast: a registry that answers the wrong shape gets a named error at the answer, not a
 * TypeError three calls later. Each schema lists only the fields we read; unknown fields stay
 * allowed, because real registries add their own (GCR's `manifest` map, Hub's `images`, …).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { malformedJson, unexpectedAnswer, type AnswerBody, type ErrorSite } from "./errors.js";
import { PRECOMPILED } from "./wire-validators.generated.js";

// Compiling costs memory and time (about 12 MB of RSS for every shape here, #12), so the shapes
// are compiled ahead of time by scripts/validators.mjs into wire-validators.generated.ts (checked
// fresh by test/validators.test.ts). A shape missing there (not yet generated) compiles on first use.
let ajv: Ajv | undefined;
const declared = new Map<string, object>();

/** Every shape declared so far, by its `expected` name: what scripts/validators.mjs compiles. */
export function declaredShapes(): ReadonlyMap<string, object> {
  return declared;
}

/** A schema, compiled on first use, and what to call a value that does not match it ("a tag list"). */
export interface WireShape<T> {
  readonly expected: string;
  readonly validate: ValidateFunction<T>;
}

/** Declares a shape (at module load); `expected` names a value of the shape in messages. */
export function shape<T>(expected: string, schema: object): WireShape<T> {
  declared.set(expected, schema);
  let compiled = PRECOMPILED[expected] as ValidateFunction<T> | undefined;
  return {
    expected,
    get validate(): ValidateFunction<T> {
      ajv ??= new Ajv({ strict: true, allowUnionTypes: true });
      return (compiled ??= ajv.compile<T>(schema));
    },
  };
}

const ARTICLE: Readonly<Record<string, string>> = {
  array: "an array",
  object: "an object",
  string: "a string",
  number: "a number",
  integer: "an integer",
  boolean: "a boolean",
  null: "null",
};

/** `/tags/0` → `tags[0]`, `/config` → `config`, `` → `the answer`. */
function where(pointer: string, extra?: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra !== undefined) parts.push(extra);
  if (parts.length === 0) return "the answer";
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The first schema violation in words: `tags[3] must be a string`, `config.digest is missing`. */
function describeProblem(errors: readonly ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return "unexpected shape";
  if (e.keyword === "type") {
    const t = (e.params as { type: string | string[] }).type;
    const types = Array.isArray(t) ? t : t.split(",");
    return `${where(e.instancePath)} must be ${types.map((x) => ARTICLE[x] ?? x).join(" or ")}`;
  }
  if (e.keyword === "required") {
    return `${where(e.instancePath, (e.params as { missingProperty: string }).missingProperty)} is missing`;
  }
  return `${where(e.instancePath)} ${e.message ?? "is not valid"}`;
}

/** The value typed by its shape, or why it does not have it. */
export function checkShape<T>(
  s: WireShape<T>,
  value: unknown,
): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string } {
  return s.validate(value) ? { ok: true, value } : { ok: false, problem: describeProblem(s.validate.errors) };
}

/**
 * The answer typed by its shape, or a RegistryError naming the registry, the request, the status
 * and what was expected (`… → answer is not a tag list: tags must be an array or null`).
 */
export function expectShape<T>(s: WireShape<T>, value: unknown, site: ErrorSite, request: string, status: number): T {
  const r = checkShape(s, value);
  if (r.ok) return r.value;
  throw unexpectedAnswer(site, request, status, s.expected, r.problem);
}

/**
 * The JSON of an answer, or a RegistryError naming the registry, the request and `what` was
 * expected (`malformed JSON in WHAT`, or an HTML page where JSON was due): one place for every
 * registry answer Laminar reads.
 */
export function parseAnswer(
  res: AnswerBody & { readonly status: number },
  site: ErrorSite,
  request: string,
  what: string,
): unknown {
  try {
    return JSON.parse(res.body.toString("utf8"));
  } catch (err) {
    throw malformedJson(site, request, res.status, what, err, res);
  }
}

/** {@link parseAnswer}, then {@link expectShape}: the answer typed by its shape. */
export function expectAnswer<T>(
  s: WireShape<T>,
  res: AnswerBody & { readonly status: number },
  site: ErrorSite,
  request: string,
  what: string,
): T {
  return expectShape(s, parseAnswer(res, site, request, what), site, request, res.status);
}

const STRING = { type: "string" } as const;
const OPTIONAL_STRING = { type: ["string", "null"] } as const;

/** `tags/list` (distribution spec, "Listing Tags"); `tags` is null for an empty repository on some registries. */
export interface TagListPage {
  readonly tags?: readonly string[] | null;
  /** GCR / Artifact Registry: digest → tags and upload time (read by `parseGcrManifestMap`). */
  readonly manifest?: unknown;
}
export const TAG_LIST = shape<TagListPage>("a tag list", {
  type: "object",
  properties: { tags: { type: ["array", "null"], items: STRING } },
});

/** GCR / Artifact Registry's `manifest` map in `tags/list`: digest → tags and upload time (epoch ms). */
export type GcrManifestMap = Readonly<
  Record<string, { readonly tag?: readonly string[]; readonly timeUploadedMs?: string | number }>
>;
export const GCR_MANIFEST_MAP = shape<GcrManifestMap>("a GCR manifest map", {
  type: "object",
  additionalProperties: {
    type: "object",
    properties: { tag: { type: "array", items: STRING }, timeUploadedMs: { type: ["string", "number"] } },
  },
});

/** A descriptor (image-spec descriptor.md) as the build-time lookup reads it. */
export interface Descriptor {
  readonly mediaType?: string;
  /** OCI 1.1: what an artifact manifest is (a referrer's kind, e.g. a Sigstore bundle). */
  readonly artifactType?: string;
  readonly digest: string;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string };
  /** Values are strings by the spec; read through `parseTime` and equality, never cast. */
  readonly annotations?: Readonly<Record<string, unknown>>;
}
const DESCRIPTOR = {
  type: "object",
  required: ["digest"],
  properties: {
    mediaType: STRING,
    artifactType: STRING,
    digest: STRING,
    platform: {
      type: "object",
      properties: { os: STRING, architecture: STRING, variant: STRING },
    },
    annotations: { type: "object" },
  },
} as const;

const IMAGE_MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/**
 * An image manifest or index (image-spec manifest.md, image-index.md; Docker's manifest v2 and
 * manifest list). An image manifest that says what it is must have a config descriptor
 * (image-spec manifest.md: `config` is REQUIRED).
 */
export interface ManifestBody {
  readonly mediaType?: string;
  readonly config?: Descriptor;
  readonly manifests?: readonly Descriptor[];
  /** An image manifest's layers (read for cosign's signature manifests, issue #15). */
  readonly layers?: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, unknown>>;
}
export const MANIFEST = shape<ManifestBody>("an image manifest or index", {
  type: "object",
  properties: {
    mediaType: STRING,
    config: DESCRIPTOR,
    manifests: { type: "array", items: DESCRIPTOR },
    layers: { type: "array", items: DESCRIPTOR },
    annotations: { type: "object" },
  },
  if: { required: ["mediaType"], properties: { mediaType: { enum: IMAGE_MANIFEST_TYPES } } },
  then: { required: ["config"], properties: { config: DESCRIPTOR } },
});

/** An image config blob (image-spec config.md): only `created` is read. */
export interface ImageConfig {
  readonly created?: string;
  /** The platform of a single-platform image (image-spec config.md: `os`, `architecture`, `variant`). */
  readonly os?: string;
  readonly architecture?: string;
  readonly variant?: string;
}
export const IMAGE_CONFIG = shape<ImageConfig>("an image config", {
  type: "object",
  properties: { created: STRING, os: STRING, architecture: STRING, variant: STRING },
});

/** A token server's answer (distribution docs/spec/auth/token.md, "Token Response Fields"). */
export interface TokenAnswer {
  readonly token?: string;
  readonly access_token?: string;
  readonly expires_in?: number;
  readonly issued_at?: string;
}
export const TOKEN_ANSWER = shape<TokenAnswer>("a token response", {
  type: "object",
  properties: { token: STRING, access_token: STRING, expires_in: { type: "number" }, issued_at: STRING },
});

/** One page of Docker Hub's tag API (`/v2/namespaces/{ns}/repositories/{repo}/tags`). */
export interface HubTagPage {
  readonly next?: string | null;
  readonly results?: ReadonlyArray<{
    readonly name: string;
    readonly digest?: string | null;
    readonly tag_last_pushed?: string | null;
    readonly last_updated?: string | null;
  }>;
}
export const HUB_TAG_PAGE = shape<HubTagPage>("a Docker Hub tag page", {
  type: "object",
  properties: {
    next: OPTIONAL_STRING,
    results: {
      type: "array",
      items: {
        type: "object",
        required: ["name"],
        properties: {
          name: STRING,
          digest: OPTIONAL_STRING,
          tag_last_pushed: OPTIONAL_STRING,
          last_updated: OPTIONAL_STRING,
        },
      },
    },
  },
});

/**
 * A page of Quay's tag API (`GET /api/v1/repository/{ns}/{repo}/tag/`,
 * https://docs.quay.io/api/swagger/#!/tag/listRepoTags): `start_ts` is when the tag started pointing
 * at `manifest_digest` (epoch seconds).
 */
export interface QuayTagPage {
  readonly tags: readonly {
    readonly name: string;
    readonly start_ts?: number | null;
    readonly manifest_digest?: string | null;
  }[];
  readonly has_additional?: boolean | null;
}
export const QUAY_TAG_PAGE = shape<QuayTagPage>("a Quay tag page", {
  type: "object",
  required: ["tags"],
  properties: {
    tags: {
      type: "array",
      items: {
        type: "object",
        required: ["name"],
        properties: { name: STRING, start_ts: { type: ["number", "null"] }, manifest_digest: OPTIONAL_STRING },
      },
    },
    has_additional: { type: ["boolean", "null"] },
  },
});

/**
 * A page of Harbor's artifact list (`GET /api/v2.0/projects/{p}/repositories/{r}/artifacts`,
 * Harbor's swagger `listArtifacts`): `push_time` is when the artifact was pushed (RFC 3339).
 */
export type HarborArtifactPage = readonly {
  readonly digest: string;
  readonly push_time?: string | null;
  readonly tags?: readonly { readonly name: string; readonly push_time?: string | null }[] | null;
}[];
export const HARBOR_ARTIFACT_PAGE = shape<HarborArtifactPage>("a Harbor artifact page", {
  type: "array",
  items: {
    type: "object",
    required: ["digest"],
    properties: {
      digest: STRING,
      push_time: OPTIONAL_STRING,
      tags: {
        type: ["array", "null"],
        items: { type: "object", required: ["name"], properties: { name: STRING, push_time: OPTIONAL_STRING } },
      },
    },
  },
});
