/**
 * The flowlog bench's readers: a flow-log directory's records summed (the loss once per interval,
 * as every record of an interval carries it) and a Prometheus counter summed over its series.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readFlowFiles, summarizeFlowRecords } from "../../bench/flow-log-files.ts";
import { metricSum } from "../../bench/flowlog-phase.ts";
import type { FlowRecord } from "../../src/flowlogs/flow-record.ts";

const rec = (over: Partial<FlowRecord>): FlowRecord =>
  ({ start_time: 10, end_time: 12, action: "allow", num_flows_started: 1, ...over }) as FlowRecord;

test("summarizeFlowRecords() takes an interval's lost_events once and sums flows started by action", () => {
  const s = summarizeFlowRecords([
    rec({ num_flows_started: 3, lost_events: 7 }),
    rec({ num_flows_started: 2, lost_events: 7, action: "deny" }),
    rec({ start_time: 12, end_time: 14, num_flows_started: 4 }),
    rec({ start_time: 14, end_time: 16, num_flows_started: 1, lost_events: 5 }),
  ]);
  assert.deepEqual(
    [s.records, s.allowedStarted, s.deniedStarted, s.lostEvents, s.lossIntervals, s.intervals],
    [4, 8, 2, 12, 2, 3],
  );
  assert.deepEqual(s.lossTimeline, ["+0s:7", "+4s:5"]);
});

test("readFlowFiles() reads flows.log and its rotations, and nothing when the directory is missing", () => {
  const dir = mkdtempSync(join(tmpdir(), "sl-t-flowfiles-"));
  try {
    writeFileSync(join(dir, "flows.log"), `${JSON.stringify(rec({}))}\n`);
    writeFileSync(join(dir, "flows.log.1"), `${JSON.stringify(rec({}))}\n${JSON.stringify(rec({}))}\n`);
    writeFileSync(join(dir, "other.txt"), "not a record\n");
    assert.equal(readFlowFiles(dir).length, 3);
    assert.deepEqual(readFlowFiles(join(dir, "missing")), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("metricSum() adds every series of one name, not of names that share its prefix", () => {
  const text = [
    "# HELP sluice_flowlog_events_read_total Flow events read",
    "sluice_flowlog_events_read_total 40",
    "sluice_flowlog_events_read_total_extra 1000",
    'sluice_datapath_packets_total{reason="EVENT_LOST"} 3',
    'sluice_datapath_packets_total{reason="CT_NEW"} 9',
  ].join("\n");
  assert.equal(metricSum(text, "sluice_flowlog_events_read_total"), 40);
  assert.equal(metricSum(text, "sluice_datapath_packets_total"), 12);
  assert.equal(metricSum(text, "sluice_datapath_packets_total", 'reason="EVENT_LOST"'), 3);
  assert.equal(metricSum(text, "sluice_absent_total"), 0);
});
