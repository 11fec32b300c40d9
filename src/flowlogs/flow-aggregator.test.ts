import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SlReason } from "../datapath/abi/abi.ts";
import type { Pod } from "../model/pod.ts";
import type { Service } from "../model/service.ts";
import {
  FlowAggregator,
  type AggregationLevel,
  type FlowCounters,
  type FlowTuple,
} from "./flow-aggregator.ts";
import type { FlowEvent } from "./flow-event.ts";
import { EndpointNames } from "./endpoint-names.ts";

const pod = (ns: string, name: string, ip: string, node: string, generateName?: string, app = "web"): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels: { app, pod: name }, ...(generateName ? { generateName } : {}) },
    spec: { nodeName: node },
    status: { podIP: ip },
  }) as unknown as Pod;
const svc = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: { clusterIP: "198.19.255.1", ports: [{ port: 80, protocol: "TCP" }] },
} as unknown as Service;

const names = new EndpointNames({
  nodeName: "n1",
  pods: [
    pod("shop", "client-7d9f-abcde", "198.19.1.10", "n1", "client-7d9f-", "client"),
    pod("shop", "client-7d9f-fghij", "198.19.1.11", "n1", "client-7d9f-", "client"),
    pod("shop", "web-1", "198.19.1.20", "n1"),
  ],
  services: [svc],
});
const labels = new Map([
  [21, "default|shop/allow-web|allow|0"],
  [31, "default|shop/deny-all|deny|0"],
]);
const ruleLabel = (id: number) => labels.get(id);

const ev = (over: Partial<FlowEvent>): FlowEvent => ({
  tsNs: 1n,
  srcIp: "198.19.1.10",
  dstIp: "198.19.1.20",
  origDstIp: "198.19.1.20",
  srcPort: 40000,
  dstPort: 8080,
  origDstPort: 8080,
  proto: 6,
  hook: "egress",
  ifindex: 5,
  action: "allow",
  ruleId: 21,
  tier: 0,
  reason: SlReason.SL_R_CT_NEW,
  ...over,
});
const opts = (levelAllowed: AggregationLevel, levelDenied: AggregationLevel = 0) => ({
  levelAllowed,
  levelDenied,
  includeLabels: true,
  includePolicies: true,
  includeService: true,
});
const key = (t: FlowTuple) => `${t.src}:${t.sport}>${t.dst}:${t.dport}`;
const ct = (m: Record<string, FlowCounters>) => (t: FlowTuple) => m[key(t)];
const c = (ip: number, ib: number, rp: number, rb: number): FlowCounters => ({
  initiatorPackets: BigInt(ip),
  initiatorBytes: BigInt(ib),
  responderPackets: BigInt(rp),
  responderBytes: BigInt(rb),
});

describe("FlowAggregator", () => {
  test("level 0 keeps every flow apart, with names, labels, policy and conntrack's counts", () => {
    const a = new FlowAggregator(opts(0), names, 100);
    a.add(ev({ srcPort: 40000 }), ruleLabel);
    a.add(ev({ srcPort: 40001 }), ruleLabel);
    const recs = a.flush({
      now: 110,
      counters: ct({
        "198.19.1.10:40000>198.19.1.20:8080": c(3, 180, 2, 120),
        "198.19.1.10:40001>198.19.1.20:8080": c(1, 60, 0, 0),
      }),
    });
    assert.equal(recs.length, 2);
    const r = recs.find((x) => x.source_port === 40000)!;
    assert.equal(r.start_time, 100);
    assert.equal(r.end_time, 110);
    assert.equal(r.source_ip, "198.19.1.10");
    assert.equal(r.source_type, "wep");
    assert.equal(r.source_namespace, "shop");
    assert.equal(r.source_name, "client-7d9f-abcde");
    assert.equal(r.source_name_aggr, "client-7d9f-*");
    assert.deepEqual(r.source_labels, { app: "client", pod: "client-7d9f-abcde" });
    assert.equal(r.dest_name, "web-1");
    assert.equal(r.dest_name_aggr, "web-1");
    assert.equal(r.proto, "tcp");
    assert.equal(r.reporter, "src");
    assert.deepEqual(r.policies, { enforced: ["default|shop/allow-web|allow|0"], pending: [] });
    assert.deepEqual(
      [
        r.packets_out,
        r.bytes_out,
        r.packets_in,
        r.bytes_in,
        r.num_flows,
        r.num_flows_started,
        r.num_flows_completed,
      ],
      [3, 180, 2, 120, 1, 1, 0],
    );
    assert.equal(r.lost_events, undefined);
  });

  test("level 1 merges source ports, level 2 merges pods by prefix, level 3 drops the destination port", () => {
    const two = (level: AggregationLevel) => {
      const a = new FlowAggregator(opts(level), names, 0);
      a.add(ev({ srcIp: "198.19.1.10", srcPort: 40000 }), ruleLabel);
      a.add(ev({ srcIp: "198.19.1.10", srcPort: 40001 }), ruleLabel);
      a.add(ev({ srcIp: "198.19.1.11", srcPort: 40002 }), ruleLabel);
      a.add(ev({ srcIp: "198.19.1.11", srcPort: 40003, dstPort: 9090, origDstPort: 9090 }), ruleLabel);
      return a.flush({ now: 10, counters: () => c(1, 10, 1, 10) });
    };
    assert.equal(two(0).length, 4);
    const l1 = two(1);
    assert.equal(l1.length, 3);
    assert.ok(l1.every((r) => r.source_port === null));
    const l2 = two(2);
    assert.equal(l2.length, 2, "pods of one prefix merge; ports 8080 and 9090 stay apart");
    const merged = l2.find((r) => r.dest_port === 8080)!;
    assert.equal(merged.source_ip, null);
    assert.equal(merged.source_name, "-");
    assert.equal(merged.source_name_aggr, "client-7d9f-*");
    assert.equal(merged.num_flows, 3);
    assert.equal(merged.packets_out, 3);
    assert.deepEqual(merged.source_labels, { app: "client" }, "only the labels every merged pod shares");
    const l3 = two(3);
    assert.equal(l3.length, 1);
    assert.equal(l3[0]!.dest_port, null);
    assert.equal(l3[0]!.num_flows, 4);
  });

  test("counts are deltas between flushes; a flow whose conntrack entry went is completed", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.add(ev({}), ruleLabel);
    const first = a.flush({ now: 10, counters: () => c(5, 500, 4, 400) });
    assert.deepEqual([first[0]!.packets_out, first[0]!.num_flows_started], [5, 1]);
    const second = a.flush({ now: 20, counters: () => c(7, 700, 4, 400) });
    assert.deepEqual(
      [second[0]!.packets_out, second[0]!.bytes_out, second[0]!.packets_in, second[0]!.num_flows_started],
      [2, 200, 0, 0],
    );
    assert.equal(second[0]!.start_time, 10);
    const third = a.flush({ now: 30, counters: () => undefined });
    assert.deepEqual([third[0]!.num_flows, third[0]!.num_flows_completed], [1, 1]);
    assert.equal(a.activeFlows, 0);
    assert.deepEqual(a.flush({ now: 40, counters: () => undefined }), []);
  });

  test("a flow whose conntrack entry closed (FINs or RST) completes at that flush with its final counts", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.add(ev({}), ruleLabel);
    const [r] = a.flush({ now: 10, counters: () => ({ ...c(5, 500, 4, 400), closed: true }) });
    assert.deepEqual(
      [r!.packets_out, r!.packets_in, r!.num_flows, r!.num_flows_started, r!.num_flows_completed],
      [5, 4, 1, 1, 1],
    );
    assert.equal(a.activeFlows, 0, "not followed while its entry waits 30 s to expire");
    assert.deepEqual(a.flush({ now: 20, counters: () => c(5, 500, 4, 400) }), []);
  });

  test("a new flow on a tuple still followed (conntrack replaced the closed entry) counts as started", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.add(ev({}), ruleLabel);
    a.flush({ now: 10, counters: () => c(5, 500, 4, 400) });
    // The port came back before the old entry expired: the datapath made a new entry and said so.
    a.add(ev({}), ruleLabel);
    const [r] = a.flush({ now: 20, counters: () => c(2, 120, 1, 60) });
    assert.deepEqual(
      [r!.num_flows, r!.num_flows_started, r!.num_flows_completed],
      [2, 1, 1],
      "the old flow completed, the new one started",
    );
    assert.deepEqual([r!.packets_out, r!.bytes_out], [2, 120], "the new entry's counts, from zero");
    assert.equal(a.activeFlows, 1);
  });

  test("an entry replaced without a report (its event lost) counts from zero, never negative", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.add(ev({}), ruleLabel);
    a.flush({ now: 10, counters: () => c(5, 500, 4, 400) });
    const [r] = a.flush({ now: 20, counters: () => c(2, 120, 1, 60) });
    assert.deepEqual([r!.packets_out, r!.bytes_out, r!.packets_in, r!.bytes_in], [2, 120, 1, 60]);
  });

  test("the destination reporter sees the initiator's packets as incoming", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.add(ev({ hook: "ingress", ruleId: 21 }), ruleLabel);
    const [r] = a.flush({ now: 1, counters: () => c(3, 300, 1, 100) });
    assert.equal(r!.reporter, "dst");
    assert.deepEqual([r!.packets_in, r!.bytes_in, r!.packets_out, r!.bytes_out], [3, 300, 1, 100]);
  });

  test("a deny is its own record with the policy and the drop reason; a REJECT names the Service", () => {
    const a = new FlowAggregator(opts(2, 0), names, 0);
    a.add(ev({ hook: "ingress", action: "deny", ruleId: 31, reason: SlReason.SL_R_DROP_POLICY }), ruleLabel);
    a.add(
      ev({
        hook: "none",
        action: "deny",
        ruleId: 0,
        dstIp: "198.19.255.1",
        origDstIp: "198.19.255.1",
        dstPort: 81,
        origDstPort: 81,
        reason: SlReason.SL_R_REJECT_NO_BACKEND,
      }),
      ruleLabel,
    );
    a.add(ev({ dstIp: "198.19.1.20", dstPort: 8080, origDstIp: "198.19.255.1", origDstPort: 80 }), ruleLabel);
    const recs = a.flush({ now: 5, counters: () => c(1, 60, 0, 0) });
    const deny = recs.find((r) => r.drop_reason === "policy")!;
    assert.equal(deny.action, "deny");
    assert.equal(deny.reporter, "dst");
    assert.equal(deny.source_ip, "198.19.1.10", "denied flows use their own level (0 here)");
    assert.deepEqual(deny.policies.enforced, ["default|shop/deny-all|deny|0"]);
    assert.deepEqual([deny.packets_in, deny.num_flows_started, deny.num_flows_completed], [1, 1, 1]);
    const reject = recs.find((r) => r.drop_reason === "no-endpoints")!;
    assert.equal(reject.reporter, "src", "no policy ran: the local source reports");
    assert.deepEqual(reject.policies.enforced, []);
    const viaSvc = recs.find((r) => r.action === "allow")!;
    assert.deepEqual(
      [viaSvc.dest_service_namespace, viaSvc.dest_service_name, viaSvc.dest_service_port],
      ["shop", "web", 80],
    );
    assert.equal(viaSvc.dest_ip, null, "allowed flows at level 2");
  });

  test("include flags off: no labels, no policies, no Service", () => {
    const a = new FlowAggregator(
      {
        levelAllowed: 0,
        levelDenied: 0,
        includeLabels: false,
        includePolicies: false,
        includeService: false,
      },
      names,
      0,
    );
    a.add(ev({ origDstIp: "198.19.255.1", origDstPort: 80 }), ruleLabel);
    const [r] = a.flush({ now: 1, counters: () => c(1, 1, 1, 1) });
    assert.equal(r!.source_labels, null);
    assert.deepEqual(r!.policies.enforced, []);
    assert.equal(r!.dest_service_name, "-");
    assert.equal(r!.dest_service_port, null);
  });

  test("lost events are reported on the interval's records, or carried to the next that has some", () => {
    const a = new FlowAggregator(opts(0), names, 0);
    a.lost(3);
    assert.deepEqual(a.flush({ now: 1, counters: () => undefined }), []);
    a.lost(2);
    a.add(ev({}), ruleLabel);
    const recs = a.flush({ now: 2, counters: () => c(1, 1, 0, 0) });
    assert.equal(recs[0]!.lost_events, 5);
    const next = a.flush({ now: 3, counters: () => c(1, 1, 0, 0) });
    assert.equal(next[0]!.lost_events, undefined);
  });

  test("other networks are pvt or pub", () => {
    assert.equal(names.endpoint("10.1.2.3").nameAggr, "pvt");
    assert.equal(names.endpoint("8.8.8.8").nameAggr, "pub");
    assert.equal(names.endpoint("8.8.8.8").type, "net");
  });
});

describe("FlowAggregator dest_domains", () => {
  // What the client pods looked up (DNS policy's ClientDomains), behind the NameResolver.
  const looked = new Map([
    ["198.19.1.10|198.19.1.20", ["allowed.lab.example"]],
    ["198.19.1.11|198.19.1.20", ["other.lab.example"]],
    ["198.19.1.10|198.19.255.1", ["web.shop.example"]],
  ]);
  const withDomains = {
    endpoint: (ip: string) => names.endpoint(ip),
    service: (ip: string, port: number, proto: number) => names.service(ip, port, proto),
    domains: (client: string, ip: string) => looked.get(`${client}|${ip}`) ?? [],
  };

  test("a flow to an address its source looked up names the domain; other flows name none", () => {
    const a = new FlowAggregator(opts(0), withDomains, 100);
    a.add(ev({}), ruleLabel);
    a.add(ev({ srcIp: "198.19.1.20", dstIp: "198.19.1.10", origDstIp: "198.19.1.10" }), ruleLabel);
    const out = a.flush({ now: 110, counters: () => undefined });
    assert.deepEqual(
      out.map((r) => [r.source_ip, r.dest_domains]),
      [
        ["198.19.1.10", ["allowed.lab.example"]],
        ["198.19.1.20", []],
      ],
    );
  });

  test("through a Service: the name of the address dialled (the ClusterIP) and of the one reached", () => {
    const a = new FlowAggregator(opts(0), withDomains, 100);
    a.add(ev({ origDstIp: "198.19.255.1", origDstPort: 80 }), ruleLabel);
    const [r] = a.flush({ now: 110, counters: () => undefined });
    assert.deepEqual(r?.dest_domains, ["allowed.lab.example", "web.shop.example"]);
  });

  test("per source: the same destination from a pod that looked up another name, merged by prefix as the union", () => {
    const a = new FlowAggregator(opts(2), withDomains, 100);
    a.add(ev({}), ruleLabel);
    a.add(ev({ srcIp: "198.19.1.11", srcPort: 40001 }), ruleLabel);
    const out = a.flush({ now: 110, counters: () => undefined });
    assert.equal(out.length, 1, "one record for the client-7d9f-* prefix");
    assert.deepEqual(out[0]?.dest_domains, ["allowed.lab.example", "other.lab.example"]);
    const b = new FlowAggregator(opts(0), withDomains, 100);
    b.add(ev({ srcIp: "198.19.1.11", srcPort: 40001 }), ruleLabel);
    assert.deepEqual(b.flush({ now: 110, counters: () => undefined })[0]?.dest_domains, [
      "other.lab.example",
    ]);
  });

  test("a resolver without DNS (flow logs with DNS policy off) gives an empty list", () => {
    const a = new FlowAggregator(opts(0), names, 100);
    a.add(ev({}), ruleLabel);
    assert.deepEqual(a.flush({ now: 110, counters: () => undefined })[0]?.dest_domains, []);
  });
});
