/**
 * ifaceConstants builds the `.rodata` constants of one interface's programs (bpf/include/ctx.h):
 * ifindex, role, node address, VXLAN port/VNI and the tunnel MTU. Pure.
 */
import type { ConstantValue } from "../bpf/collection.ts";

/** IfaceRole: "wep" is a pod's host-side veth, "hep" a host (data) interface. */
export type IfaceRole = "wep" | "hep";

/** ROLE_VALUES mirrors SL_ROLE_* in bpf/include/ctx.h. */
export const ROLE_VALUES = { wep: 1, hep: 2 } as const satisfies Record<IfaceRole, number>;

/** VXLAN_OVERHEAD is outer IPv4 + UDP + VXLAN + inner Ethernet, as Felix subtracts it. */
export const VXLAN_OVERHEAD = 50;

/** IfaceConstantsInput are the facts that differ per interface or per configuration. */
export interface IfaceConstantsInput {
  readonly ifindex: number;
  readonly role: IfaceRole;
  readonly nodeIp: string;
  readonly vxlanPort: number;
  readonly vxlanVni: number;
  /** Largest inner IP packet through the tunnel. */
  readonly tunnelMtu: number;
}

/** ipv4Bytes is a dotted address as the 4 network-order bytes a `__be32` constant holds. */
export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`parse ipv4 address: "${text}"`);
  return Uint8Array.from(parts);
}

/** ifaceConstants returns the constants by .rodata variable name. */
export function ifaceConstants(i: IfaceConstantsInput): Record<string, ConstantValue> {
  return {
    cfg_ifindex: i.ifindex,
    cfg_role: ROLE_VALUES[i.role],
    cfg_host_ip: ipv4Bytes(i.nodeIp),
    cfg_vxlan_vni: i.vxlanVni,
    cfg_vxlan_port: i.vxlanPort,
    cfg_tunnel_mtu: i.tunnelMtu,
  };
}

/** tunnelMtu is vxlanMTU when set, else the host interface's MTU minus the VXLAN overhead. */
export function tunnelMtu(vxlanMtu: number, hostMtu: number): number {
  return vxlanMtu > 0 ? vxlanMtu : Math.max(576, hostMtu - VXLAN_OVERHEAD);
}
