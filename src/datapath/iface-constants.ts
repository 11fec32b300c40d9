/**
 * ifaceConstants builds the `.rodata` constants of one interface's programs (bpf/include/ctx.h):
 * ifindex, role, node address, VXLAN port/VNI and the tunnel MTU. Pure.
 */
import type { ConstantValue } from "../bpf/collection.ts";
import { SL_ROLE_HEP, SL_ROLE_WEP } from "./abi/abi.ts";
import { CFG } from "./abi/datapath-names.ts";
import { ipv4Bytes } from "../model/ipv4.ts";

/** IfaceRole: "wep" is a pod's host-side veth, "hep" a host (data) interface. */
export type IfaceRole = "wep" | "hep";

/** ROLE_VALUES are SL_ROLE_* of bpf/include/abi.h (cfg_role), through the generator. */
export const ROLE_VALUES = { wep: SL_ROLE_WEP, hep: SL_ROLE_HEP } as const satisfies Record<
  IfaceRole,
  number
>;

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

/** ifaceConstants returns the constants by .rodata variable name. */
export function ifaceConstants(i: IfaceConstantsInput): Record<string, ConstantValue> {
  return {
    [CFG.ifindex]: i.ifindex,
    [CFG.role]: ROLE_VALUES[i.role],
    [CFG.host_ip]: ipv4Bytes(i.nodeIp),
    [CFG.vxlan_vni]: i.vxlanVni,
    [CFG.vxlan_port]: i.vxlanPort,
    [CFG.tunnel_mtu]: i.tunnelMtu,
  };
}

/** tunnelMtu is vxlanMTU when set, else the host interface's MTU minus the VXLAN overhead. */
export function tunnelMtu(vxlanMtu: number, hostMtu: number): number {
  return vxlanMtu > 0 ? vxlanMtu : Math.max(576, hostMtu - VXLAN_OVERHEAD);
}
