/**
 * The terminal sink: everything the CLI prints and every line the Action writes to its log. Two
 * rules, for text that may come from outside (registry answers, file names, command output):
 *
 * - control characters other than newline and tab are shown escaped (`\e[2J`), so a registry cannot
 *   set the terminal title, clear the screen or colour and hide text;
 * - no line can be a GitHub Actions workflow command. The runner reads every line of a step's
 *   output and runs `::name props::value` at the start of a line (after leading white space) and the
 *   older `##[name]value`; a registry message with `\n::error file=x::…` would otherwise add an
 *   annotation, mask text (`::add-mask::`) or stop command processing. A zero-width space goes
 *   between the two colons (or hashes): invisible on screen, and valid inside JSON strings, so
 *   `--json` output stays parseable. Laminar itself never prints workflow commands this way; the
 *   Action uses `@actions/core`, which escapes its own.
 *   See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 */
import { escapeControls } from "./one-line.js";

const ZWSP = "\u200b";
/** `::` at the start of a line (after blanks), and `##[` anywhere: what the runner would run. */
const WORKFLOW_COMMAND = /^([ \t]*):(?=:)|#(?=#\[)/gm;

/**
 * `text` safe to print: control characters except newline and tab shown escaped, a `\r\n` line end
 * kept as `\n`, and no line that the Actions runner would take as a workflow command.
 *
 * @example
 * ```ts
 * terminalText("denied\n::error file=x::pwned\u001b]0;title\u0007");
 * // "denied\n:\u200b:error file=x::pwned\\e]0;title\\x07"
 * ```
 */
export function terminalText(text: string): string {
  const shown = escapeControls(text.replace(/\r\n/g, "\n"), "\n\t");
  // Two substring searches first: the multiline regex costs ~60 ms on the 5 MB inventory of a
  // 10k-file scan, which holds neither (#12).
  return shown.includes("::") || shown.includes("##[") ? shown.replace(WORKFLOW_COMMAND, `$&${ZWSP}`) : shown;
}
