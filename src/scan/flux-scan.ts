import { fluxCatalog, findFluxObjects, type FluxObject, type FluxUnreadable } from "./flux-objects.js";
import { applySetterMarks, findSetterMarks, type SetterMark } from "./flux-setters.js";
import type { RareWords } from "./rare-words.js";
import type { ImageSite } from "./site.js";

/** A file as the repository scan hands it on: its path and the sites found in it. */
export interface FileSites {
  readonly path: string;
  readonly references: readonly ImageSite[];
}

/** What one file holds for {@link FluxSetterScan}: plain data, so it can be found away from the scan. */
export interface FluxNotes {
  readonly path: string;
  readonly marks: readonly SetterMark[];
  readonly objects: ReadonlyArray<FluxObject | FluxUnreadable>;
}

/**
 * The setter markers and Flux image objects of one file (bytes, or their latin1 text), or undefined
 * when it has neither. Pure. A file without `$imagepolicy` or `image.toolkit.fluxcd.io` costs a search
 * for each, or none when the caller passes what `rareWords` (rare-words.ts) found in it.
 */
export function fluxNotes(path: string, data: Buffer | string, words?: RareWords): FluxNotes | undefined {
  const setter = words ? words.setter : data.includes("$imagepolicy");
  const fluxApi = words ? words.fluxApi : data.includes("image.toolkit.fluxcd.io");
  if (!setter && !fluxApi) return undefined;
  // Decoded once for both searches, when the caller gives bytes.
  const text = latin1(data);
  const marks = setter ? findSetterMarks(text) : [];
  const objects = fluxApi ? findFluxObjects(path, text) : [];
  return marks.length || objects.length ? { path, marks, objects } : undefined;
}

const latin1 = (data: Buffer | string): string => (typeof data === "string" ? data : data.toString("latin1"));

/**
 * The repository-wide half of Flux setters: a setter in one file names an ImagePolicy that may be
 * written in any other. The repository scan shows it every file it reads ({@link note}); when some
 * file has a marker it also shows the files its selectors left out ({@link noteObjects}), and finally
 * {@link resolve} turns the markers into sites. Pure: bytes in, sites out; the walk stays in
 * repository.ts.
 */
export class FluxSetterScan {
  private readonly marks = new Map<string, readonly SetterMark[]>();
  private readonly objects: Array<FluxObject | FluxUnreadable> = [];

  /** Notes a scanned file's setter markers and Flux image objects. */
  note(path: string, data: Buffer | string): void {
    this.add(fluxNotes(path, data));
  }

  /** Adds what {@link fluxNotes} found in one file (computed wherever the file was read). */
  add(notes: FluxNotes | undefined): void {
    if (!notes) return;
    if (notes.marks.length) this.marks.set(notes.path, notes.marks);
    this.objects.push(...notes.objects);
  }

  /** Notes only the ImagePolicy / ImageRepository objects of a file the selectors left out. */
  noteObjects(path: string, data: Buffer | string): void {
    if (data.includes("image.toolkit.fluxcd.io")) this.objects.push(...findFluxObjects(path, latin1(data)));
  }

  /** True when some scanned file has a setter marker (only then are other files worth reading). */
  get wanted(): boolean {
    return this.marks.size > 0;
  }

  /**
   * The files with their setter sites resolved, sorted by path: a file whose only sites are setters
   * (a Helm `tag:` line) joins the list.
   */
  resolve(files: readonly FileSites[]): FileSites[] {
    if (!this.wanted) return [...files];
    // Objects are noted in read order; the catalog must not depend on it.
    const catalog = fluxCatalog(
      [...this.objects].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line)),
    );
    const out = files.map((f) => {
      const marks = this.marks.get(f.path);
      return marks ? { path: f.path, references: applySetterMarks(f.references, marks, catalog) } : f;
    });
    for (const [path, marks] of this.marks)
      if (!files.some((f) => f.path === path)) {
        const references = applySetterMarks([], marks, catalog);
        if (references.length) out.push({ path, references });
      }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
