/**
 * Durations as people write them in `.laminar.yaml` (`minAge: 2h`, `soak: 1d12h`): one or more
 * whole numbers each followed by a unit, no spaces. Go-like, so the same text works in Flux and
 * Argo CD configs users copy from; days and weeks added because soak times are counted in them.
 */

/** A duration from the config: milliseconds, and the text as written (for plan details). */
export interface ConfigDuration {
  readonly ms: number;
  readonly text: string;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * Parses `90s`, `30m`, `2h`, `1d12h`, `2w`. Returns a readable problem instead when the text is not
 * a duration, so the config can report it at its line and key.
 */
export function parseDuration(text: string): ConfigDuration | { readonly problem: string } {
  const t = text.trim();
  if (!/^(\d+[smhdw])+$/.test(t))
    return {
      problem: `${JSON.stringify(text)} is not a duration; write a number and a unit (s, m, h, d, w), e.g. 2h or 1d12h`,
    };
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([smhdw])/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  if (!Number.isSafeInteger(ms)) return { problem: `${JSON.stringify(text)} is too long a duration` };
  return { ms, text: t };
}

/** `1d 2h`, `3h 5m`, `40s`: a span of time for plan details (largest two units). */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms));
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n}${u}`);
    if (parts.length === 2) break;
  }
  return parts.length ? parts.filter((p) => !/^0/.test(p)).join(" ") || "0s" : "0s";
}
