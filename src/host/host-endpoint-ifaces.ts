/**
 * hostEndpointIfindexes: which of this node's host interfaces a HostEndpoint polices, by Calico's
 * rules — only endpoints of this node; `interfaceName: "*"` is every host interface (Calico's
 * all-interfaces host endpoint); a named interface is that one; with no interfaceName, the
 * interfaces holding one of `expectedIPs`. Pure: the caller passes the host interfaces it attaches
 * (not loopback, not workload veths) with their IPv4 addresses.
 */
import type { HostEndpoint } from "../model/host-endpoint.ts";

/** HostIface is one host interface the datapath attaches to. */
export interface HostIface {
  readonly name: string;
  readonly index: number;
  /** Its addresses (no prefix length); needed only for endpoints without interfaceName. */
  readonly addresses?: readonly string[];
}

/** hostEndpointIfindexes returns the ifindexes `hep` applies to on node `nodeName`, ascending, without duplicates. */
export function hostEndpointIfindexes(
  hep: HostEndpoint,
  nodeName: string,
  ifaces: readonly HostIface[],
): number[] {
  if (hep.spec.node !== nodeName) return [];
  const name = hep.spec.interfaceName;
  let hit: readonly HostIface[];
  if (name === "*") hit = ifaces;
  else if (name !== undefined) hit = ifaces.filter((i) => i.name === name);
  else {
    const expected = new Set(hep.spec.expectedIPs ?? []);
    hit = ifaces.filter((i) => (i.addresses ?? []).some((a) => expected.has(a)));
  }
  return [...new Set(hit.map((i) => i.index))].sort((a, b) => a - b);
}
