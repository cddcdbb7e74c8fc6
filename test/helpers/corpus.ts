import { existsSync } from "node:fs";

/**
 * The shared real-world corpus (160 deployment files from six public repositories) lives beside
 * the clone in `../shared/corpus`, not in the repository. A fresh clone without it must still pass
 * `npm test`: tests that read it are skipped, and the skip says why.
 */
export const CORPUS = new URL("../../../shared/corpus/", import.meta.url).pathname;

/** False, or the reason the node test runner prints beside each skipped corpus test. */
export const CORPUS_SKIP: false | string = existsSync(CORPUS)
  ? false
  : `the shared corpus is not beside this clone (${CORPUS}); corpus tests skipped`;
