/**
 * detectNodeIp finds the node's address the Calico way ("first-found" toward the default route):
 * ask the kernel which interface a packet to an outside address would leave by (RTM_GETROUTE, no
 * packet is sent), then take the first IPv4 address on that interface. Returns the interface too,
 * since its MTU sizes the tunnel.
 */
import { listAddresses } from "../netlink/addresses.ts";
import { getLink } from "../netlink/links.ts";
import { getRoute } from "../netlink/routes.ts";

/** DetectedNodeIp is the address and the interface it lives on. */
export interface DetectedNodeIp {
  readonly ip: string;
  readonly iface: string;
  readonly ifindex: number;
  readonly mtu: number;
}

// TEST-NET-1 (RFC 5737): never routed specifically, so the lookup follows the default route.
const PROBE_DESTINATION = "192.0.2.1";

/** detectNodeIp returns the default-route interface's first IPv4 address; throws when there is none. */
export function detectNodeIp(): DetectedNodeIp {
  const route = getRoute(PROBE_DESTINATION);
  if (route.oif === undefined) throw new Error("detect node ip: the default route names no interface");
  const link = getLink(route.oif);
  const addr = listAddresses({ link: route.oif, family: 4 })[0];
  if (addr === undefined)
    throw new Error(`detect node ip: interface "${link.name}" toward the default route has no IPv4 address`);
  return { ip: addr.address, iface: link.name, ifindex: link.index, mtu: link.mtu };
}

/** ifaceOfAddress finds the interface that holds `ip` (for a configured node IP). */
export function ifaceOfAddress(ip: string): DetectedNodeIp | undefined {
  const addr = listAddresses({ family: 4 }).find((a) => a.address === ip);
  if (addr === undefined) return undefined;
  const link = getLink(addr.index);
  return { ip, iface: link.name, ifindex: link.index, mtu: link.mtu };
}
