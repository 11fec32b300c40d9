/** Neighbour messages (RTM_NEWNEIGH/DELNEIGH/GETNEIGH): ARP/NDP entries and proxy entries. */
import { AttrWriter, attrMap } from "./attributes.ts";
import { decodeNdMsg, encodeNdMsg, NDMSG_SIZE } from "./headers.ts";
import { afOf, AddressFamily, decodeIp, encodeIp, familyOf, type IpFamily } from "./ip.ts";
import { decodeMac, encodeMac } from "./mac.ts";

/** Nda holds the NDA_* attribute types. */
export const Nda = { DST: 1, LLADDR: 2, CACHEINFO: 3, PROBES: 4 } as const;

/** NeighbourState maps names to NUD_* state bits. */
export const NeighbourState = {
  incomplete: 0x01,
  reachable: 0x02,
  stale: 0x04,
  delay: 0x08,
  probe: 0x10,
  failed: 0x20,
  noarp: 0x40,
  permanent: 0x80,
} as const;

/** NeighbourStateName is a named NUD_* state. */
export type NeighbourStateName = keyof typeof NeighbourState;

/** Ntf holds the NTF_* neighbour flags. */
export const Ntf = {
  USE: 0x01,
  SELF: 0x02,
  MASTER: 0x04,
  PROXY: 0x08,
  EXT_LEARNED: 0x10,
  ROUTER: 0x80,
} as const;

/** NeighbourSpec is an entry to add, replace or delete (ifindex resolved). */
export interface NeighbourSpec {
  readonly index: number;
  /** IP address the entry resolves. */
  readonly address: string;
  /** Link-layer address; not used by proxy entries. */
  readonly lladdr?: string;
  /** Permanent by default. */
  readonly state?: NeighbourStateName;
  /** A proxy entry (NTF_PROXY): answer ARP/NDP for `address` on this link (needs proxy_arp / proxy_ndp). */
  readonly proxy?: boolean;
  /** IPv6: the neighbour is a router. */
  readonly router?: boolean;
}

/** encodeNeighbour builds the payload of RTM_NEWNEIGH / RTM_DELNEIGH. */
export function encodeNeighbour(spec: NeighbourSpec): Buffer {
  const flags = (spec.proxy === true ? Ntf.PROXY : 0) | (spec.router === true ? Ntf.ROUTER : 0);
  const hdr = encodeNdMsg({
    family: afOf(familyOf(spec.address)),
    index: spec.index,
    state: NeighbourState[spec.state ?? "permanent"],
    flags,
  });
  const w = new AttrWriter().bytes(Nda.DST, encodeIp(spec.address));
  if (spec.lladdr !== undefined) w.bytes(Nda.LLADDR, encodeMac(spec.lladdr));
  return Buffer.concat([hdr, w.toBuffer()]);
}

/** encodeNeighbourDump builds the RTM_GETNEIGH dump request; `proxy` dumps the proxy table instead. */
export function encodeNeighbourDump(family?: IpFamily, proxy = false): Buffer {
  return encodeNdMsg({ family: family === undefined ? 0 : afOf(family), flags: proxy ? Ntf.PROXY : 0 });
}

/** Neighbour is a decoded neighbour or proxy entry. */
export interface Neighbour {
  readonly index: number;
  readonly family: IpFamily;
  readonly address: string;
  readonly lladdr?: string;
  /** NUD_* bits. */
  readonly state: number;
  /** Names of the set state bits, e.g. ["permanent"]. */
  readonly states: readonly NeighbourStateName[];
  /** NTF_* flags. */
  readonly flags: number;
  readonly proxy: boolean;
}

/** decodeNeighbour reads a RTM_NEWNEIGH payload. */
export function decodeNeighbour(payload: Buffer): Neighbour {
  const hdr = decodeNdMsg(payload);
  const a = attrMap(payload, NDMSG_SIZE);
  const family: IpFamily = hdr.family === AddressFamily.INET ? 4 : 6;
  const dst = a.get(Nda.DST);
  const ll = a.get(Nda.LLADDR);
  return {
    index: hdr.index,
    family,
    address: decodeIp(dst ?? Buffer.alloc(family === 4 ? 4 : 16)),
    ...(ll !== undefined && ll.length > 0 ? { lladdr: decodeMac(ll) } : {}),
    state: hdr.state,
    states: (Object.keys(NeighbourState) as NeighbourStateName[]).filter(
      (k) => (hdr.state & NeighbourState[k]) !== 0,
    ),
    flags: hdr.flags,
    proxy: (hdr.flags & Ntf.PROXY) !== 0,
  };
}
