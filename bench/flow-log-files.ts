/**
 * What a flow-log directory says about one bench phase: the records written (flows.log and its
 * rotations), the flows they count as started, and the datapath events they report lost. Every
 * record of an interval carries that interval's `lost_events`, so the loss is taken once per
 * interval (start_time, end_time), not summed over its records. Bench-only.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FLOW_LOG_FILE } from "../src/flowlogs/flow-file-writer.ts";
import type { FlowRecord } from "../src/flowlogs/flow-record.ts";

/** FlowFileSummary sums one directory's records. */
export interface FlowFileSummary {
  readonly records: number;
  readonly allowedStarted: number;
  readonly deniedStarted: number;
  /** lost_events summed over intervals (each interval counted once). */
  readonly lostEvents: number;
  /** Intervals whose records reported a loss. */
  readonly lossIntervals: number;
  /** Intervals with any record. */
  readonly intervals: number;
  /** Each interval's loss in time order, as "+<seconds from the first interval's start>s:<lost>". */
  readonly lossTimeline: readonly string[];
}

/** summarizeFlowRecords sums parsed records (pure). */
export function summarizeFlowRecords(records: readonly FlowRecord[]): FlowFileSummary {
  const lostByInterval = new Map<string, number>();
  const intervals = new Map<string, number>();
  let allowedStarted = 0;
  let deniedStarted = 0;
  for (const r of records) {
    if (r.action === "allow") allowedStarted += r.num_flows_started;
    else deniedStarted += r.num_flows_started;
    const k = `${r.start_time}-${r.end_time}`;
    intervals.set(k, r.start_time);
    if (r.lost_events !== undefined && r.lost_events > 0) {
      lostByInterval.set(k, Math.max(lostByInterval.get(k) ?? 0, r.lost_events));
    }
  }
  let lostEvents = 0;
  for (const n of lostByInterval.values()) lostEvents += n;
  const first = Math.min(...intervals.values());
  const lossTimeline = [...lostByInterval.entries()]
    .map(([k, n]) => ({ at: intervals.get(k)! - first, n }))
    .sort((a, b) => a.at - b.at)
    .map((x) => `+${x.at}s:${x.n}`);
  return {
    records: records.length,
    allowedStarted,
    deniedStarted,
    lostEvents,
    lossIntervals: lostByInterval.size,
    intervals: intervals.size,
    lossTimeline,
  };
}

/** readFlowFiles parses every flows.log* line in `dir` (none when the directory is missing). */
export function readFlowFiles(dir: string): FlowRecord[] {
  if (!existsSync(dir)) return [];
  const out: FlowRecord[] = [];
  for (const f of readdirSync(dir).filter((n) => n.startsWith(FLOW_LOG_FILE))) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n"))
      if (line.trim() !== "") out.push(JSON.parse(line) as FlowRecord);
  }
  return out;
}
