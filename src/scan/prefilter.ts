/**
 * A byte-level check that lets the repository scan pass over a file without decoding or scanning it
 * (issue #12). Pure: bytes in, a yes/no out.
 *
 * Every image site the scanners report is anchored on a byte of `:`, `@` or `=` — a tag, a digest,
 * a `key: value` / `key = value` of an image key, a YAML or JSON map (all structured forms: Helm
 * values, Kustomize and Argo CD images, markers `# laminar: …`, Flux setters `{"$imagepolicy": …}`) —
 * or follows a Dockerfile `FROM` (`FROM nginx` has none of those bytes). A file with neither holds no
 * site and gives no warning, so {@link mayHoldImageSite} answering `false` is always safe; `true`
 * only means "scan it".
 */

const COLON = 0x3a;
const AT = 0x40;
const EQUALS = 0x3d;
/** `from` in any case (instructions are case-insensitive), on the latin1 text of the bytes. */
const FROM = /from/i;

/** Can the file `data` hold an image site? `false` only when it certainly holds none. */
export function mayHoldImageSite(data: Uint8Array): boolean {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // Buffer#indexOf of one byte is a memchr: far below the cost of decoding the file.
  if (bytes.indexOf(COLON) >= 0 || bytes.indexOf(AT) >= 0 || bytes.indexOf(EQUALS) >= 0) return true;
  return FROM.test(bytes.toString("latin1"));
}
