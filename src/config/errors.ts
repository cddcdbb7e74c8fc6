/** A config problem, always naming the file, line, column and key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** Dotted path of the offending key (`updates[0].pattern`), or "" for the whole file. */
    readonly key: string,
    readonly detail: string,
  ) {
    // Line 0: a problem with the file as a whole (missing, not a file), which has no position.
    super(`${file}${line > 0 ? `:${line}:${column}` : ""}: ${key ? `${key}: ` : ""}${detail}`);
  }
}
