/**
 * IP sets as the datapath sees them: members of set `id` are written to the sl_ipsets LPM trie
 * (Calico's layout, see abi.h). A member is a CIDR, or a named-port member {address, port,
 * protocol} that matches only that port and protocol. ipSetKey gives the map key of a member,
 * ipSetHas answers membership the way the trie does, for the reference evaluator.
 */
import { SL_IPSET_ID_BITS, SL_IPSET_LOOKUP_LEN } from "../datapath/abi/abi.ts";
import type { SlIpsetKey } from "../datapath/abi/abi.ts";
import { cidrContains, type Cidr } from "./cidr.ts";

/** IpSetMember is a CIDR member, or (with port and proto) a named-port member of one address (/32). */
export interface IpSetMember extends Cidr {
  readonly port?: number;
  readonly proto?: number;
}

/** IpSetContents maps set id → members. */
export type IpSetContents = ReadonlyMap<number, readonly IpSetMember[]>;

/** ipSetKey is the sl_ipsets key of one member of set `setId`. */
export function ipSetKey(setId: number, m: IpSetMember): SlIpsetKey {
  if (m.port !== undefined || m.proto !== undefined) {
    if (m.port === undefined || m.proto === undefined || m.prefixLen !== 32) {
      throw new Error(
        `write ip set ${setId}: a named-port member needs a /32 address, a port and a protocol`,
      );
    }
    return { prefixlen: SL_IPSET_LOOKUP_LEN, setId, addr: m.addr, port: m.port, proto: m.proto };
  }
  return { prefixlen: SL_IPSET_ID_BITS + m.prefixLen, setId, addr: m.addr, port: 0, proto: 0 };
}

/**
 * ipSetHas tells whether set `setId` holds the address (plain lookup: port and proto 0 match
 * CIDR members only) or, with port and proto, the named-port member — as the trie answers a
 * lookup of SL_IPSET_LOOKUP_LEN bits.
 */
export function ipSetHas(sets: IpSetContents, setId: number, addr: number, port = 0, proto = 0): boolean {
  for (const m of sets.get(setId) ?? []) {
    if (m.port === undefined) {
      if (cidrContains(m, addr)) return true;
    } else if (m.addr === addr && m.port === port && m.proto === proto) return true;
  }
  return false;
}
