import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/**
 * GitHub's official REST description (OpenAPI 3.0), as shipped in the npm package @octokit/openapi
 * (generated from github/rest-api-description). We read the non-dereferenced `api.github.com.json`
 * (13 MB, ~0.2 s to parse) rather than the 70 MB `.deref` file: `$ref`s are resolved by ajv on demand.
 */

export interface OpenApiSchema {
  readonly [keyword: string]: unknown;
}

export interface OpenApiParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required?: boolean;
  readonly schema?: OpenApiSchema;
  /** GitHub's extension: a path parameter that may contain `/` (`{ref}` = `heads/feature/x`). */
  readonly "x-multi-segment"?: boolean;
}

export interface OpenApiRef {
  readonly $ref: string;
}

export interface OpenApiMediaType {
  readonly schema?: OpenApiSchema;
  readonly examples?: Readonly<Record<string, { readonly value?: unknown; readonly $ref?: string }>>;
}

export interface OpenApiResponse {
  readonly description?: string;
  readonly content?: Readonly<Record<string, OpenApiMediaType>>;
  readonly $ref?: string;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly parameters?: readonly (OpenApiParameter | OpenApiRef)[];
  readonly requestBody?: {
    readonly required?: boolean;
    readonly content?: Readonly<Record<string, OpenApiMediaType>>;
  };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
}

export type HttpMethod = "get" | "put" | "post" | "delete" | "patch" | "head" | "options";
export const HTTP_METHODS: readonly HttpMethod[] = ["get", "put", "post", "delete", "patch", "head", "options"];

export type OpenApiPathItem = Partial<Record<HttpMethod, OpenApiOperation>> & {
  readonly parameters?: readonly (OpenApiParameter | OpenApiRef)[];
};

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly version: string; readonly title: string };
  readonly paths: Readonly<Record<string, OpenApiPathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, OpenApiSchema>>;
    readonly parameters: Readonly<Record<string, OpenApiParameter>>;
    readonly responses: Readonly<Record<string, OpenApiResponse>>;
    readonly examples: Readonly<Record<string, { readonly value?: unknown }>>;
  };
}

/** Where the description lives inside the installed package (resolved, not hard-coded). */
export function openApiDescriptionPath(variant = "api.github.com"): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve("@octokit/openapi/package.json");
  return join(dirname(pkg), "generated", `${variant}.json`);
}

let cached: OpenApiDocument | undefined;

/** Parsed once per process and shared by every emulator instance (tests start many). */
export function loadOpenApiDescription(): OpenApiDocument {
  cached ??= JSON.parse(readFileSync(openApiDescriptionPath(), "utf8")) as OpenApiDocument;
  return cached;
}

/** Follows a local `#/components/...` reference. */
export function resolveRef<T>(doc: OpenApiDocument, value: T | OpenApiRef): T {
  let current: unknown = value;
  for (let guard = 0; guard < 20; guard++) {
    if (typeof current !== "object" || current === null || !("$ref" in current)) return current as T;
    const ref = (current as OpenApiRef).$ref;
    if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
    current = ref
      .slice(2)
      .split("/")
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (current === undefined) throw new Error(`dangling $ref ${ref}`);
  }
  throw new Error("$ref chain too long");
}

/** A named example value (`#/components/examples/<name>`), deep-copied so callers can edit it. */
export function exampleValue<T>(doc: OpenApiDocument, name: string): T {
  const ex = doc.components.examples[name];
  if (!ex || ex.value === undefined) throw new Error(`no example named ${name} in the OpenAPI description`);
  return structuredClone(ex.value) as T;
}
