/**
 * Offsets to line and column in a latin1 file text (one character = one byte), shared by the inline
 * and the structured scanners so both report positions the same way.
 */
export class LineIndex {
  private starts: number[] | undefined;
  // Until someone asks behind the last question, no table: the line of the last offset asked, counted
  // on from the answer before. The one-string scan asks in order and its findings are mostly near the
  // top of a file, so the count stops there; the table cost a search for every line of every file that
  // had a finding (#12).
  private cursorOffset = 0;
  private cursorLine = 1;
  private cursorStart = 0;
  /** The first `\n` at or after {@link cursorOffset} (-1: none; -2: not searched yet). */
  private nextNewline = -2;
  constructor(private readonly text: string) {}
  /** Moves the cursor on to `offset` (not behind it): true, or false when the table must answer. */
  private advance(offset: number): boolean {
    if (this.starts || offset < this.cursorOffset) return false;
    if (this.nextNewline === -2) this.nextNewline = this.text.indexOf("\n", this.cursorOffset);
    while (this.nextNewline >= 0 && this.nextNewline < offset) {
      this.cursorLine++;
      this.cursorStart = this.nextNewline + 1;
      this.nextNewline = this.text.indexOf("\n", this.cursorStart);
    }
    this.cursorOffset = offset;
    return true;
  }
  private build(): number[] {
    const s = [0];
    let i = -1;
    while ((i = this.text.indexOf("\n", i + 1)) !== -1) s.push(i + 1);
    return s;
  }
  /** Offset of the first byte of the line holding `offset`. */
  lineStart(offset: number): number {
    if (this.advance(offset)) return this.cursorStart;
    const s = (this.starts ??= this.build());
    return s[this.lineOf(offset) - 1] as number;
  }
  /** 1-based line of `offset`. */
  lineOf(offset: number): number {
    if (this.advance(offset)) return this.cursorLine;
    const s = (this.starts ??= this.build());
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((s[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
  /**
   * 1-based column of `offset` in characters (UTF-8 continuation bytes do not count). The byte order
   * mark is not a character anyone sees: columns start after it, as in editors.
   */
  columnOf(offset: number): number {
    const start = this.lineStart(offset);
    const ls = start === 0 && this.text.startsWith("\xEF\xBB\xBF") ? 3 : start;
    // Scanners ask in order of position: continue from the last answer on the same line, so a line
    // holding 10k references costs one walk over it, not one per reference (issue #13).
    let k = ls;
    let column = 1;
    if (this.last && this.last.lineStart === ls && this.last.offset <= offset) ({ offset: k, column } = this.last);
    for (; k < offset; k++) if ((this.text.charCodeAt(k) & 0xc0) !== 0x80) column++;
    this.last = { lineStart: ls, offset, column };
    return column;
  }
  private last: { lineStart: number; offset: number; column: number } | undefined;
}
