/**
 * trustedDnsServers: the addresses whose DNS answers DNS policy learns from — Calico's default
 * dnsTrustedServers, "k8s-service:kube-dns": the kube-system/kube-dns Service's ClusterIPs and
 * the addresses of its endpoints (an answer reaches a pod from the ClusterIP after reverse NAT, or
 * from a DNS pod asked directly). Anyone else's "answer" teaches nothing: a pod cannot open its
 * neighbour's egress by sending it forged DNS replies.
 */
import type { EndpointSlice } from "../model/endpoint-slice.ts";
import type { Service } from "../model/service.ts";

export const KUBE_DNS = { namespace: "kube-system", name: "kube-dns" } as const;

export interface TrustedDnsSource {
  find(kind: "Service", name: string, namespace: string): Service | undefined;
  endpointSlicesOf(service: string): readonly EndpointSlice[];
}

export function trustedDnsServers(cache: TrustedDnsSource): Set<string> {
  const out = new Set<string>();
  const svc = cache.find("Service", KUBE_DNS.name, KUBE_DNS.namespace);
  for (const ip of [svc?.spec.clusterIP, ...(svc?.spec.clusterIPs ?? [])])
    if (ip !== undefined && ip !== "None") out.add(ip);
  for (const slice of cache.endpointSlicesOf(`${KUBE_DNS.namespace}/${KUBE_DNS.name}`))
    for (const ep of slice.endpoints ?? []) for (const a of ep.addresses) out.add(a);
  return out;
}
