import assert from "node:assert/strict";
import { test } from "node:test";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { DEFAULT_AGENT_URL, flowsRequest, formatFlows } from "./flows-query.ts";

test("flowsRequest builds the /flows URL from the flags", () => {
  const { url, output } = flowsRequest(
    { from: "shop/client-1", to: "198.19.1.20", action: "DENY", follow: true, output: "wide" },
    {},
  );
  assert.equal(url.origin, DEFAULT_AGENT_URL);
  assert.equal(url.pathname, "/flows");
  assert.equal(url.searchParams.get("from"), "shop/client-1");
  assert.equal(url.searchParams.get("to"), "198.19.1.20");
  assert.equal(url.searchParams.get("action"), "deny");
  assert.equal(url.searchParams.get("follow"), "1");
  assert.equal(output, "wide");
  assert.equal(flowsRequest({}, { SLUICE_AGENT_URL: "http://10.0.0.1:9099" }).url.host, "10.0.0.1:9099");
  assert.equal(flowsRequest({ agent: "http://127.0.0.1:1" }, {}).url.port, "1");
  assert.equal(flowsRequest({}, {}).url.search, "");
});

test("flowsRequest rejects bad flags before any request, naming them", () => {
  assert.throws(() => flowsRequest({ from: "a/b/c" }, {}), /from "a\/b\/c" is not a pod/);
  assert.throws(() => flowsRequest({ action: "drop" }, {}), /action "drop"/);
  assert.throws(() => flowsRequest({ output: "yaml" }, {}), /-o "yaml" is not "json" or "wide"/);
  assert.throws(() => flowsRequest({ agent: "not a url" }, {}), /agent address "not a url" is not a URL/);
});

const r: FlowRecord = {
  start_time: 0,
  end_time: 3600,
  source_ip: null,
  source_port: null,
  source_type: "wep",
  source_namespace: "shop",
  source_name: "-",
  source_name_aggr: "client-*",
  source_labels: null,
  dest_ip: "198.19.1.20",
  dest_port: 8080,
  dest_type: "wep",
  dest_namespace: "shop",
  dest_name: "web-1",
  dest_name_aggr: "web-1",
  dest_labels: null,
  dest_domains: [],
  dest_service_namespace: "shop",
  dest_service_name: "web",
  dest_service_port: 80,
  proto: "tcp",
  action: "deny",
  reporter: "dst",
  policies: { enforced: ["default|shop/deny|deny|0"], pending: [] },
  packets_in: 2,
  packets_out: 0,
  bytes_in: 0,
  bytes_out: 0,
  num_flows: 2,
  num_flows_started: 2,
  num_flows_completed: 2,
  drop_reason: "policy",
  lost_events: 4,
};

test("formatFlows prints a table, a wide table with policies and loss, and JSON", () => {
  const table = formatFlows([r], "table");
  assert.match(table, /^END\s+SOURCE\s+DESTINATION/);
  assert.match(
    table,
    /01:00:00\s+shop\/client-\*\s+shop\/web-1 198\.19\.1\.20:8080\s+tcp\s+deny\s+dst\s+2 \(\+2 -2\)\s+0\/2/,
  );
  const wide = formatFlows([r], "wide");
  assert.match(wide, /shop\/web:80\s+-\s+default\|shop\/deny\|deny\|0\s+policy\s+4$/m);
  assert.match(wide, /DEST DOMAINS/);
  const named = formatFlows([{ ...r, dest_domains: ["allowed.lab.example", "b.example"] }], "wide");
  assert.match(named, /shop\/web:80\s+allowed\.lab\.example,b\.example\s+default\|/);
  assert.deepEqual(JSON.parse(formatFlows([r], "json")), [r]);
  assert.match(formatFlows([], "table"), /\(none\)/);
});
