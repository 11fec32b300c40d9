/**
 * What the lab-traffic bench reports from its measurements: the tables (latency p50/p99 and
 * connection rate per path, each against its group's direct baseline; iperf3) and the chart
 * (p50 latency and connection rate against the number of Services, per contender, one row of
 * panels per group). Pure except for rendering the PNG.
 */
import type { TopLevelSpec } from "vega-lite";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { formatNumber } from "./result-table.ts";
import { CHART_FONT, vegaLitePng } from "./vega-png.ts";

/** PathGroup: a pod on node-1 reaching pods on node-2, or the external client reaching them. */
export type PathGroup = "pod" | "external";

/** PathResult is one path's measurements; `extra` is the dummy Service count, null for a direct path. */
export interface PathResult {
  readonly group: PathGroup;
  /** e.g. "ClusterIP via iptables", "NodePort via Sluice eBPF, DSR", "pod IP direct". */
  readonly contender: string;
  readonly extra: number | null;
  readonly p50: number;
  readonly p99: number;
  /** Connections per second of one back-to-back client. */
  readonly rate: number;
  readonly ok: number;
  readonly failed: number;
  /** iperf3 bits/s, NaN when not measured. */
  readonly bps: number;
}

/** BENCH_SERVICES is how many Services the bench itself adds to every contender (web, iperf). */
export const BENCH_SERVICES = 2;

const GROUPS: Record<PathGroup, { title: string; base: string }> = {
  pod: { title: "pod on node-1 → ClusterIP → pods on node-2", base: "pod IP direct (no Service)" },
  external: {
    title: "external client → node-1's NodePort → pods on node-2",
    base: "client → pod IP direct (no Service)",
  },
};

/** pathName is a row's name: the contender and, when there are dummies, how many. */
export function pathName(r: Pick<PathResult, "contender" | "extra">): string {
  return r.extra === null || r.extra === 0
    ? r.contender
    : `${r.contender} + ${r.extra.toLocaleString("en-US")} Services`;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** baselineOf merges a group's direct runs (start and end) into one row, and their drift. */
function baselineOf(results: readonly PathResult[], group: PathGroup) {
  const runs = results.filter((r) => r.group === group && r.extra === null);
  if (runs.length === 0) return undefined;
  const first = runs[0]!;
  const last = runs.at(-1)!;
  return {
    runs,
    p50: mean(runs.map((r) => r.p50)),
    p99: mean(runs.map((r) => r.p99)),
    rate: mean(runs.map((r) => r.rate)),
    bps: mean(runs.map((r) => r.bps)),
    ok: runs.reduce((a, r) => a + r.ok, 0),
    failed: runs.reduce((a, r) => a + r.failed, 0),
    drift: { p50: last.p50 / first.p50, rate: last.rate / first.rate },
  };
}

function groupTable(
  results: readonly PathResult[],
  group: PathGroup,
  requests: number,
): BenchTable | undefined {
  const base = baselineOf(results, group);
  if (!base) return undefined;
  const g = GROUPS[group];
  const row = (
    name: string,
    r: Omit<PathResult, "group" | "contender" | "extra">,
    isBase: boolean,
  ): BenchRow => ({
    name,
    value: r.p50,
    unit: "ms p50",
    ...(isBase ? {} : { baseline: g.base }),
    extra: {
      "p99 ms": r.p99,
      "p99 ×": r.p99 / base.p99,
      "conn/s": Math.round(r.rate),
      "conn/s ×": r.rate / base.rate,
      ok: r.ok,
      failed: r.failed,
    },
  });
  return {
    title: `Lab: TCP connect + request + response, ${g.title}`,
    rows: [
      row(g.base, base, true),
      ...results.filter((r) => r.group === group && r.extra !== null).map((r) => row(pathName(r), r, false)),
    ],
    notes: [
      `${requests} new connections per path, one after another (bench/native/tcp-crr.c); conn/s = connections ÷ the run's wall time; ratio = p50 ÷ the direct p50 (lower is better), conn/s × higher is better.`,
      `baseline = mean of ${base.runs.length} direct runs (first and last before the agents); drift last ÷ first: p50 ${formatNumber(base.drift.p50)}×, conn/s ${formatNumber(base.drift.rate)}× — this machine's noise floor.`,
    ],
  };
}

/** labTrafficTables returns the latency/rate table of each group, then iperf3 (pod group) when measured. */
export function labTrafficTables(
  results: readonly PathResult[],
  o: { readonly requests: number; readonly iperfSeconds: number },
): BenchTable[] {
  const out: BenchTable[] = [];
  for (const group of ["pod", "external"] as const) {
    const t = groupTable(results, group, o.requests);
    if (t) out.push(t);
  }
  const pods = results.filter((r) => r.group === "pod");
  const base = baselineOf(results, "pod");
  if (base && pods.length > 0 && pods.every((r) => Number.isFinite(r.bps))) {
    out.push({
      title: "Lab: iperf3 TCP throughput, pod on node-1 → pod on node-2",
      rows: [
        { name: GROUPS.pod.base, value: base.bps / 1e9, unit: "Gbit/s" },
        ...pods
          .filter((r) => r.extra !== null)
          .map((r) => ({ name: pathName(r), value: r.bps / 1e9, unit: "Gbit/s", baseline: GROUPS.pod.base })),
      ],
      notes: [
        `${o.iperfSeconds} s per path, one stream; ratio < 1 = slower than the pod IP (higher is better here). NodePort throughput: the nodeport-bulk bench.`,
      ],
    });
  }
  return out;
}

/** ChartRow is one point of the lab chart. */
interface ChartRow {
  readonly panel: string;
  readonly series: string;
  readonly services: number;
  readonly p50: number;
  readonly rate: number;
}

/** chartRows turns results into points: contenders at BENCH_SERVICES + extra, direct paths flat across. */
export function chartRows(results: readonly PathResult[]): ChartRow[] {
  const rows: ChartRow[] = [];
  for (const group of ["pod", "external"] as const) {
    const mine = results.filter((r) => r.group === group);
    const counts = [...new Set(mine.flatMap((r) => (r.extra === null ? [] : [BENCH_SERVICES + r.extra])))];
    const panel = GROUPS[group].title;
    for (const r of mine)
      if (r.extra !== null)
        rows.push({
          panel,
          series: r.contender,
          services: BENCH_SERVICES + r.extra,
          p50: r.p50,
          rate: r.rate,
        });
    const base = baselineOf(results, group);
    if (base)
      for (const services of counts)
        rows.push({ panel, series: GROUPS[group].base, services, p50: base.p50, rate: base.rate });
  }
  return rows;
}

/** labTrafficChartPng draws, per group, p50 latency (log) and connection rate against Services. */
export async function labTrafficChartPng(results: readonly PathResult[]): Promise<Buffer> {
  const values = chartRows(results).map((r) => ({ ...r }));
  const x = {
    field: "services",
    type: "quantitative",
    scale: { type: "log", nice: false, padding: 12 },
    title: "Services in the node's dataplane (log)",
  } as const;
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    legend: { orient: "bottom", columns: 3, labelLimit: 400 },
  } as const;
  const mark = { type: "line", point: { size: 60 }, strokeWidth: 2.5 } as const;
  const panels = [...new Set(values.map((v) => v.panel))].map((panel) => ({
    title: { text: panel, font: CHART_FONT, fontSize: 14 },
    transform: [{ filter: { field: "panel", equal: panel } }],
    hconcat: [
      {
        width: 380,
        height: 240,
        mark,
        encoding: {
          x,
          y: {
            field: "p50",
            type: "quantitative",
            scale: { type: "log" },
            title: "p50 ms per connection (log)",
          },
          color,
        },
      },
      {
        width: 380,
        height: 240,
        mark,
        encoding: {
          x,
          y: {
            field: "rate",
            type: "quantitative",
            scale: { zero: false },
            title: "connections / s (one client)",
          },
          color,
        },
      },
    ],
  }));
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "Lab: new TCP connections (native client), latency and rate",
      font: CHART_FONT,
      fontSize: 16,
    },
    background: "white",
    data: { values },
    vconcat: panels,
    config: {
      font: CHART_FONT,
      axis: { labelFontSize: 12, titleFontSize: 13 },
      legend: { labelFontSize: 12 },
    },
  } as TopLevelSpec;
  return vegaLitePng(spec);
}
