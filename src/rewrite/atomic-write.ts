import { randomBytes } from "node:crypto";
import { chmod, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces a file's content atomically (temp file in the same directory + rename), keeping its mode:
 * a crash leaves either the old or the new file, never half of one. Works on read-only files too,
 * since rename needs only the directory to be writable.
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const mode = (await stat(path).catch(() => undefined))?.mode;
  const tmp = join(dirname(path), `.${basename(path)}.laminar-${randomBytes(6).toString("hex")}`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    if (mode !== undefined) await chmod(tmp, mode & 0o7777);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
