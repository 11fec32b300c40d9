import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import type { FlowRecord } from "../flowlogs/flow-record.ts";
import { RecentFlows } from "../flowlogs/recent-flows.ts";
import { handleFlowsRequest } from "./flows-endpoint.ts";

const rec = (over: Partial<FlowRecord>): FlowRecord => ({
  start_time: 1,
  end_time: 2,
  source_ip: "198.19.1.10",
  source_port: null,
  source_type: "wep",
  source_namespace: "shop",
  source_name: "client-1",
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
  dest_service_namespace: "-",
  dest_service_name: "-",
  dest_service_port: null,
  proto: "tcp",
  action: "allow",
  reporter: "src",
  policies: { enforced: [], pending: [] },
  packets_in: 1,
  packets_out: 1,
  bytes_in: 60,
  bytes_out: 60,
  num_flows: 1,
  num_flows_started: 1,
  num_flows_completed: 0,
  ...over,
});

const flows = new RecentFlows(100);
let off = false;
let server: Server;
let port = 0;
before(async () => {
  server = createServer((req, res) => handleFlowsRequest(req, res, off ? undefined : flows));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}

flows.push([
  rec({}),
  rec({ source_name: "-", source_ip: null, action: "deny", drop_reason: "policy" }),
  rec({ source_namespace: "other", source_name: "x", source_ip: "198.19.1.30", dest_ip: "198.19.1.40" }),
]);

test("GET /flows returns the recent records, filtered by from, to and action", async () => {
  const all = await get("/flows");
  assert.equal(all.status, 200);
  assert.equal((JSON.parse(all.body) as FlowRecord[]).length, 3);
  const denied = JSON.parse((await get("/flows?action=deny")).body) as FlowRecord[];
  assert.deepEqual(
    denied.map((r) => r.drop_reason),
    ["policy"],
  );
  const fromPod = JSON.parse((await get("/flows?from=shop/client-1")).body) as FlowRecord[];
  assert.equal(fromPod.length, 2, "the pod by name and under its aggregated prefix");
  const fromNs = JSON.parse((await get("/flows?from=other")).body) as FlowRecord[];
  assert.equal(fromNs.length, 1);
  const toIp = JSON.parse((await get("/flows?to=198.19.1.40")).body) as FlowRecord[];
  assert.equal(toIp[0]!.source_name, "x");
});

test("GET /flows with a bad filter is a 400 naming it; with flow logs off a 503", async () => {
  const bad = await get("/flows?action=maybe");
  assert.equal(bad.status, 400);
  assert.match((JSON.parse(bad.body) as { error: string }).error, /action "maybe" is not "allow" or "deny"/);
  const badFrom = await get("/flows?from=Not/A/Pod");
  assert.equal(badFrom.status, 400);
  assert.match(badFrom.body, /from/);
  off = true;
  try {
    const r = await get("/flows");
    assert.equal(r.status, 503);
    assert.match(r.body, /flowLogsFileEnabled/);
  } finally {
    off = false;
  }
});

test("GET /flows?follow=1 streams each flushed batch as NDJSON, filtered", async () => {
  const lines: FlowRecord[] = [];
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/flows?follow=1&action=deny" }, (res) => {
      assert.equal(res.headers["content-type"], "application/x-ndjson");
      let buf = "";
      res.on("data", (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          lines.push(JSON.parse(buf.slice(0, i)) as FlowRecord);
          buf = buf.slice(i + 1);
        }
        if (lines.length >= 2) {
          req.destroy();
          resolve();
        }
      });
      // the stream is open: flush two batches, one with an allowed record the filter drops
      setImmediate(() => {
        flows.push([rec({ action: "deny", dest_port: 1 }), rec({ dest_port: 2 })]);
        flows.push([rec({ action: "deny", dest_port: 3 })]);
      });
    });
    req.on("error", (e) => (lines.length >= 2 ? resolve() : reject(e)));
    req.end();
    setTimeout(() => reject(new Error("follow: no records within 5 s")), 5000).unref();
  });
  assert.deepEqual(
    lines.map((r) => r.dest_port),
    [1, 3],
  );
});
