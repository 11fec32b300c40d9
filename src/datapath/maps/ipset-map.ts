/**
 * IpSetMap: a typed view of sl_ipsets (LPM trie, Calico's layout — abi.h "Network policy"). A
 * member of set `setId` is a CIDR, stored as {set id, masked address} with prefixlen
 * SL_IPSET_ID_BITS + the CIDR's length (port and protocol not compared), or a named-port member
 * {set id, /32 address, port, protocol} stored with the full SL_IPSET_LOOKUP_LEN. IPv4 only (the
 * datapath's policy is IPv4); an IPv6 member is not a map entry. Writes one entry per call: a pod
 * joining a set is one map update, no program reload.
 */
import {
  SL_IPSET_ID_BITS,
  SL_IPSET_LOOKUP_LEN,
  decodeSlIpsetKey,
  encodeSlIpsetKey,
  type SlIpsetKey,
} from "../abi/abi.ts";
import { ipv4FromNumber, ipv4Mask, ipv4ToNumber } from "../../model/ipv4.ts";
import { KeyNotFoundError } from "../../errors/key-not-found-error.ts";
import type { RawMap } from "./raw-map.ts";

/** IpSetEntry is one member of one set (the shape of the calculator's IpSetMember). */
export interface IpSetEntry {
  readonly setId: number;
  /** "a.b.c.d/n" (or a bare address: /32). */
  readonly cidr: string;
  /** Named-port members: the port (host order) and IP protocol number. */
  readonly port?: number;
  readonly protocol?: number;
}

const VALUE = new Uint8Array(4); // struct sl_ipset_value: flags, reserved 0

/** isIpv4Entry tells whether a member has a map entry (the datapath matches IPv4 only). */
export function isIpv4Entry(e: IpSetEntry): boolean {
  return !e.cidr.includes(":");
}

/** ipSetMapKey is the sl_ipsets key of one IPv4 member; it throws naming the set and member when malformed. */
export function ipSetMapKey(e: IpSetEntry): SlIpsetKey {
  const [addrText = "", lenText] = e.cidr.split("/");
  const len = lenText === undefined ? 32 : Number(lenText);
  let addr: number;
  try {
    addr = ipv4ToNumber(addrText);
  } catch (err) {
    throw new Error(`encode ip set ${e.setId} member "${e.cidr}": not an IPv4 CIDR`, { cause: err });
  }
  if (!Number.isInteger(len) || len < 0 || len > 32)
    throw new Error(`encode ip set ${e.setId} member "${e.cidr}": prefix length must be 0..32`);
  if (e.port !== undefined || e.protocol !== undefined) {
    if (e.port === undefined || e.protocol === undefined || len !== 32)
      throw new Error(
        `encode ip set ${e.setId} member "${e.cidr}": a named-port member needs a /32 address, a port and a protocol`,
      );
    return { prefixlen: SL_IPSET_LOOKUP_LEN, setId: e.setId, addr, port: e.port, proto: e.protocol };
  }
  return {
    prefixlen: SL_IPSET_ID_BITS + len,
    setId: e.setId,
    addr: (addr & ipv4Mask(len)) >>> 0,
    port: 0,
    proto: 0,
  };
}

/** ipSetEntryOfKey reverses ipSetMapKey. */
export function ipSetEntryOfKey(k: SlIpsetKey): IpSetEntry {
  if (k.prefixlen === SL_IPSET_LOOKUP_LEN && (k.port !== 0 || k.proto !== 0))
    return { setId: k.setId, cidr: `${ipv4FromNumber(k.addr)}/32`, port: k.port, protocol: k.proto };
  return { setId: k.setId, cidr: `${ipv4FromNumber(k.addr)}/${k.prefixlen - SL_IPSET_ID_BITS}` };
}

/** ipSetEntryId is a member's identity as a string: equal for members that are the same map key. */
export function ipSetEntryId(e: IpSetEntry): string {
  const k = ipSetMapKey(e);
  return `${k.setId} ${ipv4FromNumber(k.addr)}/${k.prefixlen} ${k.port} ${k.proto}`;
}

/** IpSetMap edits sl_ipsets member by member. */
export class IpSetMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  /** add writes a member (an existing one is left as it is). */
  add(e: IpSetEntry): void {
    this.#map.update(encodeSlIpsetKey(ipSetMapKey(e)), VALUE);
  }

  /**
   * delete removes a member; false when it was not there. (A lookup cannot tell first: on an LPM
   * trie it answers the longest covering prefix, not the exact key.)
   */
  delete(e: IpSetEntry): boolean {
    try {
      this.#map.delete(encodeSlIpsetKey(ipSetMapKey(e)));
      return true;
    } catch (err) {
      if (err instanceof KeyNotFoundError || /not found/.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** entries lists every member in the map. */
  *entries(): Generator<IpSetEntry> {
    for (const [k] of this.#map.entries()) yield ipSetEntryOfKey(decodeSlIpsetKey(k));
  }
}
