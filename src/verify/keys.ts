/**
 * Reads the cosign public keys the config's `verify.cosign` entries name (issue #15), before the
 * pure plan runs: a file inside the repository or an environment variable. A missing or unreadable
 * key is a config error naming file, line and key; the key's text is never printed.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ConfigError } from "../config/errors.js";
import type { LaminarConfig } from "../config/types.js";
import { parsePublicKey, type VerifyKey } from "./cosign.js";

/** The public key of each rule with `verify.cosign`, by rule index. */
export async function loadVerifyKeys(
  dir: string,
  config: LaminarConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ReadonlyMap<number, VerifyKey>> {
  const keys = new Map<number, VerifyKey>();
  for (const rule of config.updates) {
    const src = rule.verify?.cosign;
    if (!src) continue;
    const where = (key: string, detail: string) =>
      new ConfigError(
        src.position.file,
        src.position.line,
        src.position.column,
        `${rule.name}.verify.cosign.${key}`,
        detail,
      );
    let pem: string;
    if ("keyEnv" in src) {
      const v = env[src.keyEnv];
      if (!v) throw where("keyEnv", `environment variable ${src.keyEnv} is not set`);
      pem = v;
    } else {
      try {
        pem = await readFile(resolve(dir, src.key), "utf8");
      } catch (e) {
        throw where("key", `cannot read ${src.key}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    try {
      keys.set(rule.index, parsePublicKey(pem));
    } catch (e) {
      throw where("keyEnv" in src ? "keyEnv" : "key", (e as Error).message);
    }
  }
  return keys;
}
