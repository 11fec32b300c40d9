/**
 * Random Service tables for the fuzz suite. One draw gives both what the cluster says —
 * validated `Service` and `EndpointSlice` resources, installed through the real calc → proxy
 * path — and what the model takes from the same draw by Kubernetes' documented meaning of those
 * fields (not from src/calc): every frontend (ClusterIP, NodePort on node 1's address, external
 * IP, LoadBalancer ingress IP) with its exact set of ready backends, which of them are on node 1,
 * the traffic policy that applies to it, session affinity and loadBalancerSourceRanges.
 */
import type { EndpointSlice, Service } from "../../src/model/index.ts";
import { service, slice } from "../support/service-fixtures.ts";
import type { Rng } from "./fuzz-rng.ts";
import { FW } from "./fuzz-world.ts";

/** Backend is one ready endpoint of a Service port. */
export interface Backend {
  readonly addr: string;
  readonly port: number;
  /** On node 1 (the node under test). */
  readonly local: boolean;
}

/** FrontendRole says which kind of Service address a frontend is. */
export type FrontendRole = "cluster" | "nodeport" | "external" | "lb";

/** ModelFrontend is one address:port/proto that a Service answers on node 1. */
export interface ModelFrontend {
  readonly addr: string;
  readonly port: number;
  readonly proto: number;
  readonly role: FrontendRole;
  /** "name:portName": the Service port (affinity is per Service port). */
  readonly svc: string;
  /** Ready endpoints (not-ready ones never serve). */
  readonly ready: readonly Backend[];
  /** internalTrafficPolicy Local for a ClusterIP, externalTrafficPolicy Local for the others. */
  readonly policyLocal: boolean;
  readonly affinity: boolean;
  /** loadBalancerSourceRanges, for LB IPs only (ClusterIP, NodePort, external IPs stay open). */
  readonly ranges?: readonly string[];
}

/** ServiceTable is one random draw: the resources to install and the model's view of them. */
export interface ServiceTable {
  readonly services: readonly Service[];
  readonly slices: readonly EndpointSlice[];
  readonly frontends: readonly ModelFrontend[];
}

const PROTOS = [
  { name: "TCP", num: 6, w: 5 },
  { name: "UDP", num: 17, w: 3 },
  { name: "SCTP", num: 132, w: 1 },
] as const;

/** SERVICE_PORTS and TARGET_PORTS are the port pools the generator and the frame maker share. */
export const SERVICE_PORTS = [80, 443, 53, 8080, 9000] as const;
export const TARGET_PORTS = [8080, 5353, 9090] as const;
/** NODE_PORT_BASE: NodePorts are NODE_PORT_BASE + n. */
export const NODE_PORT_BASE = 30000;

function pickProto(r: Rng): (typeof PROTOS)[number] {
  const total = PROTOS.reduce((s, p) => s + p.w, 0);
  let x = r.int(total);
  for (const p of PROTOS) {
    if (x < p.w) return p;
    x -= p.w;
  }
  return PROTOS[0];
}

/** generateServiceTable draws `count` Services (some without endpoints) over the fuzz world's pods. */
export function generateServiceTable(r: Rng, count: number): ServiceTable {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const frontends: ModelFrontend[] = [];
  const pool = [...FW.localPods.map((p) => ({ ip: p.ip, node: FW.node })), ...FW.remotePods];
  let nodePort = NODE_PORT_BASE;
  for (let i = 0; i < count; i++) {
    const name = `svc-${i}`;
    const type = r.pick(["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"] as const);
    const external = type !== "ClusterIP";
    const etpLocal = external && r.chance(0.35);
    const itpLocal = r.chance(0.2);
    const affinity = !etpLocal && !itpLocal && r.chance(0.3);
    const clusterIp = `${FW.clusterIpBase}${i + 1}`;
    const externalIp = r.chance(0.3) ? `${FW.externalIpBase}${i + 1}` : undefined;
    const lbIp = type === "LoadBalancer" ? `${FW.lbIpBase}${i + 1}` : undefined;
    const ranges = lbIp !== undefined && r.chance(0.5) ? [FW.sourceRange] : undefined;
    const ports: {
      name: string;
      port: number;
      targetPort: number;
      protocol: string;
      proto: number;
      nodePort?: number;
    }[] = [];
    const nPorts = 1 + r.int(2);
    for (let k = 0; k < nPorts; k++) {
      const p = pickProto(r);
      const port = r.pick(SERVICE_PORTS);
      if (ports.some((x) => x.port === port && x.proto === p.num)) continue;
      // SCTP keeps its port mostly: a changed SCTP port is a documented drop (CRC32c)
      const targetPort = r.chance(p.num === 132 ? 0.7 : 0.3) ? port : r.pick(TARGET_PORTS);
      ports.push({
        name: `p${k}`,
        port,
        targetPort,
        protocol: p.name,
        proto: p.num,
        ...(external ? { nodePort: ++nodePort } : {}),
      });
    }
    const endpoints: { addr: string; node: string; ready: boolean }[] = [];
    const nEp = r.chance(0.12) ? 0 : 1 + r.int(4);
    for (let k = 0; k < nEp; k++) {
      const p = r.pick(pool);
      if (endpoints.some((e) => e.addr === p.ip)) continue;
      endpoints.push({ addr: p.ip, node: p.node, ready: r.chance(0.85) });
    }
    services.push(
      service(
        name,
        {
          type,
          clusterIP: clusterIp,
          ports: ports.map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.targetPort,
            protocol: p.protocol,
            ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
          })),
          ...(externalIp !== undefined ? { externalIPs: [externalIp] } : {}),
          ...(external ? { externalTrafficPolicy: etpLocal ? "Local" : "Cluster" } : {}),
          internalTrafficPolicy: itpLocal ? "Local" : "Cluster",
          ...(affinity ? { sessionAffinity: "ClientIP" } : {}),
          ...(ranges !== undefined ? { loadBalancerSourceRanges: ranges } : {}),
        },
        lbIp !== undefined ? { status: { loadBalancer: { ingress: [{ ip: lbIp }] } } } : {},
      ),
    );
    slices.push(
      slice(
        name,
        endpoints.map((e) => ({
          addr: e.addr,
          node: e.node,
          ready: e.ready,
          serving: e.ready,
          terminating: false,
        })),
        {
          ports: ports.map((p) => ({
            name: p.name,
            port: p.targetPort,
            protocol: p.protocol as "TCP" | "UDP" | "SCTP",
          })),
        },
      ),
    );
    for (const p of ports) {
      const ready = endpoints
        .filter((e) => e.ready)
        .map((e) => ({ addr: e.addr, port: p.targetPort, local: e.node === FW.node }));
      const base = { port: p.port, proto: p.proto, svc: `${name}:${p.name}`, ready, affinity };
      frontends.push({ ...base, addr: clusterIp, role: "cluster", policyLocal: itpLocal });
      if (p.nodePort !== undefined)
        frontends.push({
          ...base,
          addr: FW.node1,
          port: p.nodePort,
          role: "nodeport",
          policyLocal: etpLocal,
        });
      if (externalIp !== undefined)
        frontends.push({ ...base, addr: externalIp, role: "external", policyLocal: etpLocal });
      if (lbIp !== undefined)
        frontends.push({
          ...base,
          addr: lbIp,
          role: "lb",
          policyLocal: etpLocal,
          ...(ranges !== undefined ? { ranges } : {}),
        });
    }
  }
  return { services, slices, frontends };
}
