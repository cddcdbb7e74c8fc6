/**
 * Many file versions in one git process. `git cat-file --batch` reads `rev:path` names on its
 * standard input and answers each with a header and the object, so the history reader
 * (file-history.ts) and the carry-over of a pull request's changes (`GitCommandManager.showFiles`,
 * src/delivery/carry-over.ts) cost one process whatever the number of files, where `git show
 * rev:path` costs one per version.
 */
import type { GitOutput } from "./exec-git.js";

/** Runs `git <args>` with `input` on its standard input and standard output kept as bytes. */
export type BatchRunner = (
  args: readonly string[],
  options: { readonly input: string; readonly binary: true },
) => Promise<GitOutput>;

/**
 * The contents of `rev:path` objects (UTF-8), in the order asked, in one `git cat-file --batch` run
 * through `run`; undefined for one the commit does not have (a deleted or added file) or that is not
 * a blob. No process when `specs` is empty.
 *
 * A name holding a line break is not asked (undefined): the batch reads one name per line and drops
 * a `\r` before the `\n`, so it would read another name and put every later answer out of step
 * (`cat-file -z`, which would allow it, needs git 2.38; Laminar supports 2.31).
 *
 * @throws Error with git's message when `cat-file` itself fails (not a repository…)
 */
export async function readBlobs(run: BatchRunner, specs: readonly string[]): Promise<Array<string | undefined>> {
  const asked = specs.filter((s) => !/[\r\n]/.test(s));
  if (asked.length === 0) return specs.map(() => undefined);
  const r = await run(["cat-file", "--batch"], { input: `${asked.join("\n")}\n`, binary: true });
  if (r.exitCode !== 0) throw new Error(`git cat-file failed: ${r.stderr.trim()}`);
  const out = r.stdoutBytes ?? Buffer.alloc(0);
  const texts = new Map<string, string | undefined>();
  let at = 0;
  for (const spec of asked) {
    const eol = out.indexOf(0x0a, at);
    if (eol < 0) break; // cut short: the rest stays undefined
    const header = out.subarray(at, eol).toString("utf8");
    at = eol + 1;
    const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
    if (!m) {
      texts.set(spec, undefined); // "<spec> missing": the commit has no such file
      continue;
    }
    const size = Number(m[2]);
    texts.set(spec, m[1] === "blob" ? out.subarray(at, at + size).toString("utf8") : undefined);
    at += size + 1;
  }
  return specs.map((s) => texts.get(s));
}
