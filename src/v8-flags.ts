// The V8 settings both entries run with (dist/cli.js and the Action's dist/index.js), set before
// the first registry request. Entries only: the library leaves its host process as it is.
import { setFlagsFromString } from "node:v8";

/** Sets Laminar's V8 flags for this process (see the comments inside for why each). */
export function tuneV8(): void {
  // Node's fetch parses HTTP with llhttp compiled to WebAssembly, and V8's optimizing tier for that
  // module alone costs about 30 MB of RSS, a third of a small `plan` (#12). The baseline compiler
  // parses short answers about as fast; it must be chosen before the first fetch. Registry requests
  // no longer use fetch (src/registry/http.ts: node:http); GitHub's API (Octokit) and some cloud SDKs
  // still do. Kept after measuring both ways (bench/README.md): a small plan 97 → 67 MB, no
  // consistent cost on a 34k-request cold run (±20 MB, within the spread), and no measurable CPU or
  // wall time at 2,000 files / 500 repositories.
  setFlagsFromString("--liftoff-only");
  // V8 lets the old generation grow to up to 4× what survived the last full GC while a program
  // allocates fast, and a cold plan does: 34k registry answers, each parsed and dropped. Its live set
  // stays under 45 MB, yet it peaked at 242 MB of RSS, mostly garbage not yet collected (#12). A fixed
  // factor of 2 brought it to 202–220 MB; the extra full GCs are short, since so little survives them.
  setFlagsFromString("--heap-growing-percent=100");
}
