/**
 * One registry's cloud credentials: picks the cloud module for the registry's kind and loads it
 * (and with it the cloud's SDK) with a dynamic `import()` the first time it is needed, so runs
 * that use no cloud registry never load an SDK, and the bundler keeps each SDK in its own chunk
 * (scripts/bundle.mjs). Secrets are cached and refreshed at 80 % of their lifetime (refreshing.ts).
 */
import type { Credential } from "../credentials.js";
import type { AwsSettings, EcrAccess, EcrImage } from "./ecr.js";
import type { CloudKind } from "./kind.js";
import { RefreshingValue } from "./refreshing.js";
import type { Transport } from "./transport.js";

/** What the registry's challenge says about its token service (ACR's exchange lives next to it). */
export interface ChallengeHint {
  readonly realm?: string;
  readonly service?: string;
}

/** A credential and where it came from (never the secret), for plans and logs. */
export interface CloudCredential {
  readonly credential: Credential;
  readonly source: string;
  /** When to ask again (the secret is refreshed at 80 % of its lifetime). */
  readonly refreshAt?: number;
}

export interface CloudAccessOptions {
  readonly kind: CloudKind;
  readonly host: string;
  readonly registryId?: string;
  readonly region?: string;
  readonly aws?: AwsSettings;
  readonly transport: Transport;
  /** The environment the SDKs read (they read `process.env`; this only shapes the labels). */
  readonly env: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

type Password = { username: string; password: string };

export class CloudAccess {
  private ecr: Promise<EcrAccess> | undefined;
  private readonly passwords: RefreshingValue<Password>;
  private readonly refreshTokens = new Map<string, RefreshingValue<string>>();
  private azure: Promise<import("./azure.js").AzureAccess> | undefined;
  private labelText: string;

  constructor(private readonly o: CloudAccessOptions) {
    const now = o.now ?? Date.now;
    this.labelText = o.kind === "aws" ? "AWS SDK chain" : o.kind === "google" ? "Google ADC" : "Azure";
    this.passwords = new RefreshingValue<Password>(async () => {
      if (o.kind === "aws") return (await this.ecrAccess()).password();
      const { GoogleAccess } = await import("./google.js");
      return new GoogleAccess().password();
    }, now);
    // Failures surface from credential(); the label then stays generic.
    this.loadLabel().catch(() => undefined);
  }

  /** The SDK modules are loaded for the label too, but only once this registry is used. */
  private async loadLabel(): Promise<void> {
    if (this.o.kind === "aws") this.labelText = (await import("./ecr.js")).awsSourceLabel(this.o.aws ?? {}, this.o.env);
    else if (this.o.kind === "google") this.labelText = (await import("./google.js")).googleSourceLabel(this.o.env);
    else this.labelText = (await import("./azure.js")).azureSourceLabel();
  }

  /** Where the credentials come from: `AWS SDK chain (profile ci)`. */
  async label(): Promise<string> {
    await this.loadLabel().catch(() => undefined);
    return this.labelText;
  }

  private ecrAccess(): Promise<EcrAccess> {
    this.ecr ??= import("./ecr.js").then(
      (m) =>
        new m.EcrAccess({
          aws: this.o.aws ?? {},
          transport: this.o.transport,
          ...(this.o.registryId ? { registryId: this.o.registryId } : {}),
          ...(this.o.region ? { region: this.o.region } : {}),
        }),
    );
    return this.ecr;
  }

  /** The registry credential: ECR / Google passwords, or an ACR refresh token for the challenge's service. */
  async credential(challenge: ChallengeHint | undefined): Promise<CloudCredential> {
    const source = await this.label();
    if (this.o.kind === "azure") {
      const realm = challenge?.realm;
      if (!realm) throw new Error("the registry sent no token realm to exchange an Entra ID token at");
      const service = challenge.service ?? this.o.host;
      let r = this.refreshTokens.get(`${realm}\u0000${service}`);
      if (!r) {
        r = new RefreshingValue<string>(async () => {
          this.azure ??= import("./azure.js").then((m) => new m.AzureAccess(this.o.transport));
          return (await this.azure).refreshToken(realm, service);
        }, this.o.now);
        this.refreshTokens.set(`${realm}\u0000${service}`, r);
      }
      const token = await r.get();
      const { ACR_REFRESH_USER } = await import("./azure.js");
      return {
        credential: { kind: "identity-token", username: ACR_REFRESH_USER, token },
        source,
        ...(r.refreshAt() !== undefined ? { refreshAt: r.refreshAt() } : {}),
      };
    }
    const p = await this.passwords.get();
    return {
      credential: { kind: "basic", username: p.username, password: p.password },
      source,
      ...(this.passwords.refreshAt() !== undefined ? { refreshAt: this.passwords.refreshAt() } : {}),
    };
  }

  /** The registry refused the credential: fetch a new one next time. */
  invalidate(): void {
    this.passwords.invalidate();
    for (const r of this.refreshTokens.values()) r.invalidate();
  }

  /** ECR DescribeImages (only for `aws` registries). */
  async describeImages(repository: string, tags: readonly string[]): Promise<EcrImage[]> {
    return (await this.ecrAccess()).describeImages(repository, tags);
  }
}
