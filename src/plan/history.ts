/**
 * What the files' git history says about one image (issue #14), pure: the history comes in as
 * texts (src/git/file-history.ts reads it), each version is scanned with the same scanner as the
 * work tree, so every form Laminar rewrites (one-string references, Helm values, kustomize…) counts.
 */
import type { FileHistory, HistoryCommit, RepositoryHistory } from "../git/file-history.js";
import { scanFile } from "../scan/structured/index.js";
import { repoKey } from "./classify.js";

/** A commit that moved an image's tag in a file: `from` → `to`. */
export interface TagMove {
  readonly commit: HistoryCommit;
  readonly from: string;
  readonly to: string;
}

/** The commit that brought a tag into a file, and whether the history could reach further back. */
export interface TagArrival {
  readonly commit: HistoryCommit;
  /**
   * False when the tag is already in the oldest version read (commit limit, shallow clone): the
   * tag arrived at this commit's date or earlier, so a soak measured from it is a lower bound.
   */
  readonly exact: boolean;
}

/** Reads history once per plan and memoises the scans of each version (one scan per file version). */
export class HistoryView {
  private readonly scans = new WeakMap<object, Map<string, string[]>>();

  constructor(readonly history: RepositoryHistory | undefined) {}

  /** The history of a file, or undefined when there is none (not a git repository, untracked file). */
  file(path: string): FileHistory | undefined {
    return this.history?.files.get(path);
  }

  /**
   * The tags of an image (`registry/repository`) in one version, in file order; undefined for a
   * version where the file did not exist.
   */
  tagsIn(file: FileHistory, index: number, image: string): readonly string[] | undefined {
    const v = file.versions[index];
    if (!v || v.text === undefined) return undefined;
    let byImage = this.scans.get(v);
    if (!byImage) {
      byImage = new Map();
      for (const s of scanFile(v.text, file.path).sites) {
        const tag = s.reference.tag;
        if (tag === undefined) continue;
        const key = repoKey(s.reference);
        const list = byImage.get(key) ?? [];
        list.push(tag);
        byImage.set(key, list);
      }
      this.scans.set(v, byImage);
    }
    return byImage.get(image) ?? [];
  }

  /**
   * The latest commit that changed the `occurrence`-th tag of `image` in `path` (0 = the first
   * occurrence in file order), or undefined when the history shows none.
   */
  lastMove(path: string, image: string, occurrence: number): TagMove | undefined {
    const file = this.file(path);
    if (!file) return undefined;
    for (let i = 0; i + 1 < file.versions.length; i++) {
      const now = this.tagsIn(file, i, image)?.[occurrence];
      const before = this.tagsIn(file, i + 1, image)?.[occurrence];
      if (now !== undefined && before !== undefined && now !== before)
        return { commit: (file.versions[i] as { commit: HistoryCommit }).commit, from: before, to: now };
      if (now === undefined) return undefined;
    }
    return undefined;
  }

  /**
   * The commit since which `tag` of `image` has been in `path` without interruption, walking back
   * from the newest version; undefined when the newest version does not hold it.
   */
  arrival(path: string, image: string, tag: string): TagArrival | undefined {
    const file = this.file(path);
    if (!file) return undefined;
    let found: HistoryCommit | undefined;
    for (let i = 0; i < file.versions.length; i++) {
      if (!this.tagsIn(file, i, image)?.includes(tag)) return found ? { commit: found, exact: true } : undefined;
      found = (file.versions[i] as { commit: HistoryCommit }).commit;
    }
    // Every version read holds the tag: exact only when the walk reached the file's creation.
    return found ? { commit: found, exact: file.complete } : undefined;
  }
}
