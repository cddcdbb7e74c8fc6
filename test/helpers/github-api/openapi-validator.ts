import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import {
  HTTP_METHODS,
  loadOpenApiDescription,
  resolveRef,
  type HttpMethod,
  type OpenApiDocument,
  type OpenApiOperation,
  type OpenApiParameter,
  type OpenApiSchema,
} from "./openapi-spec.js";

/**
 * Checks requests (and, on demand, responses) against GitHub's OpenAPI description:
 * - route: method + path must match an operation's path template (GitHub's `x-multi-segment`
 *   parameters such as `{ref}` may span slashes, literal segments win over parameters);
 * - path parameters: decoded and checked against their schema (`pull_number` must be an integer);
 * - query parameters: required ones present, each known to the operation and valid for its schema;
 * - body: present when `requestBody.required`, absent when the operation takes none, JSON, valid
 *   against the requestBody schema (ajv, `$ref`s resolved, compiled lazily per operation and
 *   cached), and free of properties the schema does not declare — GitHub ignores unknown fields,
 *   so a misspelt `team_reviewer` would otherwise pass silently in tests *and* in production.
 */

export interface MatchedOperation {
  readonly method: HttpMethod;
  readonly template: string;
  readonly operation: OpenApiOperation;
  readonly operationId: string;
  /** Decoded path parameters. */
  readonly pathParams: Readonly<Record<string, string>>;
}

export type RouteMatch =
  | { readonly kind: "matched"; readonly match: MatchedOperation }
  | { readonly kind: "unknown-route" }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly HttpMethod[] };

interface Route {
  readonly template: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  /** Sort key: more literal characters = more specific. */
  readonly literal: number;
  readonly methods: Partial<Record<HttpMethod, OpenApiOperation>>;
}

const ROUTE_PARAM = /\{([^}]+)\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
}

/** ajv formats used in GitHub's description that are worth checking; the rest are accepted. */
const FORMATS: Record<string, RegExp | true> = {
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  uri: /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/,
  email: /^[^\s@]+@[^\s@]+$/,
};

export class OpenApiValidator {
  readonly doc: OpenApiDocument;
  private readonly routes: Route[] = [];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(doc: OpenApiDocument = loadOpenApiDescription()) {
    this.doc = doc;
    for (const [template, item] of Object.entries(doc.paths)) {
      const names: string[] = [];
      const methods: Partial<Record<HttpMethod, OpenApiOperation>> = {};
      const multi = new Set<string>();
      for (const m of HTTP_METHODS) {
        const op = item[m];
        if (!op) continue;
        methods[m] = op;
        for (const p of this.parameters(template, op)) if (p.in === "path" && p["x-multi-segment"]) multi.add(p.name);
      }
      let literal = 0;
      let pattern = "";
      let last = 0;
      for (const m of template.matchAll(ROUTE_PARAM)) {
        const name = m[1] ?? "";
        const at = m.index ?? 0;
        pattern += escapeRegex(template.slice(last, at));
        literal += at - last;
        pattern += multi.has(name) ? "(.+)" : "([^/]+)";
        names.push(name);
        last = at + m[0].length;
      }
      pattern += escapeRegex(template.slice(last));
      literal += template.length - last;
      this.routes.push({ template, regex: new RegExp(`^${pattern}$`), names, literal, methods });
    }
    this.routes.sort((a, b) => b.literal - a.literal);
    // strict: false — the description uses OpenAPI keywords (nullable, example, x-*) that are not
    // JSON Schema; ajv understands `nullable` natively. Schemas come from GitHub, not from us: we do
    // not validate them against the meta-schema (slow, and not our concern).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, formats: FORMATS });
    // One schema document holding all components, addressed by `gh#/components/...` from the
    // per-operation schemas (whose local `#/components/...` refs are rewritten to point there).
    this.ajv.addSchema({ components: { schemas: nullableWithoutType(doc.components.schemas) } }, "gh");
    for (const format of this.formatsUsed()) if (!(format in FORMATS)) this.ajv.addFormat(format, true);
  }

  /** Formats named anywhere in the description, so ajv does not reject unknown ones. */
  private formatsUsed(): Set<string> {
    const found = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "format" && typeof v === "string") found.add(v);
          else walk(v);
        }
      }
    };
    walk(this.doc.components.schemas);
    walk(this.doc.paths);
    return found;
  }

  /** Path-item and operation parameters, `$ref`s resolved (operation wins on name clashes). */
  parameters(template: string, op: OpenApiOperation): OpenApiParameter[] {
    const item = this.doc.paths[template];
    const all = [...(item?.parameters ?? []), ...(op.parameters ?? [])].map((p) =>
      resolveRef<OpenApiParameter>(this.doc, p),
    );
    const byKey = new Map<string, OpenApiParameter>();
    for (const p of all) byKey.set(`${p.in}:${p.name}`, p);
    return [...byKey.values()];
  }

  match(method: string, pathname: string): RouteMatch {
    const m = method.toLowerCase() as HttpMethod;
    let allowed: HttpMethod[] | undefined;
    for (const route of this.routes) {
      const hit = route.regex.exec(pathname);
      if (!hit) continue;
      const op = route.methods[m];
      if (!op) {
        allowed ??= Object.keys(route.methods) as HttpMethod[];
        continue;
      }
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, i) => {
        const raw = hit[i + 1] ?? "";
        try {
          pathParams[name] = decodeURIComponent(raw);
        } catch {
          pathParams[name] = raw;
        }
      });
      return {
        kind: "matched",
        match: { method: m, template: route.template, operation: op, operationId: op.operationId, pathParams },
      };
    }
    return allowed ? { kind: "method-not-allowed", allowed } : { kind: "unknown-route" };
  }

  /** Problems with a matched request; empty when it conforms. */
  validateRequest(
    match: MatchedOperation,
    query: URLSearchParams,
    body: { present: boolean; json: boolean; value: unknown },
  ): string[] {
    const problems: string[] = [];
    const params = this.parameters(match.template, match.operation);

    for (const p of params.filter((x) => x.in === "path")) {
      const value = match.pathParams[p.name];
      if (value === undefined || value === "") problems.push(`path parameter ${p.name} is missing`);
      else problems.push(...this.checkParameter(match.operationId, p, value));
    }

    const queryParams = params.filter((x) => x.in === "query");
    for (const p of queryParams) {
      const value = query.get(p.name);
      if (value === null) {
        if (p.required) problems.push(`required query parameter ${p.name} is missing`);
      } else {
        problems.push(...this.checkParameter(match.operationId, p, value));
      }
    }
    for (const name of new Set(query.keys())) {
      if (!queryParams.some((p) => p.name === name)) problems.push(`unknown query parameter ${name}`);
    }

    const rb = match.operation.requestBody;
    const schema = rb?.content?.["application/json"]?.schema;
    if (!body.present) {
      if (rb?.required) problems.push("request body is required");
      return problems;
    }
    if (!rb) {
      problems.push(`${match.operationId} takes no request body`);
      return problems;
    }
    if (!body.json) {
      problems.push("request body is not valid JSON (or not sent as application/json)");
      return problems;
    }
    if (schema) {
      const validate = this.compile(`${match.operationId} request`, schema);
      if (!validate(body.value)) problems.push(...formatErrors("body", validate.errors));
      problems.push(...this.undeclaredProperties(schema, body.value, "body"));
    }
    return problems;
  }

  /** Problems with a response we are about to send (emulator self-check). */
  validateResponse(match: MatchedOperation, status: number, body: unknown): string[] {
    const response = match.operation.responses[String(status)];
    if (!response) return [`${match.operationId} documents no ${status} response`];
    const resolved = resolveRef<{ content?: Record<string, { schema?: OpenApiSchema }> }>(this.doc, response);
    const schema = resolved.content?.["application/json"]?.schema;
    // Many error responses are documented without content although GitHub sends its usual
    // `{ message, documentation_url }`: nothing to check against.
    if (!schema) return [];
    const validate = this.compile(`${match.operationId} response ${status}`, schema);
    return validate(body) ? [] : formatErrors(`response ${status}`, validate.errors);
  }

  private checkParameter(operationId: string, p: OpenApiParameter, raw: string): string[] {
    if (!p.schema) return [];
    const type = (p.schema as { type?: string }).type;
    let value: unknown = raw;
    if (type === "integer" || type === "number") {
      if (!/^-?\d+(\.\d+)?$/.test(raw))
        return [`${p.in} parameter ${p.name}=${raw} is not ${type === "integer" ? "an" : "a"} ${type}`];
      value = Number(raw);
    } else if (type === "boolean") {
      if (raw !== "true" && raw !== "false") return [`${p.in} parameter ${p.name}=${raw} is not a boolean`];
      value = raw === "true";
    } else if (type === "array") {
      value = raw.split(",");
    }
    const validate = this.compile(`${operationId} ${p.in} ${p.name}`, p.schema);
    return validate(value) ? [] : formatErrors(`${p.in} parameter ${p.name}`, validate.errors);
  }

  private compile(key: string, schema: OpenApiSchema): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(pointRefsAtComponents(schema) as object);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Object properties the schema does not declare (only where it lists `properties` and has no combinators). */
  private undeclaredProperties(schema: OpenApiSchema, value: unknown, at: string): string[] {
    const s = resolveRef<OpenApiSchema>(this.doc, schema);
    if (Array.isArray(value)) {
      const items = s.items as OpenApiSchema | undefined;
      return items ? value.flatMap((v, i) => this.undeclaredProperties(items, v, `${at}/${i}`)) : [];
    }
    if (!value || typeof value !== "object") return [];
    if (s.oneOf || s.anyOf || s.allOf || s.additionalProperties !== undefined) return [];
    const props = s.properties as Record<string, OpenApiSchema> | undefined;
    if (!props) return [];
    const out: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const p = props[k];
      if (!p) out.push(`${at} has property "${k}" that the operation does not define`);
      else out.push(...this.undeclaredProperties(p, v, `${at}/${k}`));
    }
    return out;
  }
}

/**
 * ajv supports OpenAPI's `nullable` only next to a `type`; GitHub's description also puts it beside
 * `allOf`/`anyOf` (e.g. `installation.account`, `integration.owner`). Such a schema becomes
 * `anyOf: [schema, {type: "null"}]`, which is what `nullable` means there.
 */
function nullableWithoutType(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableWithoutType);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableWithoutType(v);
  return typeless(out);
}

/** The one-node step of {@link nullableWithoutType} (children already converted). */
function typeless(out: Record<string, unknown>): unknown {
  if (out.nullable !== true || out.type !== undefined) return out;
  const { nullable: _, ...rest } = out;
  return { anyOf: [rest, { type: "null" }] };
}

function pointRefsAtComponents(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(pointRefsAtComponents);
  if (!node || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === "$ref" && typeof v === "string" && v.startsWith("#/") ? `gh${v}` : pointRefsAtComponents(v);
  }
  return typeless(out);
}

function formatErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  // allErrors + oneOf produce one line per failed branch; keep the distinct messages, capped.
  const lines = [
    ...new Set(
      (errors ?? []).map(
        (e) =>
          `${where}${e.instancePath || ""} ${e.message ?? e.keyword}${e.params && "allowedValues" in e.params ? ` (${(e.params.allowedValues as unknown[]).join(", ")})` : ""}`,
      ),
    ),
  ];
  return lines.slice(0, 10);
}
