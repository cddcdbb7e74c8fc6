/** What a progress line shows; read afresh at every redraw. */
export interface ProgressCounts {
  readonly files: number;
  /** Tag list pages read: one per repository unless a list is paginated. */
  readonly tagPages: number;
  readonly requests: number;
}

/** The part of a terminal stream progress needs (process.stderr in the CLI). */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** Nothing is drawn for runs shorter than this: a quick run stays quiet. */
  readonly delayMs?: number;
  readonly intervalMs?: number;
}

/** A running progress line; `stop()` erases it so the run's own output starts on a clean line. */
export interface Progress {
  stop(): void;
}

const CLEAR_LINE = "\r\x1b[2K";

/**
 * One self-redrawing status line on a terminal (`scanned 240 files · 6 repositories · 31 requests`).
 * Drawn only when the stream is a TTY, so logs, pipes and `--json` output never see it, and only once
 * the run has taken longer than `delayMs` (default 2 s).
 */
export function startProgress(
  stream: ProgressStream,
  read: () => ProgressCounts,
  options: ProgressOptions = {},
): Progress {
  if (!stream.isTTY) return { stop: () => undefined };
  let drawn = false;
  let last = "";
  let interval: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const c = read();
    let line = `laminar: scanned ${c.files} file(s) · ${c.tagPages} tag page(s) · ${c.requests} registry request(s)`;
    // A pty with no size set reports 0 columns: treat it as unknown.
    const width = stream.columns || 80;
    if (line.length > width - 1) line = line.slice(0, Math.max(0, width - 2)) + "…";
    // Redraw only what changed: a stalled registry must not flood a log that records the terminal.
    if (drawn && line === last) return;
    stream.write(CLEAR_LINE + line);
    last = line;
    drawn = true;
  };
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 250);
    interval.unref();
  }, options.delayMs ?? 2000);
  // A progress line must never keep the process alive.
  delay.unref();
  return {
    stop: () => {
      clearTimeout(delay);
      if (interval) clearInterval(interval);
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}
