/**
 * Local servers on 127.0.0.1 that speak the cloud APIs Laminar's credential chains call, so the
 * real SDKs (AWS SDK v3, google-auth-library, @azure/identity) are exercised end to end:
 *   - ECR's JSON 1.1 API (`X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.*`):
 *     GetAuthorizationToken and DescribeImages, answering only SigV4-signed requests whose
 *     credential names an accepted access key id;
 *   - STS's Query API: AssumeRole (signed) and AssumeRoleWithWebIdentity (unsigned, token checked);
 *   - the GCE metadata server's token endpoint (`Metadata-Flavor: Google`);
 *   - Google's Security Token Service (`POST /v1/token`, RFC 8693 token exchange) for workload
 *     identity federation.
 * Each records the requests it got (headers, never bodies with secrets) for the tests to check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface RecordedCall {
  readonly action: string;
  /** The access key id named in the SigV4 Authorization header, if any. */
  readonly accessKeyId?: string;
  readonly sessionToken?: string;
  readonly authorization?: string;
  readonly body: string;
}

export interface LocalApi {
  readonly url: string;
  readonly calls: RecordedCall[];
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => Promise<unknown>): Promise<{
  server: Server;
  url: string;
}> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return { server, url: `http://127.0.0.1:${port}` };
}

const stopper = (server: Server) => () =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

/** `AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/ecr/aws4_request, SignedHeaders=…, Signature=…` */
const SIGV4 =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/\d{8}\/([a-z0-9-]+)\/([a-z]+)\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/;

export interface EcrImageRecord {
  readonly tag: string;
  readonly digest: string;
  readonly pushedAt: Date;
}

export interface EcrApiOptions {
  /** Access key ids whose signed requests are answered; others get 403 UnrecognizedClientException. */
  readonly acceptKeys: readonly string[];
  /** The registry password GetAuthorizationToken hands out (user `AWS`). */
  readonly password: string;
  /** Lifetime of the handed-out password, seconds (ECR: 12 h). */
  readonly lifetimeSeconds?: number;
  /** repository → images, for DescribeImages. */
  readonly images?: Readonly<Record<string, readonly EcrImageRecord[]>>;
}

/** ECR's JSON 1.1 API at `POST /`. */
export async function startEcrApi(o: EcrApiOptions): Promise<LocalApi> {
  const calls: RecordedCall[] = [];
  const { server, url } = await listen(async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    const action = target.replace(/^AmazonEC2ContainerRegistry_V20150921\./, "");
    const authorization = String(req.headers.authorization ?? "");
    const m = SIGV4.exec(authorization);
    const sessionToken = req.headers["x-amz-security-token"];
    calls.push({
      action,
      authorization,
      body,
      ...(m ? { accessKeyId: m[1] } : {}),
      ...(typeof sessionToken === "string" ? { sessionToken } : {}),
    });
    const send = (status: number, json: unknown) =>
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(json));
    if (!m || m[3] !== "ecr" || !req.headers["x-amz-date"] || !o.acceptKeys.includes(m[1]!))
      return send(403, {
        __type: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.",
      });
    if (action === "GetAuthorizationToken") {
      const expiresAt = Date.now() / 1000 + (o.lifetimeSeconds ?? 12 * 3600);
      return send(200, {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`AWS:${o.password}`).toString("base64"),
            expiresAt,
            proxyEndpoint: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
          },
        ],
      });
    }
    if (action === "DescribeImages") {
      const q = JSON.parse(body) as { repositoryName: string; imageIds?: Array<{ imageTag?: string }> };
      const images = o.images?.[q.repositoryName];
      if (!images) return send(400, { __type: "RepositoryNotFoundException", message: "no such repository" });
      const imageDetails = [];
      const failures = [];
      for (const id of q.imageIds ?? []) {
        const img = images.find((i) => i.tag === id.imageTag);
        if (!img)
          failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        else
          imageDetails.push({
            registryId: "123456789012",
            repositoryName: q.repositoryName,
            imageDigest: img.digest,
            imageTags: [img.tag],
            imagePushedAt: img.pushedAt.getTime() / 1000,
          });
      }
      return send(200, { imageDetails, failures });
    }
    return send(400, { __type: "UnknownOperationException" });
  });
  return { url, calls, stop: stopper(server) };
}

export interface StsOptions {
  /** Keys allowed to call AssumeRole (signed). */
  readonly acceptKeys: readonly string[];
  /** Web identity tokens accepted by AssumeRoleWithWebIdentity. */
  readonly webIdentityTokens?: readonly string[];
  /** The temporary credentials handed out. */
  readonly issue: { accessKeyId: string; secretAccessKey: string; sessionToken: string; lifetimeSeconds?: number };
}

/** STS's Query API (form POST, XML answers). */
export async function startSts(o: StsOptions): Promise<LocalApi> {
  const calls: RecordedCall[] = [];
  const { server, url } = await listen(async (req, res) => {
    const body = await readBody(req);
    const form = new URLSearchParams(body);
    const action = form.get("Action") ?? "";
    const authorization = String(req.headers.authorization ?? "");
    const m = SIGV4.exec(authorization);
    calls.push({
      action,
      authorization,
      body: action === "AssumeRoleWithWebIdentity" ? "" : body,
      ...(m ? { accessKeyId: m[1] } : {}),
    });
    const xmlError = (status: number, code: string) =>
      res
        .writeHead(status, { "content-type": "text/xml" })
        .end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error></ErrorResponse>`,
        );
    let ok = false;
    if (action === "AssumeRole") ok = !!m && m[3] === "sts" && o.acceptKeys.includes(m[1]!);
    else if (action === "AssumeRoleWithWebIdentity")
      ok = (o.webIdentityTokens ?? []).includes(form.get("WebIdentityToken") ?? "");
    if (!ok) return xmlError(403, "AccessDenied");
    const exp = new Date(Date.now() + (o.issue.lifetimeSeconds ?? 3600) * 1000).toISOString();
    const creds =
      `<Credentials><AccessKeyId>${o.issue.accessKeyId}</AccessKeyId><SecretAccessKey>${o.issue.secretAccessKey}</SecretAccessKey>` +
      `<SessionToken>${o.issue.sessionToken}</SessionToken><Expiration>${exp}</Expiration></Credentials>`;
    const role = `<AssumedRoleUser><AssumedRoleId>AROA:laminar</AssumedRoleId><Arn>${form.get("RoleArn")}</Arn></AssumedRoleUser>`;
    res
      .writeHead(200, { "content-type": "text/xml" })
      .end(
        `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${creds}${role}</${action}Result>` +
          `<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></${action}Response>`,
      );
  });
  return { url, calls, stop: stopper(server) };
}

export interface MetadataOptions {
  /** The token handed out, or a function giving the n-th one (1, 2, …): a rotating issuer. */
  readonly accessToken: string | ((mint: number) => string);
  readonly expiresIn?: number;
}

/** The GCE metadata server (what `GCE_METADATA_HOST` points google-auth-library at). */
export async function startGceMetadata(o: MetadataOptions): Promise<LocalApi & { host: string }> {
  const calls: RecordedCall[] = [];
  let mints = 0;
  const { server, url } = await listen(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    calls.push({ action: `${req.method} ${path}`, body: "" });
    const headers = { "metadata-flavor": "Google", "content-type": "application/json" };
    if (req.headers["metadata-flavor"] !== "Google") return void res.writeHead(403, headers).end("missing flavor");
    if (path === "/computeMetadata/v1/instance/service-accounts/default/token")
      return void res.writeHead(200, headers).end(
        JSON.stringify({
          access_token: typeof o.accessToken === "string" ? o.accessToken : o.accessToken(++mints),
          expires_in: o.expiresIn ?? 3599,
          token_type: "Bearer",
        }),
      );
    if (path === "/computeMetadata/v1/instance" || path === "/computeMetadata/v1/")
      return void res.writeHead(200, headers).end("{}");
    if (path === "/computeMetadata/v1/project/project-id") return void res.writeHead(200, headers).end("laminar-test");
    res.writeHead(404, headers).end();
  });
  return { url, host: url.replace(/^http:\/\//, ""), calls, stop: stopper(server) };
}

export interface GoogleStsOptions {
  /** The subject token (the OIDC token of the CI) the exchange accepts. */
  readonly subjectToken: string;
  readonly audience: string;
  readonly accessToken: string;
}

/**
 * Google STS (`sts.googleapis.com/v1/token`): an RFC 8693 token exchange of an external subject
 * token for a federated access token. Recorded calls carry the grant's public fields only.
 */
export async function startGoogleSts(o: GoogleStsOptions): Promise<LocalApi> {
  const calls: RecordedCall[] = [];
  const { server, url } = await listen(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const form = new URLSearchParams(await readBody(req));
    calls.push({
      action: `${req.method} ${path}`,
      body: JSON.stringify({
        grant_type: form.get("grant_type"),
        audience: form.get("audience"),
        subject_token_type: form.get("subject_token_type"),
        subject_token_ok: form.get("subject_token") === o.subjectToken,
      }),
    });
    const json = { "content-type": "application/json" };
    if (req.method !== "POST" || path !== "/v1/token") return void res.writeHead(404, json).end();
    if (
      form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:token-exchange" ||
      form.get("audience") !== o.audience ||
      form.get("subject_token") !== o.subjectToken
    )
      return void res
        .writeHead(400, json)
        .end(JSON.stringify({ error: "invalid_grant", error_description: "subject token refused" }));
    res.writeHead(200, json).end(
      JSON.stringify({
        access_token: o.accessToken,
        issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
        token_type: "Bearer",
        expires_in: 3600,
      }),
    );
  });
  return { url, calls, stop: stopper(server) };
}

export interface EntraIdOptions {
  /** PEM key and certificate for HTTPS (@azure/identity only talks to an https authority). */
  readonly key: string;
  readonly cert: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * The federated token accepted as `client_assertion` (workload identity: the file
   * `AZURE_FEDERATED_TOKEN_FILE` names), with `client_assertion_type` jwt-bearer.
   */
  readonly clientAssertion?: string;
  /** The Entra ID access token handed out for the registry scope. */
  readonly accessToken: string;
}

/**
 * Microsoft Entra ID's endpoints MSAL uses for a client secret or a client assertion (what `AZURE_AUTHORITY_HOST`
 * points @azure/identity at): the tenant's OpenID configuration and its v2.0 token endpoint.
 */
export async function startEntraId(o: EntraIdOptions): Promise<LocalApi> {
  const { createServer: createHttpsServer } = await import("node:https");
  const calls: RecordedCall[] = [];
  const server = createHttpsServer({ key: o.key, cert: o.cert }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const u = new URL(req.url ?? "/", "https://127.0.0.1");
      const tenant = u.pathname.split("/")[1] ?? "";
      const base = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
      const grant = new URLSearchParams(body);
      // Which client credential came, never its value.
      const credential = grant.has("client_assertion")
        ? `client_assertion(${grant.get("client_assertion_type") ?? ""})`
        : grant.has("client_secret")
          ? "client_secret"
          : "";
      calls.push({ action: `${req.method} ${u.pathname}`, body: credential });
      res.setHeader("content-type", "application/json");
      if (u.pathname.endsWith("/v2.0/.well-known/openid-configuration"))
        return res.end(
          JSON.stringify({
            issuer: `${base}/${tenant}/v2.0`,
            token_endpoint: `${base}/${tenant}/oauth2/v2.0/token`,
            authorization_endpoint: `${base}/${tenant}/oauth2/v2.0/authorize`,
            end_session_endpoint: `${base}/${tenant}/oauth2/v2.0/logout`,
            jwks_uri: `${base}/${tenant}/discovery/v2.0/keys`,
          }),
        );
      if (u.pathname.endsWith("/oauth2/v2.0/token")) {
        const form = new URLSearchParams(body);
        const assertionOk =
          o.clientAssertion !== undefined &&
          form.get("client_assertion") === o.clientAssertion &&
          form.get("client_assertion_type") === "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
        const ok =
          form.get("client_id") === o.clientId &&
          (form.get("client_secret") === o.clientSecret || assertionOk) &&
          form.get("scope")?.includes("https://containerregistry.azure.net/.default");
        if (!ok) {
          res.statusCode = 401;
          return res.end(
            JSON.stringify({ error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret." }),
          );
        }
        return res.end(
          JSON.stringify({ token_type: "Bearer", expires_in: 3600, ext_expires_in: 3600, access_token: o.accessToken }),
        );
      }
      res.statusCode = 404;
      res.end("{}");
    })();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { url: `https://127.0.0.1:${port}`, calls, stop: stopper(server) };
}

export interface SsoPortalOptions {
  /** The access token of the cached SSO session (`~/.aws/sso/cache/<sha1>.json`) accepted. */
  readonly accessToken: string;
  readonly accountId: string;
  readonly roleName: string;
  /** The role credentials handed out. */
  readonly issue: { accessKeyId: string; secretAccessKey: string; sessionToken: string; lifetimeSeconds?: number };
}

/**
 * The IAM Identity Center (SSO) portal's GetRoleCredentials (`GET /federation/credentials`,
 * bearer token in `x-amz-sso_bearer_token`), what the AWS SDK's SSO provider calls for a profile
 * with `sso_session` / `sso_start_url`. Recorded calls say whether the token matched, never it.
 */
export async function startSsoPortal(o: SsoPortalOptions): Promise<LocalApi> {
  const calls: RecordedCall[] = [];
  const { server, url } = await listen(async (req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const tokenOk = req.headers["x-amz-sso_bearer_token"] === o.accessToken;
    calls.push({
      action: `${req.method} ${u.pathname}`,
      body: JSON.stringify({
        account_id: u.searchParams.get("account_id"),
        role_name: u.searchParams.get("role_name"),
        token_ok: tokenOk,
      }),
    });
    const json = { "content-type": "application/json" };
    if (req.method !== "GET" || u.pathname !== "/federation/credentials")
      return void res.writeHead(404, json).end(JSON.stringify({ message: "not found" }));
    if (!tokenOk)
      return void res
        .writeHead(401, { ...json, "x-amzn-errortype": "UnauthorizedException" })
        .end(JSON.stringify({ message: "Session token not found or invalid" }));
    if (u.searchParams.get("account_id") !== o.accountId || u.searchParams.get("role_name") !== o.roleName)
      return void res
        .writeHead(403, { ...json, "x-amzn-errortype": "ForbiddenException" })
        .end(JSON.stringify({ message: "No access" }));
    res.writeHead(200, json).end(
      JSON.stringify({
        roleCredentials: {
          accessKeyId: o.issue.accessKeyId,
          secretAccessKey: o.issue.secretAccessKey,
          sessionToken: o.issue.sessionToken,
          expiration: Date.now() + (o.issue.lifetimeSeconds ?? 3600) * 1000,
        },
      }),
    );
  });
  return { url, calls, stop: stopper(server) };
}

/**
 * A self-signed certificate for 127.0.0.1 made with openssl (for the HTTPS Entra ID), written to
 * `dir`; undefined when openssl is not installed (the caller skips with that reason).
 */
export async function localTlsCertificate(
  dir: string,
): Promise<{ key: string; cert: string; certFile: string } | undefined> {
  const { execFileSync } = await import("node:child_process");
  const { mkdir, readFile } = await import("node:fs/promises");
  const { join } = await import("node:path");
  await mkdir(dir, { recursive: true });
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"].concat([
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        keyFile,
        "-out",
        certFile,
      ]),
      { stdio: "ignore" },
    );
  } catch {
    return undefined;
  }
  return { key: await readFile(keyFile, "utf8"), cert: await readFile(certFile, "utf8"), certFile };
}
