/**
 * The Prometheus text exposition format (version 0.0.4), written by hand: the few series Laminar
 * exposes do not justify a dependency. One writer for `laminar watch` and `laminar serve`.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

/** Label name → value; values are escaped here. */
export type Labels = Readonly<Record<string, string>>;

/** One sample: its labels (and an optional name suffix such as `_bucket`) and its value. */
export interface Sample {
  readonly labels?: Labels;
  readonly suffix?: string;
  readonly value: number;
}

/** Escapes a label value: backslash, double quote and line feed are the three the format names. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",")}}` : "";
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Collects metric families and renders them as one exposition. */
export class Exposition {
  private readonly lines: string[] = [];

  /** Adds one family: HELP and TYPE, then its samples. */
  family(name: string, type: "counter" | "gauge" | "histogram", help: string, samples: Iterable<Sample>): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${name} ${type}`);
    for (const s of samples) this.lines.push(`${name}${s.suffix ?? ""}${labelText(s.labels)} ${valueText(s.value)}`);
    return this;
  }

  /** The text, ending with a line feed as the format requires. */
  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}

/** A histogram with fixed buckets (seconds), per label set; `samples()` gives its exposition rows. */
export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(private readonly buckets: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (const [i, le] of this.buckets.entries()) if (value <= le) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += value;
    s.count++;
  }

  *samples(): Iterable<Sample> {
    for (const s of this.series.values()) {
      for (const [i, le] of this.buckets.entries())
        yield { suffix: "_bucket", labels: { ...s.labels, le: String(le) }, value: s.counts[i] ?? 0 };
      yield { suffix: "_bucket", labels: { ...s.labels, le: "+Inf" }, value: s.count };
      yield { suffix: "_sum", labels: s.labels, value: s.sum };
      yield { suffix: "_count", labels: s.labels, value: s.count };
    }
  }
}
