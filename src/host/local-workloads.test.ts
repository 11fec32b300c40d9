import assert from "node:assert/strict";
import { test } from "node:test";
import type { Link } from "../netlink/links.ts";
import type { Pod } from "../model/pod.ts";
import type { HostView } from "./host-view.ts";
import { localWorkloads } from "./local-workloads.ts";

function pod(name: string, node: string, ip: string, annotations: Record<string, string> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", annotations },
    spec: { nodeName: node, containers: [{ name: "c" }] },
    status: { phase: "Running", podIP: ip },
  } as Pod;
}

const link = (index: number, name: string, mac?: string): Link =>
  ({ index, name, type: 1, flags: 0, up: true, mtu: 1500, operState: "up", ...(mac ? { mac } : {}) }) as Link;

const host: HostView = {
  links: [
    link(1, "lo"),
    link(2, "eth0", "02:00:00:00:00:02"),
    link(3, "slaaa", "02:00:00:00:00:03"),
    link(4, "tap0", "02:00:00:00:00:04"),
  ],
  hostRoutes: new Map([
    ["198.19.1.2", 3],
    ["198.19.1.4", 4],
  ]),
  neighbours: new Map([["3/198.19.1.2", "0a:00:00:00:00:02"]]),
};

test("localWorkloads() finds a pod's veth by its /32 route and its MAC from the neighbour table", () => {
  const scan = localWorkloads([pod("a", "node-1", "198.19.1.2")], "node-1", host, ["sl"], () => undefined);
  assert.deepEqual(scan.workloads, [
    {
      pod: "default/a",
      iface: "slaaa",
      ip: "198.19.1.2",
      ifindex: 3,
      mac: "0a:00:00:00:00:02",
      hostMac: "02:00:00:00:00:03",
    },
  ]);
  assert.deepEqual(scan.pending, []);
});

test("localWorkloads() prefers the interface annotation and asks the lookup for a MAC the node has not learnt", () => {
  const scan = localWorkloads(
    [pod("b", "node-1", "198.19.1.3", { "sluice.dev/interface": "slaaa" })],
    "node-1",
    host,
    ["sl"],
    () => "0a:00:00:00:00:03",
  );
  assert.equal(scan.workloads[0]?.ifindex, 3);
  assert.equal(scan.workloads[0]?.mac, "0a:00:00:00:00:03");
});

test("localWorkloads() skips other nodes' pods and reports pods it cannot wire yet, with the reason", () => {
  const pods = [
    pod("other", "node-2", "198.19.2.2"),
    pod("noroute", "node-1", "198.19.1.9"),
    pod("tap", "node-1", "198.19.1.4"),
    pod("nomac", "node-1", "198.19.1.2"),
  ];
  const scan = localWorkloads(pods, "node-1", { ...host, neighbours: new Map() }, ["sl"], () => undefined);
  assert.deepEqual(scan.workloads, []);
  assert.deepEqual(
    scan.pending.map((p) => p.pod),
    ["default/noroute", "default/tap", "default/nomac"],
  );
  assert.match(scan.pending[1]!.reason, /lacks a workload prefix \(sl\)/);
  assert.match(scan.pending[2]!.reason, /MAC of 198.19.1.2/);
});
