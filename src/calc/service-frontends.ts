/**
 * serviceFrontends lists the IPv4 addresses one Service port is reachable on, split the way the
 * datapath's flags need: the ClusterIP(s) (internal traffic) and the external ones — NodePort on
 * each node address plus the 0.0.0.0 wildcard, externalIPs, LoadBalancer ingress IPs. The LB IPs
 * of a Service with loadBalancerSourceRanges are marked restricted, with the CIDRs they admit.
 */
import { ipFamilyOf } from "../model/index.ts";
import type { Service, ServicePort } from "../model/index.ts";
import { serviceSourceRanges } from "./service-source-ranges.ts";

/** FrontendAddr is one address:port of a Service port and whether externalTrafficPolicy governs it. */
export interface FrontendAddr {
  readonly addr: string;
  readonly port: number;
  readonly external: boolean;
  /** True for an LB IP that admits new flows only from `ServiceFrontends.sourceRanges`. */
  readonly restricted: boolean;
}

/** ServiceFrontends are a Service port's frontends and why some addresses were left out. */
export interface ServiceFrontends {
  readonly frontends: readonly FrontendAddr[];
  /** IPv4 CIDRs (host bits clear) the restricted frontends admit; empty when none is restricted. */
  readonly sourceRanges: readonly string[];
  readonly problems: readonly string[];
}

/** NODEPORT_WILDCARD is the frontend address meaning "NodePort on every local address" (abi.h). */
export const NODEPORT_WILDCARD = "0.0.0.0";

const isV4 = (a: string): boolean => ipFamilyOf(a) === "IPv4";

/** serviceClusterIps are a Service's IPv4 cluster IPs ("None" and "" excluded). */
export function serviceClusterIps(svc: Service): string[] {
  const all = svc.spec.clusterIPs ?? (svc.spec.clusterIP !== undefined ? [svc.spec.clusterIP] : []);
  return all.filter(isV4);
}

/**
 * serviceLoadBalancerIps are the IPv4 LoadBalancer addresses: status.loadBalancer.ingress IPs,
 * except those with ipMode "Proxy" (the load balancer proxies, so kube-proxy leaves them to the
 * network), and spec.loadBalancerIP — which kube-proxy ignores but a cluster without a cloud
 * controller (the lab) has nothing else to fill status from.
 */
export function serviceLoadBalancerIps(svc: Service): string[] {
  if (svc.spec.type !== "LoadBalancer") return [];
  const out: string[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip !== undefined && ing.ipMode !== "Proxy") out.push(ing.ip);
  }
  if (svc.spec.loadBalancerIP !== undefined) out.push(svc.spec.loadBalancerIP);
  return out.filter(isV4);
}

/** serviceFrontends lists the frontends of `port` on a node whose IPv4 addresses are `nodeAddresses`. */
export function serviceFrontends(
  svc: Service,
  port: ServicePort,
  nodeAddresses: readonly string[],
): ServiceFrontends {
  const out: FrontendAddr[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  // The first claim of an address:port wins, in kube-proxy's rule order (an externalIP equal to
  // an LB IP is served unrestricted there too).
  const add = (addr: string, p: number, external: boolean, restricted = false): void => {
    const id = `${addr}:${p}`;
    if (seen.has(id)) return;
    seen.add(id);
    out.push({ addr, port: p, external, restricted });
  };
  for (const ip of serviceClusterIps(svc)) add(ip, port.port, false);
  if (
    port.nodePort !== undefined &&
    port.nodePort > 0 &&
    (svc.spec.type === "NodePort" || svc.spec.type === "LoadBalancer")
  ) {
    for (const ip of nodeAddresses.filter(isV4)) add(ip, port.nodePort, true);
    add(NODEPORT_WILDCARD, port.nodePort, true);
  }
  for (const ip of (svc.spec.externalIPs ?? []).filter(isV4)) add(ip, port.port, true);
  const lbIps = serviceLoadBalancerIps(svc);
  const ranges = serviceSourceRanges(svc, lbIps, nodeAddresses);
  problems.push(...ranges.problems);
  for (const ip of lbIps) add(ip, port.port, true, ranges.restricted);
  const restricted = out.some((f) => f.restricted);
  return { frontends: out, sourceRanges: restricted ? ranges.cidrs : [], problems };
}
