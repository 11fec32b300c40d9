/**
 * FlowLogService end to end on the real tc programs (BPF_PROG_TEST_RUN): flow logs on, pod A
 * opens a flow to pod B1 through the ClusterIP, an established packet follows, and one flush
 * writes a record that names both pods and the Service and counts what conntrack counted; the
 * next flush after the entry is gone reports the flow completed. A denied flow and the file on
 * disk are checked too. A ring the agent does not read overflows: the loss is in the records and
 * the metrics, not silent.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FlowLogService, type FlowLogCounts } from "../../src/agent/flow-log-service.ts";
import type { AgentLogger } from "../../src/agent/agent-logger.ts";
import type { FlowLogSettings } from "../../src/calc/dataplane-settings.ts";
import { SL_POL_EVENTS_SIZE } from "../../src/datapath/abi/abi.ts";
import type { DatapathMaps } from "../../src/datapath/datapath-maps.ts";
import { readCounterTotals } from "../../src/datapath/datapath-stats.ts";
import { EndpointNames } from "../../src/flowlogs/endpoint-names.ts";
import { FLOW_LOG_FILE } from "../../src/flowlogs/flow-file-writer.ts";
import type { FlowRecord } from "../../src/flowlogs/flow-record.ts";
import type { Pod } from "../../src/model/pod.ts";
import type { Service } from "../../src/model/service.ts";
import { withNetns } from "../../src/kernel/netns.ts";
import { packet } from "../packet/build-packet.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { useNode1 } from "./node1-fixture.ts";
import { TCP, W } from "./dp-world.ts";

const dir = mkdtempSync(join(tmpdir(), "sl-flowlog-svc-"));
let service: FlowLogService | undefined;
after(() => {
  service?.close();
  rmSync(dir, { recursive: true, force: true });
});
const world = useNode1();

const quiet: AgentLogger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as AgentLogger;
const pod = (name: string, ip: string, generateName?: string): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "shop", labels: { app: name }, ...(generateName ? { generateName } : {}) },
    spec: { nodeName: "node1" },
    status: { podIP: ip },
  }) as unknown as Pod;
const svc = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: { clusterIP: W.vip, ports: [{ port: 80, protocol: "TCP" }] },
} as unknown as Service;
const names = new EndpointNames({
  nodeName: "node1",
  pods: [pod("client-5f6d-x1y2z", W.podA, "client-5f6d-"), pod("web-0", W.podB1), pod("web-1", W.podB2)],
  services: [svc],
});
const settings: FlowLogSettings = {
  enabled: true,
  flushIntervalS: 3600, // flushed by hand below
  directory: dir,
  maxFiles: 2,
  maxFileSizeBytes: 1 << 20,
  levelAllowed: 0,
  levelDenied: 0,
  includeLabels: true,
  includePolicies: true,
  includeService: true,
};

test(
  "flow logs from the datapath: a Service flow with names and conntrack counts, then completed",
  requireRoot,
  async () => {
    let now = 1000;
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {}, flowEvents: true });
    const maps = { byName: world.node.maps } as unknown as DatapathMaps;
    service = new FlowLogService({ log: quiet, names: () => names, now: () => now });
    service.configure(settings, maps);
    assert.ok(service.source, "GET /flows has a source while on");
    const from = (await world.node.iface({ ifindex: W.ifA, role: "wep" })).from_wep;
    const syn = {
      ipv4: { src: W.podA, dst: W.vip, id: 1 },
      tcp: { sport: 44001, dport: 80, flags: ["SYN" as const], seq: 1 },
      payload: "x",
    };
    const ack = { ...syn, tcp: { ...syn.tcp, flags: ["ACK" as const], seq: 2, ack: 1 }, payload: "yy" };
    assert.equal(runIn(world.ns, from, syn).verdict, "REDIRECT");
    runIn(world.ns, from, ack);
    now = 1010;
    service.flush();
    const recs = service.source!.recent();
    assert.equal(recs.length, 1, JSON.stringify(recs));
    const r = recs[0]!;
    const backend = r.dest_ip === W.podB1 ? "web-0" : "web-1";
    assert.deepEqual(
      [r.source_name, r.source_name_aggr, r.source_namespace, r.source_type, r.source_port],
      ["client-5f6d-x1y2z", "client-5f6d-*", "shop", "wep", 44001],
    );
    assert.deepEqual([r.dest_name, r.dest_port, r.proto], [backend, 8080, "tcp"]);
    assert.deepEqual(
      [r.dest_service_namespace, r.dest_service_name, r.dest_service_port],
      ["shop", "web", 80],
    );
    assert.deepEqual([r.action, r.reporter, r.start_time, r.end_time], ["allow", "src", 1000, 1010]);
    assert.deepEqual([r.num_flows, r.num_flows_started, r.num_flows_completed], [1, 1, 0]);
    assert.equal(r.packets_out, 2, "SYN and ACK, from conntrack's initiator counter");
    assert.equal(r.bytes_out, 41 + 42, "IP lengths: 40 + 1 and 40 + 2");
    assert.equal(r.packets_in, 0);
    assert.deepEqual(r.source_labels, { app: "client-5f6d-x1y2z" });

    world.node.ct.delete({ src: W.podA, dst: r.dest_ip!, sport: 44001, dport: 8080, proto: TCP });
    now = 1020;
    service.flush();
    const done = service.source!.recent().at(-1)!;
    assert.deepEqual(
      [done.start_time, done.num_flows, done.num_flows_completed, done.packets_out],
      [1010, 1, 1, 0],
    );

    const lines = readFileSync(join(dir, FLOW_LOG_FILE), "utf8").trim().split("\n");
    assert.equal(lines.length, 2);
    assert.equal((JSON.parse(lines[0]!) as FlowRecord).dest_service_name, "web");

    service.configure({ ...settings, enabled: false }, maps);
    assert.equal(service.source, undefined, "off: no source");
    service.close(); // the ring's reader too (it stays while maps exist, for Log rules' events)
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {} });
  },
);

test(
  "a connection that closed (a FIN each way) completes at the next flush, its entry still in conntrack",
  requireRoot,
  async () => {
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {}, flowEvents: true });
    const maps = { byName: world.node.maps } as unknown as DatapathMaps;
    const s = new FlowLogService({ log: quiet, names: () => names, now: () => 3000 });
    service = s;
    s.configure(settings, maps);
    s.flush(); // start from an empty interval
    const fromA = (await world.node.iface({ ifindex: W.ifA, role: "wep" })).from_wep;
    const fromB = (await world.node.iface({ ifindex: W.ifB1, role: "wep" })).from_wep;
    const out = { ipv4: { src: W.podA, dst: W.podB1, id: 3 }, payload: "" };
    const back = { ipv4: { src: W.podB1, dst: W.podA, id: 4 }, payload: "" };
    const tcpOut = { sport: 44077, dport: 8080 };
    const tcpBack = { sport: 8080, dport: 44077 };
    runIn(world.ns, fromA, { ...out, tcp: { ...tcpOut, flags: ["SYN"], seq: 1 } });
    runIn(world.ns, fromB, { ...back, tcp: { ...tcpBack, flags: ["SYN", "ACK"], seq: 9, ack: 2 } });
    runIn(world.ns, fromA, { ...out, tcp: { ...tcpOut, flags: ["FIN", "ACK"], seq: 2, ack: 10 } });
    runIn(world.ns, fromB, { ...back, tcp: { ...tcpBack, flags: ["FIN", "ACK"], seq: 10, ack: 3 } });
    const key = { src: W.podA, dst: W.podB1, sport: 44077, dport: 8080, proto: TCP };
    assert.ok(world.node.ct.get(key), "the closed entry waits in conntrack for its timeout");
    s.flush();
    const mine = (r: FlowRecord): boolean => r.source_port === 44077 && r.dest_ip === W.podB1;
    const recs = s.source!.recent().filter(mine);
    assert.equal(recs.length, 1, JSON.stringify(recs));
    assert.deepEqual(
      [recs[0]!.num_flows, recs[0]!.num_flows_started, recs[0]!.num_flows_completed, recs[0]!.packets_out],
      [1, 1, 1, 2],
    );
    s.flush();
    assert.equal(s.source!.recent().filter(mine).length, 1, "not followed after it completed");
    world.node.ct.delete(key);
    s.close();
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {} });
  },
);

test(
  "a full ring buffer: the lost events are counted in the interval's records and the metrics",
  requireRoot,
  async () => {
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {}, flowEvents: true });
    const maps = { byName: world.node.maps } as unknown as DatapathMaps;
    const total = { read: 0, written: 0, lost: 0, malformed: 0 };
    const counts: FlowLogCounts = {
      eventsRead: (n) => (total.read += n),
      recordsWritten: (n) => (total.written += n),
      eventsLost: (n) => (total.lost += n),
      eventsMalformed: (n) => (total.malformed += n),
    };
    const s = new FlowLogService({ log: quiet, names: () => names, now: () => 2000, counts });
    service = s;
    s.configure(settings, maps);
    s.flush(); // start from an empty ring
    const lostBefore = readCounterTotals(maps).get("EVENT_LOST") ?? 0n;
    // A SYN to a Service port without endpoints is a REJECT and a deny event each time (no
    // conntrack entry stops the next one). A flow event takes 56 bytes of the ring with its
    // header, so this sends about twice what the ring holds, without reading in between.
    const sent = Math.ceil((SL_POL_EVENTS_SIZE / 56) * 2);
    const from = (await world.node.iface({ ifindex: W.ifA, role: "wep" })).from_wep;
    const data = packet({
      ipv4: { src: W.podA, dst: W.vip, id: 9 },
      tcp: { sport: 43100, dport: 81, flags: ["SYN"], seq: 100 },
      payload: "hi",
    });
    withNetns(world.ns.name, () => {
      for (let i = 0; i < sent; i++) from.testRun({ data, dataSizeOut: data.length + 256 });
    });
    const lost = Number((readCounterTotals(maps).get("EVENT_LOST") ?? 0n) - lostBefore);
    assert.ok(lost > sent / 3, `the ring overflowed: ${lost} of ${sent} lost`);
    s.flush();
    assert.equal(total.lost, lost, "every lost event is counted");
    assert.equal(total.read + total.lost, sent, "each event sent was read or counted lost");
    assert.equal(total.malformed, 0);
    const recs = s.source!.recent().filter((r) => r.start_time === 2000 && r.action === "deny");
    assert.equal(recs.length, 1, JSON.stringify(recs));
    assert.equal(recs[0]!.lost_events, lost, "the interval's record reports the loss");
    assert.equal(recs[0]!.num_flows_started, total.read);
    assert.ok(total.written >= 1);
    s.close();
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {} });
  },
);
