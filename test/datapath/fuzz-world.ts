/**
 * The fuzz suite's node: node 1 of a three-node cluster (RFC 2544 addresses, never a real
 * network), four local pods each behind its own veth (its own from_wep/to_wep load), remote pods
 * on nodes 2 and 3, external clients, and the address pools Services draw from. `fillRoutes`
 * writes node 1's sl_routes the way the agent would.
 */
import type { DpNode } from "./dp-harness.ts";

/** LocalPod is a pod on node 1 with its veth's facts. */
export interface LocalPod {
  readonly ip: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly hostMac: string;
}

const localPods: LocalPod[] = [0, 1, 2, 3].map((i) => ({
  ip: `198.19.1.${10 + i}`,
  ifindex: 101 + i,
  mac: `02:00:00:00:01:${(0x10 + i).toString(16)}`,
  hostMac: `02:00:00:00:ff:${(0x10 + i).toString(16)}`,
}));

/** FW is the fuzz world. */
export const FW = {
  node: "node-1",
  node1: "198.18.0.1",
  node2: "198.18.0.2",
  node3: "198.18.0.3",
  hepIfindex: 1,
  localPods,
  /** Pods on node 2 (198.19.2.0/24) and node 3 (198.19.3.0/24). */
  remotePods: [
    { ip: "198.19.2.20", node: "node-2" },
    { ip: "198.19.2.21", node: "node-2" },
    { ip: "198.19.3.30", node: "node-3" },
    { ip: "198.19.3.31", node: "node-3" },
  ],
  /** Clients outside the cluster; the first two lie in the LB source range, the others not. */
  externalClients: ["198.18.100.5", "198.18.100.6", "198.18.101.7", "198.18.101.8"],
  /** loadBalancerSourceRanges some LB Services get: holds the first two external clients. */
  sourceRange: "198.18.100.0/24",
  /** Addresses nothing owns (plain traffic to them is only routed). */
  strangers: ["198.18.150.1", "198.19.9.9"],
  clusterIpBase: "198.19.255.",
  externalIpBase: "198.18.201.",
  lbIpBase: "198.18.200.",
  /** tcx/test_run programs for each pod interface are loaded with the pod's ifindex. */
} as const;

/** nodeOfRemote maps a remote pod CIDR's node to its address. */
export const NODE_IPS: Readonly<Record<string, string>> = {
  "node-1": FW.node1,
  "node-2": FW.node2,
  "node-3": FW.node3,
};

/** fillRoutes writes node 1's routes: its pods, the other nodes' pod CIDRs and the nodes. */
export function fillRoutes(n: DpNode): void {
  for (const p of FW.localPods)
    n.routes.set(`${p.ip}/32`, {
      kind: "local-workload",
      ifindex: p.ifindex,
      mac: p.mac,
      hostMac: p.hostMac,
    });
  n.routes.set("198.19.2.0/24", { kind: "remote-workload", nextHop: FW.node2 });
  n.routes.set("198.19.3.0/24", { kind: "remote-workload", nextHop: FW.node3 });
  n.routes.set(`${FW.node1}/32`, { kind: "local-host" });
  n.routes.set(`${FW.node2}/32`, { kind: "remote-host" });
  n.routes.set(`${FW.node3}/32`, { kind: "remote-host" });
}
