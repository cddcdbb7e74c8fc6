/**
 * The figures of a run: targets checked against them, and the table printed at the end.
 */
import { totalRequests } from "../src/registry/http.js";
import type { RequestCounts } from "../src/registry/types.js";
import type { PlanRun } from "./plan-runs.js";
import type { ScanComparison } from "./scan-bench.js";

export interface Target {
  readonly name: string;
  readonly goal: string;
  readonly actual: string;
  /** undefined: not applicable to this run (sizes other than the defaults, a tool missing). */
  readonly met: boolean | undefined;
  readonly note?: string;
}

export const metadataRequests = (r: RequestCounts): number => r.manifestHead + r.manifestGet + r.blobGet;

export interface TargetInput {
  readonly defaultSizes: boolean;
  readonly cold: PlanRun;
  readonly warm: PlanRun;
  readonly naive: PlanRun;
  /** Build-time candidates (every channel tag of a referenced build-time repository). */
  readonly candidates: number;
  /** Of which in multi-arch repositories (an index costs one request more). */
  readonly multiArchCandidates: number;
  readonly corpusPlan?: PlanRun;
  readonly corpusMb: number;
  readonly scan?: ScanComparison;
}

const mb = (kb: number | undefined): string => (kb === undefined ? "?" : `${(kb / 1024).toFixed(0)} MB`);
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const n = (x: number): string => x.toLocaleString("en-US");

export function checkTargets(t: TargetInput): Target[] {
  const out: Target[] = [];
  const warmMeta = metadataRequests(t.warm.requests);
  out.push({
    name: "warm run fetches no metadata",
    goal: "0 manifest/blob requests",
    actual: n(warmMeta),
    met: warmMeta === 0,
  });

  const coldUsed = t.cold.requests.tagPages + metadataRequests(t.cold.requests);
  const bound = t.cold.requests.tagPages + 2 * t.candidates;
  out.push({
    name: "cold run",
    goal: `≤ tag pages + 2 per candidate = ${n(bound)}`,
    actual: `${n(coldUsed)} (+ ${n(t.cold.requests.ping + t.cold.requests.token)} ping/token)`,
    met: coldUsed <= bound,
    ...(coldUsed > bound
      ? {
          note:
            `over by ${n(coldUsed - bound)} (${(((coldUsed - bound) / bound) * 100).toFixed(1)}%): ${n(t.multiArchCandidates)} candidates are multi-arch indexes, which need the platform manifest as a third request` +
            (t.cold.requests.manifestHead
              ? `; ${n(t.cold.requests.manifestHead)} HEAD(s) learn the new digest of tag@digest references`
              : ""),
        }
      : {}),
  });

  out.push({
    name: "warm `laminar plan` wall time",
    goal: "≤ 3 s at the default sizes",
    actual: s(t.warm.wallMs),
    met: t.defaultSizes ? t.warm.wallMs <= 3000 : undefined,
  });

  if (t.corpusPlan) {
    const kb = t.corpusPlan.maxRssKb;
    out.push({
      name: `\`laminar plan\` peak RSS on the ${t.corpusMb} MB corpus`,
      goal: "≤ 200 MB (100 MB corpus)",
      actual: mb(kb),
      met: t.corpusMb === 100 && kb !== undefined ? kb <= 200 * 1024 : undefined,
    });
  }

  if (t.scan) {
    const r = t.scan.ratio;
    out.push({
      name: "scan throughput vs ripgrep",
      goal: "within 3× (rg MB/s ÷ Laminar MB/s ≤ 3)",
      actual:
        r === undefined
          ? (t.scan.rgMissing ?? "rg missing")
          : `${r.toFixed(2)}× (turn by turn: ${t.scan.pairedRatio?.toFixed(2) ?? "?"}×)`,
      met: r === undefined ? undefined : r <= 3,
    });
  }

  const naiveTotal = totalRequests(t.naive.requests);
  const warmTotal = totalRequests(t.warm.requests);
  const ratio = naiveTotal / Math.max(1, warmTotal);
  out.push({
    name: "fewer requests than naive (warm)",
    goal: "≥ 20×",
    actual: `${ratio.toFixed(1)}× (${n(naiveTotal)} vs ${n(warmTotal)})`,
    met: ratio >= 20,
  });
  return out;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  // Numbers right-aligned, the first (label) column left-aligned.
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function runsTable(runs: readonly PlanRun[]): string {
  const head = [
    "run",
    "ping",
    "token",
    "tag pages",
    "manifest HEAD",
    "manifest GET",
    "blob GET",
    "total",
    "wall",
    "peak RSS",
    "changes",
  ];
  return table([
    head,
    ...runs.map((r) => [
      r.label,
      n(r.requests.ping),
      n(r.requests.token),
      n(r.requests.tagPages),
      n(r.requests.manifestHead),
      n(r.requests.manifestGet),
      n(r.requests.blobGet),
      n(totalRequests(r.requests)),
      s(r.wallMs),
      mb(r.maxRssKb),
      n(r.changes),
    ]),
  ]);
}

export function targetsTable(targets: readonly Target[]): string {
  const mark = (m: boolean | undefined): string => (m === undefined ? "n/a " : m ? "met " : "MISS");
  return targets
    .map((t) => `  ${mark(t.met)}  ${t.name}: ${t.actual}  (target ${t.goal})${t.note ? `\n        ${t.note}` : ""}`)
    .join("\n");
}

export function scanLine(c: ScanComparison): string {
  const base = `Laminar ${c.laminar.mbPerS.toFixed(1)} MB/s (${n(c.laminar.matches)} references; scanText alone ${c.laminarTextOnly.mbPerS.toFixed(1)} MB/s)`;
  if (!c.rg || !c.rgOneThread) return `${base}; ripgrep: ${c.rgMissing ?? "not run"}`;
  return `${base}; ripgrep ${c.rg.mbPerS.toFixed(1)} MB/s (${n(c.rg.matches)} matches; 1 thread: ${c.rgOneThread.mbPerS.toFixed(1)} MB/s) → ripgrep is ${(c.ratio ?? 0).toFixed(2)}× faster (turn by turn ${(c.pairedRatio ?? 0).toFixed(2)}×; ${(c.rgOneThread.mbPerS / c.laminar.mbPerS).toFixed(2)}× on one thread)`;
}

export interface NaiveComparison {
  readonly against: string;
  /** naive requests ÷ Laminar requests (all kinds). */
  readonly requestRatio: number;
  /** naive wall time ÷ Laminar wall time. */
  readonly timeRatio: number;
}

/** The naive strategy against each Laminar run on the same registry state. */
export function compareNaive(pairs: ReadonlyArray<readonly [PlanRun, PlanRun]>): NaiveComparison[] {
  return pairs.map(([naive, laminar]) => ({
    against: laminar.label,
    requestRatio: totalRequests(naive.requests) / Math.max(1, totalRequests(laminar.requests)),
    timeRatio: naive.wallMs / laminar.wallMs,
  }));
}

export function naiveTable(c: readonly NaiveComparison[]): string {
  return table([
    ["naive ÷ laminar", "requests", "wall time"],
    ...c.map((x) => [x.against, `${x.requestRatio.toFixed(1)}×`, `${x.timeRatio.toFixed(2)}×`]),
  ]);
}
