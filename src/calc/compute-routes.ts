/**
 * computeRoutes: Nodes and this node's pods → the desired sl_routes contents. Local pods are /32
 * "local workload" routes through their host-side veth (the caller supplies ifindex and MACs: the
 * interfaces are kernel facts, not resources); other nodes' pod CIDRs route to that node's
 * address; every node address is a host route, local or remote (VXLAN is accepted only from
 * remote hosts). IPv4 only, like the map.
 */
import type { Route } from "../datapath/maps/index.ts";
import { ipFamilyOf, podIps } from "../model/index.ts";
import type { Node, Pod } from "../model/index.ts";
import { namespaceOf } from "./namespace-of.ts";
import { normaliseIpv4Cidr } from "../model/ipv4.ts";

/** WorkloadInterface is the host side of a local pod's veth. */
export interface WorkloadInterface {
  readonly ifindex: number;
  /** The pod's MAC ("aa:bb:cc:dd:ee:ff"). */
  readonly mac: string;
  /** The host-side veth's MAC. */
  readonly hostMac: string;
}

/** RouteInput is what the routes of one node depend on. */
export interface RouteInput {
  readonly nodeName: string;
  readonly nodes: readonly Node[];
  readonly pods: readonly Pod[];
  /** Interfaces of local pods by "namespace/name"; a pod without one is not wired yet. */
  readonly workloadInterfaces: ReadonlyMap<string, WorkloadInterface>;
  /** Addresses of this node not (yet) in its Node resource, e.g. autodetected ones. */
  readonly extraLocalAddresses?: readonly string[];
}

/** RouteProblem is a resource whose routes could not be computed. */
export interface RouteProblem {
  /** "Node/name" or "Pod/namespace/name". */
  readonly resource: string;
  readonly reason: string;
}

/** DesiredRoutes maps "a.b.c.d/n" to its route. */
export interface DesiredRoutes {
  readonly routes: ReadonlyMap<string, Route>;
  readonly problems: readonly RouteProblem[];
}

const isV4 = (a: string): boolean => ipFamilyOf(a) === "IPv4";

function nodeAddresses(node: Node): string[] {
  return node.status.addresses
    .filter((a) => (a.type === "InternalIP" || a.type === "ExternalIP") && isV4(a.address))
    .map((a) => a.address);
}

function nodePodCidrs(node: Node): string[] {
  const all = node.spec.podCIDRs ?? (node.spec.podCIDR !== undefined ? [node.spec.podCIDR] : []);
  return all.filter((c) => isV4(c.slice(0, c.indexOf("/"))));
}

/** computeRoutes computes the desired routes; a more specific kind wins where two claim one prefix (pod over host). */
export function computeRoutes(input: RouteInput): DesiredRoutes {
  const routes = new Map<string, Route>();
  const problems: RouteProblem[] = [];
  const nodes = [...input.nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  for (const node of nodes) {
    const local = node.metadata.name === input.nodeName;
    const addrs = nodeAddresses(node);
    for (const a of addrs) routes.set(`${a}/32`, { kind: local ? "local-host" : "remote-host" });
    if (local) continue;
    const cidrs = nodePodCidrs(node);
    if (cidrs.length === 0) continue;
    const internal =
      node.status.addresses.find((a) => a.type === "InternalIP" && isV4(a.address))?.address ?? addrs[0];
    if (internal === undefined) {
      problems.push({
        resource: `Node/${node.metadata.name}`,
        reason: "has a pod CIDR but no IPv4 address to route it to",
      });
      continue;
    }
    for (const c of cidrs) routes.set(normaliseIpv4Cidr(c), { kind: "remote-workload", nextHop: internal });
  }
  for (const a of input.extraLocalAddresses ?? []) if (isV4(a)) routes.set(`${a}/32`, { kind: "local-host" });
  for (const pod of input.pods) {
    if (pod.spec.nodeName !== input.nodeName || pod.spec.hostNetwork === true) continue;
    if (pod.status.phase === "Succeeded" || pod.status.phase === "Failed") continue;
    const ips = podIps(pod).filter(isV4);
    if (ips.length === 0) continue;
    const id = `${namespaceOf(pod)}/${pod.metadata.name}`;
    const wi = input.workloadInterfaces.get(id);
    if (wi === undefined) {
      problems.push({ resource: `Pod/${id}`, reason: "no interface known yet" });
      continue;
    }
    for (const ip of ips)
      routes.set(`${ip}/32`, {
        kind: "local-workload",
        ifindex: wi.ifindex,
        mac: wi.mac,
        hostMac: wi.hostMac,
      });
  }
  return { routes, problems };
}
