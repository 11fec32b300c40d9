/**
 * trustedDnsServers: the senders whose DNS answers DNS policy learns from, from FelixConfiguration's
 * dnsTrustedServers (Calico's default, "k8s-service:kube-dns"). An address entry trusts that IP
 * on its port (53 unless given); a Service entry trusts its ClusterIPs and the addresses of its
 * endpoints on any port (an answer reaches a pod from the ClusterIP after reverse NAT, or from a
 * DNS pod asked directly on its target port). Anyone else's "answer" teaches nothing: a pod cannot
 * open its neighbour's egress by sending it forged DNS replies.
 */
import type { EndpointSlice } from "../model/endpoint-slice.ts";
import type { Service } from "../model/service.ts";
import type { DnsTrustedServer } from "../model/dns-trusted-server.ts";

export const KUBE_DNS = { namespace: "kube-system", name: "kube-dns" } as const;

const DEFAULT: readonly DnsTrustedServer[] = [{ kind: "k8s-service", ...KUBE_DNS }];

export interface TrustedDnsSource {
  find(kind: "Service", name: string, namespace: string): Service | undefined;
  endpointSlicesOf(service: string): readonly EndpointSlice[];
}

/** TrustedDnsServers answers whether an answer from ip:port is to be learned. */
export class TrustedDnsServers {
  /** Trusted on any port. */
  readonly anyPort = new Set<string>();
  /** "ip:port" (IPv6 in brackets) trusted on that port only. */
  readonly onPort = new Set<string>();

  has(ip: string, port: number): boolean {
    return this.anyPort.has(ip) || this.onPort.has(ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`);
  }
}

export function trustedDnsServers(
  cache: TrustedDnsSource,
  servers: readonly DnsTrustedServer[] = DEFAULT,
): TrustedDnsServers {
  const out = new TrustedDnsServers();
  for (const s of servers) {
    if (s.kind === "address") {
      out.onPort.add(s.ip.includes(":") ? `[${s.ip}]:${s.port}` : `${s.ip}:${s.port}`);
      continue;
    }
    const svc = cache.find("Service", s.name, s.namespace);
    for (const ip of [svc?.spec.clusterIP, ...(svc?.spec.clusterIPs ?? [])])
      if (ip !== undefined && ip !== "None") out.anyPort.add(ip);
    for (const slice of cache.endpointSlicesOf(`${s.namespace}/${s.name}`))
      for (const ep of slice.endpoints ?? []) for (const a of ep.addresses) out.anyPort.add(a);
  }
  return out;
}
