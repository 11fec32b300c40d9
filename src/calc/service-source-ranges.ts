/**
 * serviceSourceRanges: the IPv4 CIDRs a Service's loadBalancerSourceRanges admit to its
 * LoadBalancer IPs, the way kube-proxy builds its firewall chain: ranges of the other family are
 * left to that family's proxy, host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8, as Go's
 * ParseCIDR reads it), and when a range contains one of this node's addresses the LB IPs are
 * admitted as sources too — a VIP routed locally loops a node's request back with the VIP as
 * its source. Only LB IPs are restricted; ClusterIP, NodePort and externalIPs stay open.
 *
 * One deliberate difference: a Service whose ranges are all IPv6 gets no IPv4 firewall from
 * kube-proxy (its IPv4 LB IPs stay open to everyone); here they admit no one and it is reported.
 */
import { cidrFamilyOf } from "../model/index.ts";
import type { Service } from "../model/index.ts";
import { ipv4FromNumber, ipv4Mask, ipv4ToNumber } from "../model/ipv4.ts";

/** ServiceSourceRanges is what a Service's LB IPs admit. */
export interface ServiceSourceRanges {
  /** True when the LB IPs are restricted: loadBalancerSourceRanges is set and not empty. */
  readonly restricted: boolean;
  /** The admitted IPv4 CIDRs, host bits clear, sorted, without duplicates. */
  readonly cidrs: readonly string[];
  readonly problems: readonly string[];
}

/** serviceSourceRanges lists what the IPv4 LB IPs `lbIps` of `svc` admit on a node with `nodeAddresses`. */
export function serviceSourceRanges(
  svc: Service,
  lbIps: readonly string[],
  nodeAddresses: readonly string[],
): ServiceSourceRanges {
  const given = svc.spec.loadBalancerSourceRanges ?? [];
  if (given.length === 0) return { restricted: false, cidrs: [], problems: [] };
  // The model validates each CIDR; one that is not IPv4 belongs to the IPv6 proxy.
  const v4 = given.filter((c) => cidrFamilyOf(c) === "IPv4").map(parseCidr);
  const out = new Set(v4.map(formatCidr));
  const nodes = nodeAddresses
    .filter((a) => cidrFamilyOf(`${a}/32`) === "IPv4")
    .map((a) => parseCidr(`${a}/32`).net);
  if (v4.some((c) => nodes.some((n) => contains(c, n)))) for (const ip of lbIps) out.add(`${ip}/32`);
  const problems: string[] = [];
  if (v4.length === 0 && lbIps.length > 0) {
    problems.push(
      `loadBalancerSourceRanges has no IPv4 range: LoadBalancer IPs ${lbIps.map((ip) => `"${ip}"`).join(", ")} admit no client`,
    );
  }
  return { restricted: true, cidrs: [...out].sort(compareCidr), problems };
}

interface Cidr {
  readonly net: number;
  readonly len: number;
}

function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const len = Number(text.slice(slash + 1));
  const addr = ipv4ToNumber(text.slice(0, slash));
  return { net: (addr & ipv4Mask(len)) >>> 0, len };
}

function contains(c: Cidr, addr: number): boolean {
  return (addr & ipv4Mask(c.len)) >>> 0 === c.net;
}

function formatCidr(c: Cidr): string {
  return `${ipv4FromNumber(c.net)}/${c.len}`;
}

function compareCidr(a: string, b: string): number {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.net - y.net || x.len - y.len;
}
