import assert from "node:assert/strict";
import { test } from "node:test";
import { FlowRecordStore } from "./flow-record-store.ts";
import { FLOW_RECORDS, LIVE_RECORD } from "./testdata/flow-records.ts";

test("FlowRecordStore keeps a record that came from both the history and the stream once", () => {
  const s = new FlowRecordStore(100);
  assert.equal(s.add([LIVE_RECORD]), 1, "streamed before the history arrived");
  assert.equal(s.add([...FLOW_RECORDS, JSON.parse(JSON.stringify(LIVE_RECORD))]), FLOW_RECORDS.length);
  assert.equal(s.records.length, FLOW_RECORDS.length + 1);
  assert.equal(s.records[0], LIVE_RECORD);
});

test("FlowRecordStore drops the oldest records beyond its capacity and counts them", () => {
  const s = new FlowRecordStore(3);
  s.add(FLOW_RECORDS);
  assert.deepEqual(s.records, FLOW_RECORDS.slice(-3));
  assert.equal(s.evicted, FLOW_RECORDS.length - 3);
  assert.equal(s.add([FLOW_RECORDS[0]!]), 1, "a dropped record is new again");
  assert.throws(() => new FlowRecordStore(0), /capacity must be a positive integer, got 0/);
});
