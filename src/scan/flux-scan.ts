import { fluxCatalog, findFluxObjects, type FluxObject, type FluxUnreadable } from "./flux-objects.js";
import { applySetterMarks, findSetterMarks, type SetterMark } from "./flux-setters.js";
import type { ImageSite } from "./site.js";

/** A file as the repository scan hands it on: its path and the sites found in it. */
export interface FileSites {
  readonly path: string;
  readonly references: readonly ImageSite[];
}

/**
 * The repository-wide half of Flux setters: a setter in one file names an ImagePolicy that may be
 * written in any other. The repository scan shows it every file it reads ({@link note}); when some
 * file has a marker it also shows the files its selectors left out ({@link noteObjects}), and finally
 * {@link resolve} turns the markers into sites. Pure: bytes in, sites out; the walk stays in
 * repository.ts. A repository without `$imagepolicy` pays one byte search per file.
 */
export class FluxSetterScan {
  private readonly marks = new Map<string, SetterMark[]>();
  private readonly objects: Array<FluxObject | FluxUnreadable> = [];

  /** Can `data` hold anything {@link note} looks for? (A worker thread asks, the main thread notes.) */
  static mayConcern(data: Buffer): boolean {
    return data.includes("$imagepolicy") || data.includes("image.toolkit.fluxcd.io");
  }

  /** Notes a scanned file's setter markers and Flux image objects. */
  note(path: string, data: Buffer): void {
    if (data.includes("$imagepolicy")) {
      const marks = findSetterMarks(data.toString("latin1"));
      if (marks.length) this.marks.set(path, marks);
    }
    this.noteObjects(path, data);
  }

  /** Notes only the ImagePolicy / ImageRepository objects of a file the selectors left out. */
  noteObjects(path: string, data: Buffer): void {
    if (data.includes("image.toolkit.fluxcd.io")) this.objects.push(...findFluxObjects(path, data.toString("latin1")));
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
