import assert from "node:assert/strict";
import { test } from "node:test";
import { labelList, parseFlowRecordView } from "./flow-record-view.ts";
import { FLOW_RECORDS } from "./testdata/flow-records.ts";

test("parseFlowRecordView() accepts the fixture and names the record and field it rejects", () => {
  for (const r of FLOW_RECORDS) assert.deepEqual(parseFlowRecordView(JSON.parse(JSON.stringify(r)), "x"), r);
  assert.throws(() => parseFlowRecordView([], "record 2"), /read flow record: record 2: not a JSON object/);
  const bad = (over: object): unknown => ({ ...FLOW_RECORDS[0], ...over });
  assert.throws(
    () => parseFlowRecordView(bad({ action: "drop" }), "line 4"),
    /line 4: field "action" must be allow\|deny/,
  );
  assert.throws(
    () => parseFlowRecordView(bad({ bytes_in: "9" }), "r"),
    /field "bytes_in" must be a finite number/,
  );
  assert.throws(
    () => parseFlowRecordView(bad({ dest_type: "pod" }), "r"),
    /field "dest_type" must be one of wep\|hep\|ns\|net/,
  );
  assert.throws(
    () => parseFlowRecordView(bad({ source_name: undefined }), "r"),
    /field "source_name" must be a string/,
  );
  assert.throws(
    () => parseFlowRecordView(bad({ dest_domains: "allowed.lab.example" }), "r"),
    /field "dest_domains" must be a list of strings/,
  );
  assert.doesNotThrow(() => parseFlowRecordView(bad({ dest_domains: ["allowed.lab.example"] }), "r"));
});

test("labelList() reads both label forms", () => {
  assert.deepEqual(labelList(["app=a"]), ["app=a"]);
  assert.deepEqual(labelList({ app: "a", tier: "web" }), ["app=a", "tier=web"]);
  assert.deepEqual(labelList(null), []);
});
