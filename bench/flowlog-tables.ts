/**
 * The flowlog bench's tables from its phases (pure): connections/s and agent CPU with flow logs
 * on against the mean of the two off phases, then per on phase the flow events the datapath
 * produced (read + lost), what the agent read, the loss three ways (the agent's metric, the
 * datapath's sl_counters, the records' lost_events) and the records written.
 */
import type { FlowFileSummary } from "./flow-log-files.ts";
import type { PhaseResult } from "./flowlog-phase.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { formatNumber } from "./result-table.ts";

/** FlowlogOptions: allowed clients, seconds per phase, the flush interval, the stall. */
export type FlowlogOptions = {
  readonly clients: number;
  readonly seconds: number;
  readonly flushSeconds: number;
  readonly stallSeconds: number;
  readonly deniedTimeoutMs: number;
};

/** PhaseName names the bench's phases, in the order they run. */
export type PhaseName = "off (1)" | "on" | "off (2)" | "on, agent stalled";

/** PhaseRun is one phase's measurements and, when flow logs were on, its directory's records. */
export interface PhaseRun {
  readonly name: PhaseName;
  readonly result: PhaseResult;
  readonly files?: FlowFileSummary;
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function onVsOff(runs: readonly PhaseRun[], o: FlowlogOptions): BenchTable {
  const off = runs.filter((r) => r.name.startsWith("off"));
  const on = runs.find((r) => r.name === "on");
  const rows: BenchRow[] = [];
  const offRate = mean(off.map((r) => r.result.connPerSecond));
  const offCpu = mean(off.map((r) => r.result.agentCpuPct));
  const drift = (pick: (r: PhaseRun) => number): string =>
    off.length === 2 ? `${formatNumber(pick(off[1]!) / pick(off[0]!))}×` : "-";
  rows.push({
    name: "new connections/s, flow logs off",
    value: offRate,
    unit: "conn/s",
    extra: {
      "off (2) ÷ off (1)": drift((r) => r.result.connPerSecond),
      "p50 µs": mean(off.map((r) => r.result.p50Us)),
      "denied/s": mean(off.map((r) => r.result.deniedAttempts / o.seconds)),
    },
  });
  if (on)
    rows.push({
      name: "new connections/s, flow logs on",
      value: on.result.connPerSecond,
      unit: "conn/s",
      baseline: "new connections/s, flow logs off",
      extra: { "p50 µs": on.result.p50Us, "denied/s": on.result.deniedAttempts / o.seconds },
    });
  rows.push({
    name: "agent CPU, flow logs off",
    value: offCpu,
    unit: "% core",
    extra: {
      "off (2) ÷ off (1)": drift((r) => r.result.agentCpuPct),
      "CPU ms / 1k conn": mean(
        off.map((r) => (r.result.agentCpuSeconds * 1e6) / Math.max(1, r.result.allowedOk)),
      ),
    },
  });
  if (on)
    rows.push({
      name: "agent CPU, flow logs on",
      value: on.result.agentCpuPct,
      unit: "% core",
      baseline: "agent CPU, flow logs off",
      extra: { "CPU ms / 1k conn": (on.result.agentCpuSeconds * 1e6) / Math.max(1, on.result.allowedOk) },
    });
  return {
    title: `Flow logs on vs. off at the lab's highest new-connection rate (1 node, ${o.clients} TCP_CRR clients + 1 denied, ${o.seconds} s per phase)`,
    rows,
    notes: [
      "ratio of conn/s: < 1 = flow logging slowed traffic (higher is better); of CPU: the agent's cost of flow logs.",
      `baseline = mean of the off phases before and after the on phase; agent CPU is utime + stime over the phase and a ${o.flushSeconds * 2 + 1} s settle.`,
      `load average (1 min) at the end of each phase: ${runs.map((r) => `${r.name} ${r.result.load}`).join(", ")} (2 cores, shared).`,
      ...runs
        .filter((r) => r.result.deniedOk > 0 || r.result.allowedFailed > 0)
        .map(
          (r) =>
            `${r.name}: ${r.result.allowedFailed} allowed connections failed (${r.result.firstError ?? "?"}), ${r.result.deniedOk} denied ones got through`,
        ),
    ],
  };
}

function eventRows(run: PhaseRun, o: FlowlogOptions): BenchRow[] {
  const c = run.result.counters;
  const produced = c.read + c.lost;
  const expected = 2 * run.result.allowedOk + run.result.deniedAttempts;
  const f = run.files;
  const name = (what: string): string => `${run.name}: ${what}`;
  return [
    {
      name: name("flow events produced (read + lost)"),
      value: produced / o.seconds,
      unit: "events/s",
      extra: {
        events: produced,
        "2 × conn + denied": expected,
        "sl_counters CT_NEW": c.dpCtNew,
        "sl_counters DROP_POLICY": c.dpDropPolicy,
      },
    },
    {
      name: name("flow events read by the agent"),
      value: c.read / o.seconds,
      unit: "events/s",
      baseline: name("flow events produced (read + lost)"),
      extra: { events: c.read, malformed: c.malformed },
    },
    {
      name: name("flow events lost (ring buffer full)"),
      value: c.lost,
      unit: "events",
      extra: {
        "sl_counters EVENT_LOST": c.dpLost,
        "records' lost_events": f?.lostEvents ?? Number.NaN,
        "intervals with loss": f === undefined ? "-" : `${f.lossIntervals} of ${f.intervals}`,
        "loss by interval start": f === undefined ? "-" : f.lossTimeline.join(" ") || "none",
      },
    },
    {
      name: name("flow log records written"),
      value: c.written,
      unit: "records",
      extra: {
        "records in files": f?.records ?? Number.NaN,
        "flows started (allow)": f?.allowedStarted ?? Number.NaN,
        "flows started (deny)": f?.deniedStarted ?? Number.NaN,
      },
    },
  ];
}

/** flowlogTables turns the phases into the bench's two tables. */
export function flowlogTables(runs: readonly PhaseRun[], o: FlowlogOptions): BenchTable[] {
  const on = runs.filter((r) => r.name.startsWith("on"));
  return [
    onVsOff(runs, o),
    {
      title: "Flow events: produced by the datapath vs. read by the agent, and the loss three ways",
      rows: on.flatMap((r) => eventRows(r, o)),
      notes: [
        "produced = read + lost: every bpf_ringbuf_output either lands in sl_pol_events (the agent reads it) or fails and counts SL_R_EVENT_LOST.",
        "an allowed connection gives 2 events (client egress + web ingress approvals), a denied SYN 1: the '2 × conn + denied' column is the client-side expectation.",
        `"on, agent stalled": the agent is SIGSTOPped ${o.stallSeconds} s a second into the traffic (a consumer that cannot keep up); the ring (SL_POL_EVENTS_SIZE, 256 KiB ≈ 4,680 events) overflows.`,
        "lost: the agent's sluice_flowlog_events_lost_total; sl_counters EVENT_LOST read from the pin; records' lost_events summed once per interval. All three should agree.",
        `records at Calico's default aggregation (allowed 2, denied 1), flushed every ${o.flushSeconds} s; "records written" is sluice_flowlog_records_written_total over the phase.`,
      ],
    },
  ];
}
