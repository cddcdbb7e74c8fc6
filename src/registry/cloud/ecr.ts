/**
 * ECR through the AWS SDK (loaded only when an ECR registry is used, see cloud-access.ts):
 * `GetAuthorizationToken` for the registry password and `DescribeImages` for push times, with the
 * SDK's default credential chain (environment keys, shared config and `AWS_PROFILE` including SSO,
 * web identity — GitHub OIDC, EKS IRSA —, ECS / EC2 metadata) and an optional role to assume for
 * cross-account registries. Replaces a hand-written SigV4 signer and "static keys only" (issue #11).
 *
 * The SDK builds and signs each request; our registry transport sends it, so ECR API calls have the
 * registry's timeout, retries and request counts (the SDK's own retries are off: one retry policy).
 */
import { DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { Expiring } from "./refreshing.js";
import type { Transport } from "./transport.js";

/** A registry's `aws` settings. */
export interface AwsSettings {
  /** Role to assume (STS AssumeRole) with the chain's credentials: a registry in another account. */
  readonly roleArn?: string;
  /** Default: the region in the ECR host name, else the SDK's (`AWS_REGION`, the profile). */
  readonly region?: string;
  /** Shared-config profile (default `AWS_PROFILE`, else `default`). */
  readonly profile?: string;
  /** ECR API endpoint instead of the SDK's (`AWS_ENDPOINT_URL_ECR` works too). */
  readonly endpoint?: string;
}

export interface EcrOptions {
  readonly aws: AwsSettings;
  /** Account (from the host) whose registry is asked. */
  readonly registryId?: string;
  readonly region?: string;
  readonly transport: Transport;
}

export interface EcrImage {
  readonly digest?: string;
  readonly tags: readonly string[];
  readonly pushedAt?: Date;
}

/** The part of Smithy's HttpRequest the handler reads (kept structural: no @smithy import). */
interface SdkHttpRequest {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
}

/** The JSON protocol's body is a string, or bytes once a middleware has touched it. */
function bodyText(body: unknown): string | undefined {
  if (typeof body === "string") return body;
  // Raw bytes: the SDK passes a Uint8Array that warns when its string-like methods are used.
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  if (body === undefined || body === null) return undefined;
  throw new Error("ECR request body of an unexpected kind");
}

/** An SDK request handler that sends through the registry transport. */
function handlerFor(transport: Transport) {
  return {
    metadata: { handlerProtocol: "http/1.1" },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
    async handle(request: SdkHttpRequest) {
      const url = new URL(`${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ""}`);
      url.pathname = request.path;
      for (const [k, v] of Object.entries(request.query ?? {}))
        for (const one of Array.isArray(v) ? v : [v]) url.searchParams.append(k, one ?? "");
      const target = request.headers["x-amz-target"] ?? "";
      // `host` is signed; fetch sets the same value from the URL and refuses to be given it.
      const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => k.toLowerCase() !== "host"));
      const res = await transport({
        kind: target.endsWith(".GetAuthorizationToken") ? "token" : "api",
        method: request.method === "GET" ? "GET" : "POST",
        url: url.toString(),
        headers,
        body: bodyText(request.body),
        idempotent: true,
      });
      const outHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => (outHeaders[k] = v));
      return { response: { statusCode: res.status, reason: "", headers: outHeaders, body: new Uint8Array(res.body) } };
    },
  };
}

/** A short, secret-free description of where the chain looks, for plans and logs. */
export function awsSourceLabel(aws: AwsSettings, env: NodeJS.ProcessEnv): string {
  const parts: string[] = [];
  const profile = aws.profile ?? env.AWS_PROFILE;
  if (aws.profile) parts.push(`profile ${aws.profile}`);
  else if (env.AWS_ACCESS_KEY_ID) parts.push("environment keys");
  else if (profile) parts.push(`profile ${profile}`);
  else if (env.AWS_WEB_IDENTITY_TOKEN_FILE) parts.push("web identity");
  if (aws.roleArn) parts.push(`role ${aws.roleArn}`);
  return `AWS SDK chain${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** The AWS SDK's documented switch for its Node.js support notice (aws/aws-sdk-js-v3#7983). */
const NODE_WARNING_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/**
 * Builds an SDK client without the SDK's `NodeVersionSupportWarning` on Node 20, which Laminar
 * supports (`engines`): the Action's and CLI's stderr carry no SDK notice. The SDK checks the switch
 * once, in the first client's constructor (@aws-sdk/core `emitWarningIfUnsupportedVersion`), and
 * then never warns again in this process (STS / SSO clients built later by the credential chain
 * included), so the variable is set only around that constructor and restored after: commands
 * Laminar starts do not inherit it. A value the user set is left alone.
 */
function withoutNodeVersionWarning<T>(build: () => T): T {
  if (process.env[NODE_WARNING_SWITCH] !== undefined) return build();
  process.env[NODE_WARNING_SWITCH] = "true";
  try {
    return build();
  } finally {
    delete process.env[NODE_WARNING_SWITCH];
  }
}

export class EcrAccess {
  private readonly client: ECRClient;

  constructor(private readonly o: EcrOptions) {
    const region = o.aws.region ?? o.region;
    const chain = fromNodeProviderChain({
      ...(o.aws.profile ? { profile: o.aws.profile } : {}),
      ...(region ? { clientConfig: { region } } : {}),
    });
    const credentials = o.aws.roleArn
      ? fromTemporaryCredentials({
          params: { RoleArn: o.aws.roleArn, RoleSessionName: "laminar" },
          masterCredentials: chain,
          ...(region ? { clientConfig: { region } } : {}),
        })
      : chain;
    this.client = withoutNodeVersionWarning(
      () =>
        new ECRClient({
          ...(region ? { region } : {}),
          ...(o.aws.endpoint ? { endpoint: o.aws.endpoint } : {}),
          credentials,
          maxAttempts: 1,
          requestHandler: handlerFor(o.transport) as never,
        }),
    );
  }

  /** `AWS` + the registry password from GetAuthorizationToken, with its expiry (12 h today). */
  async password(): Promise<Expiring<{ username: string; password: string }>> {
    const out = await this.client.send(
      new GetAuthorizationTokenCommand(this.o.registryId ? { registryIds: [this.o.registryId] } : {}),
    );
    const data = out.authorizationData?.[0];
    const decoded = Buffer.from(data?.authorizationToken ?? "", "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) throw new Error("GetAuthorizationToken answered without a user:password token");
    // ECR documents 12 hours; an answer without expiresAt is trusted for one hour.
    const expiresAt = data?.expiresAt instanceof Date ? data.expiresAt.getTime() : Date.now() + 3600_000;
    return { value: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }, expiresAt };
  }

  /** DescribeImages for the given tags (100 per call, the API's limit on `imageIds`). */
  async describeImages(repository: string, tags: readonly string[]): Promise<EcrImage[]> {
    const found: EcrImage[] = [];
    for (let i = 0; i < tags.length; i += 100) {
      const out = await this.client.send(
        new DescribeImagesCommand({
          repositoryName: repository,
          ...(this.o.registryId ? { registryId: this.o.registryId } : {}),
          imageIds: tags.slice(i, i + 100).map((imageTag) => ({ imageTag })),
        }),
      );
      for (const d of out.imageDetails ?? []) {
        if (!Array.isArray(d.imageTags)) throw new Error("DescribeImages answer: imageTags is not an array");
        found.push({
          digest: d.imageDigest,
          tags: d.imageTags,
          ...(d.imagePushedAt instanceof Date ? { pushedAt: d.imagePushedAt } : {}),
        });
      }
    }
    return found;
  }
}
