import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces a file's content atomically (temp file in the same directory + fsync + rename), keeping
 * its mode: a crash leaves either the old or the new file, never half of one. Works on read-only
 * files too, since rename needs only the directory to be writable.
 *
 * A file that does not exist yet is created, with its parent directories, and gets the mode
 * `writeFile` would give it (0o666 less the umask).
 */
export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  const mode = (await stat(path).catch(() => undefined))?.mode;
  if (mode === undefined) await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.laminar-${randomBytes(6).toString("hex")}`);
  // An existing file's content never sits in a temp file more open than 0o600 (chmod follows);
  // a new file is created as writeFile would.
  const fh = await open(tmp, "wx", mode === undefined ? 0o666 : 0o600);
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
