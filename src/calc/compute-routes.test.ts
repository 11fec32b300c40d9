import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { nodeSchema, podSchema } from "../model/index.ts";
import type { Node, Pod } from "../model/index.ts";
import { computeRoutes } from "./compute-routes.ts";

const node = (name: string, ip: string, podCIDR?: string): Node =>
  nodeSchema().parse({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    spec: podCIDR === undefined ? {} : { podCIDR },
    status: {
      addresses: [
        { type: "InternalIP", address: ip },
        { type: "Hostname", address: name },
      ],
    },
  });
const pod = (name: string, nodeName: string, ip: string, extra: Record<string, unknown> = {}): Pod =>
  podSchema().parse({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName, containers: [{ name: "c" }], ...extra },
    status: { phase: "Running", podIP: ip },
  });
const wi = { ifindex: 7, mac: "02:00:00:00:00:01", hostMac: "ee:ee:ee:ee:ee:ee" };

describe("computeRoutes", () => {
  const nodes = [node("a", "198.18.0.1", "198.18.64.0/24"), node("b", "198.18.0.2", "198.18.65.0/24")];

  test("another node's pod CIDR routes to that node's address; its address is a remote host", () => {
    const r = computeRoutes({ nodeName: "a", nodes, pods: [], workloadInterfaces: new Map() });
    assert.deepEqual(r.routes.get("198.18.65.0/24"), { kind: "remote-workload", nextHop: "198.18.0.2" });
    assert.deepEqual(r.routes.get("198.18.0.2/32"), { kind: "remote-host" });
  });

  test("this node's addresses are local hosts and its own pod CIDR is not routed as a block", () => {
    const r = computeRoutes({
      nodeName: "a",
      nodes,
      pods: [],
      workloadInterfaces: new Map(),
      extraLocalAddresses: ["198.18.0.9"],
    });
    assert.deepEqual(r.routes.get("198.18.0.1/32"), { kind: "local-host" });
    assert.deepEqual(r.routes.get("198.18.0.9/32"), { kind: "local-host" });
    assert.equal(r.routes.has("198.18.64.0/24"), false);
  });

  test("a local pod is a /32 through the interface the caller knows", () => {
    const r = computeRoutes({
      nodeName: "a",
      nodes,
      pods: [pod("p", "a", "198.18.64.5"), pod("q", "b", "198.18.65.5")],
      workloadInterfaces: new Map([["default/p", wi]]),
    });
    assert.deepEqual(r.routes.get("198.18.64.5/32"), { kind: "local-workload", ...wi });
    assert.equal(r.routes.has("198.18.65.5/32"), false, "remote pods are covered by their node's CIDR");
  });

  test("a local pod without a known interface is reported, host-network and finished pods are skipped", () => {
    const pods = [pod("p", "a", "198.18.64.5"), pod("h", "a", "198.18.0.1", { hostNetwork: true })];
    const r = computeRoutes({ nodeName: "a", nodes, pods, workloadInterfaces: new Map() });
    assert.deepEqual(r.problems, [{ resource: "Pod/default/p", reason: "no interface known yet" }]);
    assert.deepEqual(r.routes.get("198.18.0.1/32"), { kind: "local-host" });
  });

  test("pod CIDRs are normalised and IPv6 ones ignored", () => {
    const n = nodeSchema().parse({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "c" },
      spec: { podCIDRs: ["198.18.66.7/24", "fd00:66::/64"] },
      status: { addresses: [{ type: "InternalIP", address: "198.18.0.3" }] },
    });
    const r = computeRoutes({ nodeName: "a", nodes: [n], pods: [], workloadInterfaces: new Map() });
    assert.deepEqual([...r.routes.keys()].sort(), ["198.18.0.3/32", "198.18.66.0/24"]);
  });

  test("a node with a pod CIDR but no IPv4 address is reported", () => {
    const n = nodeSchema().parse({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "c" },
      spec: { podCIDR: "198.18.66.0/24" },
      status: { addresses: [] },
    });
    const r = computeRoutes({ nodeName: "a", nodes: [n], pods: [], workloadInterfaces: new Map() });
    assert.equal(r.routes.size, 0);
    assert.match(r.problems[0]?.reason ?? "", /no IPv4 address/);
  });
});
