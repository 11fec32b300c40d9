/**
 * The addresses every datapath suite uses (RFC 2544 benchmarking range, never a real network)
 * and a helper that fills one node's maps with them: two nodes, local and remote pods, a
 * ClusterIP, a NodePort (also as wildcard), an external IP, a LoadBalancer IP, and a
 * LoadBalancer IP restricted by loadBalancerSourceRanges to the client's /24 (its Service's
 * ClusterIP and NodePort open, as kube-proxy leaves them), and on node1 a hairpin Service whose
 * only backend is pod A itself (ClusterIP TCP and UDP, NodePort).
 */
import {
  SL_HAIRPIN_IP_DEFAULT,
  SL_NAT_FE_AFFINITY,
  SL_NAT_FE_ETP_LOCAL,
  SL_NAT_FE_EXTERNAL,
  SL_NAT_FE_SRC_RANGES,
} from "../../src/datapath/abi/abi.ts";
import { ipv4FromNumber } from "../../src/datapath/maps/index.ts";
import type { DpNode } from "./dp-harness.ts";

export const TCP = 6;
export const UDP = 17;
export const SCTP = 132;

export const W = {
  node1: "198.18.0.1",
  node2: "198.18.0.2",
  client: "198.18.100.5",
  podA: "198.19.1.10", // client pod on node1
  podB1: "198.19.1.11", // backend pod on node1
  podB2: "198.19.2.20", // backend pod on node2
  vip: "198.19.255.1", // ClusterIP
  extIp: "198.18.201.1",
  lbIp: "198.18.200.1",
  lbIpRanged: "198.18.200.2", // LB IP with loadBalancerSourceRanges: clientRange only
  clientRange: "198.18.100.0/24",
  nodePort: 30080,
  nodePortRanged: 30443, // the NodePort of lbIpRanged's Service: not restricted
  hairpinPort: 8081, // vip:8081/TCP and vip:54/UDP → pod A itself
  hairpinUdpPort: 54,
  nodePortHairpin: 30082, // NodePort → pod A itself
  loopback: ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT), // where hairpin flows are SNATed (the .rodata default)
  macA: "02:00:00:00:01:0a",
  macB1: "02:00:00:00:01:0b",
  macB2: "02:00:00:00:02:14",
  hostMacA: "02:00:00:00:ff:0a",
  hostMacB1: "02:00:00:00:ff:0b",
  hostMacB2: "02:00:00:00:ff:14",
  ifA: 101,
  ifB1: 102,
  ifB2: 201,
  svcTcp: 1,
  svcUdp: 2,
  svcNodePort: 3,
  svcEmpty: 4,
  svcAffinity: 5,
  svcEtpLocal: 6,
  svcSctp: 7,
  svcSctpPort: 8,
  svcRanged: 9,
  svcHairpin: 30, // ids 11 and 21 are taken (svcTcp + 10, + 20)
  svcHairpinUdp: 31,
  svcHairpinNodePort: 32,
} as const;

/** fillNode1 writes node1's view of the world: pods A and B1 local, B2 behind node2. */
export function fillNode1(n: DpNode): void {
  n.routes.set(`${W.podA}/32`, { kind: "local-workload", ifindex: W.ifA, mac: W.macA, hostMac: W.hostMacA });
  n.routes.set(`${W.podB1}/32`, {
    kind: "local-workload",
    ifindex: W.ifB1,
    mac: W.macB1,
    hostMac: W.hostMacB1,
  });
  n.routes.set("198.19.2.0/24", { kind: "remote-workload", nextHop: W.node2 });
  n.routes.set(`${W.node1}/32`, { kind: "local-host" });
  n.routes.set(`${W.node2}/32`, { kind: "remote-host" });
  fillServices(n, { localBackend: W.podB1, remoteBackend: W.podB2 });
  n.fe.set({ addr: W.vip, port: W.hairpinPort, proto: TCP }, svc(W.svcHairpin, 1, 1));
  n.be.set(W.svcHairpin, 0, { addr: W.podA, port: 8080 });
  n.fe.set({ addr: W.vip, port: W.hairpinUdpPort, proto: UDP }, svc(W.svcHairpinUdp, 1, 1));
  n.be.set(W.svcHairpinUdp, 0, { addr: W.podA, port: 5353 });
  n.fe.set(
    { addr: "0.0.0.0", port: W.nodePortHairpin, proto: TCP },
    svc(W.svcHairpinNodePort, 1, 1, SL_NAT_FE_EXTERNAL),
  );
  n.be.set(W.svcHairpinNodePort, 0, { addr: W.podA, port: 8080 });
}

/** fillNode2 writes node2's view: B2 local, node1's pods behind node1. */
export function fillNode2(n: DpNode): void {
  n.routes.set(`${W.podB2}/32`, {
    kind: "local-workload",
    ifindex: W.ifB2,
    mac: W.macB2,
    hostMac: W.hostMacB2,
  });
  n.routes.set("198.19.1.0/24", { kind: "remote-workload", nextHop: W.node1 });
  n.routes.set(`${W.node2}/32`, { kind: "local-host" });
  n.routes.set(`${W.node1}/32`, { kind: "remote-host" });
  fillServices(n, { localBackend: W.podB2, remoteBackend: W.podB1 });
}

function svc(svcId: number, count: number, localCount: number, flags = 0, affinityTimeoutS = 0) {
  return { svcId, count, localCount, flags, affinityTimeoutS };
}

function fillServices(n: DpNode, o: { localBackend: string; remoteBackend: string }): void {
  n.fe.set({ addr: W.vip, port: 80, proto: TCP }, svc(W.svcTcp, 1, 1));
  n.be.set(W.svcTcp, 0, { addr: W.podB1, port: 8080 });
  n.fe.set({ addr: W.vip, port: 53, proto: UDP }, svc(W.svcUdp, 1, 1));
  n.be.set(W.svcUdp, 0, { addr: W.podB1, port: 5353 });
  // NodePort (wildcard) → the backend on node2 only: exercises Tunnel/DSR from node1
  n.fe.set({ addr: "0.0.0.0", port: W.nodePort, proto: TCP }, svc(W.svcNodePort, 1, 0, SL_NAT_FE_EXTERNAL));
  n.be.set(W.svcNodePort, 0, { addr: W.podB2, port: 8080 });
  n.fe.set(
    { addr: "0.0.0.0", port: W.nodePort, proto: UDP },
    svc(W.svcNodePort + 100, 1, 0, SL_NAT_FE_EXTERNAL),
  );
  n.be.set(W.svcNodePort + 100, 0, { addr: W.podB2, port: 5353 });
  // externalIP and LB IP → the local backend
  n.fe.set({ addr: W.extIp, port: 80, proto: TCP }, svc(W.svcTcp + 10, 1, 1, SL_NAT_FE_EXTERNAL));
  n.be.set(W.svcTcp + 10, 0, { addr: o.localBackend, port: 8080 });
  n.fe.set({ addr: W.lbIp, port: 443, proto: TCP }, svc(W.svcTcp + 20, 1, 1, SL_NAT_FE_EXTERNAL));
  n.be.set(W.svcTcp + 20, 0, { addr: o.localBackend, port: 8443 });
  n.fe.set({ addr: W.vip, port: 81, proto: TCP }, svc(W.svcEmpty, 0, 0));
  n.fe.set({ addr: W.vip, port: 82, proto: UDP }, svc(W.svcEmpty, 0, 0));
  n.fe.set({ addr: W.vip, port: 90, proto: TCP }, svc(W.svcAffinity, 3, 3, SL_NAT_FE_AFFINITY, 10800));
  for (let i = 0; i < 3; i++) n.be.set(W.svcAffinity, i, { addr: `198.19.1.${30 + i}`, port: 9000 });
  n.fe.set(
    { addr: W.node1, port: 30090, proto: TCP },
    svc(W.svcEtpLocal, 1, 0, SL_NAT_FE_EXTERNAL | SL_NAT_FE_ETP_LOCAL),
  );
  n.be.set(W.svcEtpLocal, 0, { addr: o.remoteBackend, port: 8080 });
  n.fe.set({ addr: W.vip, port: 3868, proto: SCTP }, svc(W.svcSctp, 1, 1));
  n.be.set(W.svcSctp, 0, { addr: W.podB1, port: 3868 });
  n.fe.set({ addr: W.vip, port: 3869, proto: SCTP }, svc(W.svcSctpPort, 1, 1));
  n.be.set(W.svcSctpPort, 0, { addr: W.podB1, port: 9999 });
  // loadBalancerSourceRanges: the range goes in before the flag that makes the datapath use it
  n.src.allow({ svcId: W.svcRanged, cidr: W.clientRange });
  n.fe.set(
    { addr: W.lbIpRanged, port: 443, proto: TCP },
    svc(W.svcRanged, 1, 1, SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES),
  );
  n.fe.set({ addr: W.vip, port: 443, proto: TCP }, svc(W.svcRanged, 1, 1));
  n.fe.set(
    { addr: "0.0.0.0", port: W.nodePortRanged, proto: TCP },
    svc(W.svcRanged, 1, 1, SL_NAT_FE_EXTERNAL),
  );
  n.be.set(W.svcRanged, 0, { addr: o.localBackend, port: 8443 });
}
