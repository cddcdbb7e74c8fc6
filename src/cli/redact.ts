import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { LaminarConfig } from "../config/types.js";
import { secretForms } from "../secrets/secret-forms.js";

/** Shorter values are not masked: hiding every "ci" or "1234" in a report would garble it. */
const MIN_SECRET_LENGTH = 6;
const MASK = "***";

/** Environment variables that hold credentials Laminar may use whatever the config says. */
const WELL_KNOWN = ["GITHUB_TOKEN", "GH_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/**
 * Masks known secrets in everything the CLI prints, like GitHub Actions' `add-mask`: the raw value,
 * its base64 / base64url / URL / JSON-escaped forms, and the base64 of `user:secret` (what a Basic
 * Authorization header carries). A registry that reflects the credentials it received into an
 * error message, or a command that echoes a token, cannot put them into a log this way.
 */
export class Redactor {
  private needles: string[] = [];

  /** Adds a secret (and, for Basic auth, the user it goes with). */
  add(secret: string | undefined, user?: string): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    const forms = secretForms(secret, [user]);
    this.needles = [...new Set([...this.needles, ...forms.filter((f) => f.length >= MIN_SECRET_LENGTH)])].sort(
      (a, b) => b.length - a.length,
    );
  }

  /** The well-known credential variables of the environment. */
  addEnvironment(env: NodeJS.ProcessEnv): void {
    for (const name of WELL_KNOWN)
      this.add(
        env[name],
        name.startsWith("GITHUB") || name === "GH_TOKEN" ? env.GITHUB_ACTOR || "x-access-token" : undefined,
      );
  }

  /** The variables the config names (`passwordEnv`, `tokenEnv`, with `usernameEnv` for pairs). */
  addConfig(config: LaminarConfig, env: NodeJS.ProcessEnv): void {
    for (const r of config.registries) {
      const user = r.usernameEnv ? env[r.usernameEnv] : undefined;
      if (r.passwordEnv) this.add(env[r.passwordEnv], user);
      if (r.tokenEnv) this.add(env[r.tokenEnv], user);
    }
  }

  /** Passwords and tokens of docker's config.json (`$DOCKER_CONFIG` or `~/.docker`). */
  async addDockerConfig(env: NodeJS.ProcessEnv): Promise<void> {
    let config: {
      auths?: Record<
        string,
        { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
      >;
    };
    try {
      config = JSON.parse(
        await readFile(join(env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json"), "utf8"),
      ) as typeof config;
    } catch {
      return;
    }
    for (const entry of Object.values(config?.auths ?? {})) {
      if (!entry || typeof entry !== "object") continue;
      let user = entry.username;
      let password = entry.password;
      if (typeof entry.auth === "string") {
        this.add(entry.auth);
        const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
        const i = decoded.indexOf(":");
        if (i >= 0) {
          user = decoded.slice(0, i);
          password = decoded.slice(i + 1);
        }
      }
      this.add(password, user);
      this.add(entry.identitytoken, user);
      this.add(entry.registrytoken);
    }
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(MASK);
    return out;
  }
}
