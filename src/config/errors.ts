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
    super(`${file}:${line}:${column}: ${key ? `${key}: ` : ""}${detail}`);
  }
}
