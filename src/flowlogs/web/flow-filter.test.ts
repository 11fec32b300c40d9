import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesFlowFilter, parseFlowFilter } from "./flow-filter.ts";
import { FLOW_RECORDS } from "./testdata/flow-records.ts";

const pick = (text: string): number[] =>
  FLOW_RECORDS.flatMap((r, i) => (matchesFlowFilter(r, parseFlowFilter(text)) ? [i] : []));

test("an empty filter matches every record", () => {
  assert.deepEqual(pick("  "), [0, 1, 2, 3, 4, 5, 6]);
});

test("ns:, pod:, action: and plain words all have to match", () => {
  assert.deepEqual(pick("ns:payments"), [2, 5], "either end, or the Service, in payments");
  assert.deepEqual(pick("action:deny"), [2, 6]);
  assert.deepEqual(pick("ns:shop action:deny"), [2, 6]);
  assert.deepEqual(pick("pod:DB"), [2], "case does not matter");
  assert.deepEqual(pick("pod:frontend action:allow"), [0, 1, 3, 4]);
  assert.deepEqual(pick("203.0.113"), [3], "a word matches IPs");
  assert.deepEqual(pick("search"), [6], "a word matches the Service name");
  assert.deepEqual(pick("namespace:payments pod:cart"), [5]);
});

test("parseFlowFilter() names the bad term and the reason", () => {
  assert.throws(() => parseFlowFilter("ns:shop verdict:deny"), /unknown key "verdict" in "verdict:deny"/);
  assert.throws(() => parseFlowFilter("action:drop"), /"action:drop": action must be allow or deny/);
  assert.throws(() => parseFlowFilter("pod:"), /"pod:" has no value/);
  assert.throws(() => parseFlowFilter("action:allow action:deny"), /contradicts action:allow/);
  assert.throws(() => parseFlowFilter("constructor:x"), /unknown key "constructor"/);
});
