/**
 * Link (network device) messages: RTM_NEWLINK requests for the kinds Sluice creates, and
 * decoding RTM_NEWLINK replies into Link. References to other devices and namespaces are already
 * resolved to ifindex / fd numbers here; src/netlink/links.ts does the resolving.
 */
import {
  AttrWriter,
  attrMap,
  readBe16,
  readS32,
  readString,
  readU32,
  readU8,
  type AttrMap,
} from "./attributes.ts";
import { decodeIfInfoMsg, encodeIfInfoMsg, IFINFOMSG_SIZE } from "./headers.ts";
import { decodeIp, encodeIp, familyOf } from "./ip.ts";
import { decodeMac, encodeMac } from "./mac.ts";

/** Ifla holds the IFLA_* link attribute types used here. */
export const Ifla = {
  ADDRESS: 1,
  IFNAME: 3,
  MTU: 4,
  LINK: 5,
  MASTER: 10,
  TXQLEN: 13,
  OPERSTATE: 16,
  LINKINFO: 18,
  NET_NS_PID: 19,
  NET_NS_FD: 28,
  EXT_MASK: 29,
  CARRIER: 33,
  LINK_NETNSID: 37,
} as const;

/** IflaInfo holds IFLA_INFO_* (inside IFLA_LINKINFO). */
export const IflaInfo = { KIND: 1, DATA: 2, SLAVE_KIND: 4 } as const;

/** IflaVxlan holds IFLA_VXLAN_* (inside IFLA_INFO_DATA of a vxlan link). */
export const IflaVxlan = {
  ID: 1,
  GROUP: 2,
  LINK: 3,
  LOCAL: 4,
  TTL: 5,
  LEARNING: 7,
  PORT: 15,
  GROUP6: 16,
  LOCAL6: 17,
  COLLECT_METADATA: 25,
} as const;

/** Iff holds IFF_* device flags. */
export const Iff = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  PROMISC: 0x100,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
} as const;

/** MacvlanMode maps mode names to MACVLAN_MODE_* values. */
export const MacvlanMode = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;

/** VETH_INFO_PEER is the veth IFLA_INFO_DATA attribute holding the peer's ifinfomsg + attributes. */
export const VETH_INFO_PEER = 1;
const IFLA_MACVLAN_MODE = 1;
// RTEXT_FILTER_SKIP_STATS: dumps without per-link statistics are far smaller.
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const OPER_STATES = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"] as const;

/** OperState is RFC 2863 operational state (IF_OPER_*). */
export type OperState = (typeof OPER_STATES)[number];

/** VxlanOptions configures a vxlan device; every field maps to one IFLA_VXLAN_* attribute. */
export interface VxlanOptions {
  /** VXLAN network identifier; omit with external. */
  readonly vni?: number;
  /** Local (source) address of the tunnel. */
  readonly local?: string;
  /** Unicast remote or multicast group; both go in IFLA_VXLAN_GROUP{,6}. */
  readonly remote?: string;
  /** UDP destination port; the kernel default is 8472, IANA's is 4789. */
  readonly port?: number;
  /** MAC learning; off by default here because Sluice programs the FDB. */
  readonly learning?: boolean;
  /** Collect-metadata (external) mode: a BPF program sets the tunnel key per packet. */
  readonly external?: boolean;
  /** Underlying device ifindex. */
  readonly dev?: number;
  readonly ttl?: number;
}

/** LinkKindSpec is the kind-specific part of a create request, references resolved. */
export type LinkKindSpec =
  | {
      readonly kind: "veth";
      readonly peer: {
        readonly name: string;
        readonly netnsFd?: number;
        readonly mac?: string;
        readonly mtu?: number;
      };
    }
  | ({ readonly kind: "vxlan" } & VxlanOptions)
  | { readonly kind: "bridge" }
  | { readonly kind: "dummy" }
  | { readonly kind: "macvlan"; readonly parent: number; readonly mode?: keyof typeof MacvlanMode };

/** NewLinkSpec is a complete create request. */
export type NewLinkSpec = LinkKindSpec & {
  readonly name: string;
  readonly mtu?: number;
  readonly mac?: string;
  readonly master?: number;
  /** Create the device directly in this namespace (IFLA_NET_NS_FD). */
  readonly netnsFd?: number;
  readonly up?: boolean;
};

/** encodeNewLink builds the RTM_NEWLINK payload that creates a link. */
export function encodeNewLink(spec: NewLinkSpec): Buffer {
  const w = new AttrWriter().string(Ifla.IFNAME, spec.name);
  if (spec.mtu !== undefined) w.u32(Ifla.MTU, spec.mtu);
  if (spec.mac !== undefined) w.bytes(Ifla.ADDRESS, encodeMac(spec.mac));
  if (spec.master !== undefined) w.u32(Ifla.MASTER, spec.master);
  if (spec.netnsFd !== undefined) w.u32(Ifla.NET_NS_FD, spec.netnsFd);
  if (spec.kind === "macvlan") w.u32(Ifla.LINK, spec.parent);
  w.nested(Ifla.LINKINFO, (info) => {
    info.string(IflaInfo.KIND, spec.kind);
    encodeKindData(info, spec);
  });
  const up = spec.up === true ? Iff.UP : 0;
  return Buffer.concat([encodeIfInfoMsg({ flags: up, change: up }), w.toBuffer()]);
}

function encodeKindData(info: AttrWriter, spec: LinkKindSpec): void {
  switch (spec.kind) {
    case "veth":
      info.nested(IflaInfo.DATA, (data) =>
        data.nested(VETH_INFO_PEER, (peer) => {
          // The peer payload is its own ifinfomsg followed by attributes, like a nested request.
          peer.raw(encodeIfInfoMsg({})).string(Ifla.IFNAME, spec.peer.name);
          if (spec.peer.mtu !== undefined) peer.u32(Ifla.MTU, spec.peer.mtu);
          if (spec.peer.mac !== undefined) peer.bytes(Ifla.ADDRESS, encodeMac(spec.peer.mac));
          if (spec.peer.netnsFd !== undefined) peer.u32(Ifla.NET_NS_FD, spec.peer.netnsFd);
        }),
      );
      return;
    case "vxlan":
      info.nested(IflaInfo.DATA, (data) => encodeVxlan(data, spec));
      return;
    case "macvlan":
      if (spec.mode !== undefined) {
        info.nested(IflaInfo.DATA, (data) => data.u32(IFLA_MACVLAN_MODE, MacvlanMode[spec.mode!]));
      }
      return;
    case "bridge":
    case "dummy":
      return;
  }
}

function encodeVxlan(w: AttrWriter, o: VxlanOptions): void {
  if (o.vni !== undefined) w.u32(IflaVxlan.ID, o.vni);
  if (o.remote !== undefined) {
    w.bytes(familyOf(o.remote) === 4 ? IflaVxlan.GROUP : IflaVxlan.GROUP6, encodeIp(o.remote));
  }
  if (o.local !== undefined) {
    w.bytes(familyOf(o.local) === 4 ? IflaVxlan.LOCAL : IflaVxlan.LOCAL6, encodeIp(o.local));
  }
  if (o.dev !== undefined) w.u32(IflaVxlan.LINK, o.dev);
  if (o.ttl !== undefined) w.u8(IflaVxlan.TTL, o.ttl);
  if (o.port !== undefined) w.be16(IflaVxlan.PORT, o.port);
  w.u8(IflaVxlan.LEARNING, o.learning === true ? 1 : 0);
  if (o.external === true) w.u8(IflaVxlan.COLLECT_METADATA, 1);
}

/** LinkChanges are the settable properties of an existing link (RTM_NEWLINK without CREATE). */
export interface LinkChanges {
  readonly up?: boolean;
  readonly mtu?: number;
  readonly mac?: string;
  /** Bridge ifindex to enslave to; 0 releases the link from its master. */
  readonly master?: number;
  readonly name?: string;
  readonly netnsFd?: number;
}

/** encodeSetLink builds the RTM_NEWLINK payload that changes link `index`. */
export function encodeSetLink(index: number, c: LinkChanges): Buffer {
  const w = new AttrWriter();
  if (c.name !== undefined) w.string(Ifla.IFNAME, c.name);
  if (c.mtu !== undefined) w.u32(Ifla.MTU, c.mtu);
  if (c.mac !== undefined) w.bytes(Ifla.ADDRESS, encodeMac(c.mac));
  if (c.master !== undefined) w.u32(Ifla.MASTER, c.master);
  if (c.netnsFd !== undefined) w.u32(Ifla.NET_NS_FD, c.netnsFd);
  const change = c.up === undefined ? 0 : Iff.UP;
  const flags = c.up === true ? Iff.UP : 0;
  return Buffer.concat([encodeIfInfoMsg({ index, flags, change }), w.toBuffer()]);
}

/** encodeLinkQuery builds a RTM_GETLINK/RTM_DELLINK payload naming a link by index or name. */
export function encodeLinkQuery(ref: string | number): Buffer {
  const w = new AttrWriter().u32(Ifla.EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  if (typeof ref === "string") w.string(Ifla.IFNAME, ref);
  return Buffer.concat([encodeIfInfoMsg({ index: typeof ref === "number" ? ref : 0 }), w.toBuffer()]);
}

/** VxlanInfo is what a vxlan link reports about itself. */
export interface VxlanInfo {
  readonly vni?: number;
  readonly remote?: string;
  readonly local?: string;
  readonly port?: number;
  readonly learning: boolean;
  readonly external: boolean;
  readonly dev?: number;
  readonly ttl?: number;
}

/** Link is a decoded network device. */
export interface Link {
  readonly index: number;
  readonly name: string;
  /** IFLA_INFO_KIND ("veth", "vxlan", "bridge", ...); absent for physical and loopback devices. */
  readonly kind?: string;
  /** ARPHRD_* hardware type. */
  readonly type: number;
  /** IFF_* flags. */
  readonly flags: number;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  readonly mtu: number;
  readonly mac?: string;
  readonly operState: OperState;
  /** Master (bridge) ifindex. */
  readonly master?: number;
  /** IFLA_LINK: the veth peer, or the lower device of vxlan/macvlan; in linkNetnsId's namespace if set. */
  readonly parentIndex?: number;
  /** Namespace id (as seen from this namespace) where parentIndex lives. */
  readonly linkNetnsId?: number;
  /** For veth: the peer's ifindex (same value as parentIndex). */
  readonly peerIndex?: number;
  readonly vxlan?: VxlanInfo;
}

/** decodeLink reads a RTM_NEWLINK/RTM_DELLINK payload. */
export function decodeLink(payload: Buffer): Link {
  const hdr = decodeIfInfoMsg(payload);
  const a = attrMap(payload, IFINFOMSG_SIZE);
  const info = a.has(Ifla.LINKINFO) ? attrMap(a.get(Ifla.LINKINFO)!) : undefined;
  const kind = readString(info?.get(IflaInfo.KIND));
  const data = info?.get(IflaInfo.DATA);
  const mac = a.get(Ifla.ADDRESS);
  const master = readU32(a.get(Ifla.MASTER));
  const parentIndex = readS32(a.get(Ifla.LINK));
  const linkNetnsId = readS32(a.get(Ifla.LINK_NETNSID));
  const oper = readU8(a.get(Ifla.OPERSTATE)) ?? 0;
  return {
    index: hdr.index,
    name: readString(a.get(Ifla.IFNAME)) ?? "",
    ...(kind !== undefined ? { kind } : {}),
    type: hdr.type,
    flags: hdr.flags,
    up: (hdr.flags & Iff.UP) !== 0,
    mtu: readU32(a.get(Ifla.MTU)) ?? 0,
    ...(mac !== undefined && mac.length > 0 ? { mac: decodeMac(mac) } : {}),
    operState: OPER_STATES[oper] ?? "unknown",
    ...(master !== undefined && master !== 0 ? { master } : {}),
    ...(parentIndex !== undefined && parentIndex !== hdr.index ? { parentIndex } : {}),
    ...(linkNetnsId !== undefined ? { linkNetnsId } : {}),
    ...(kind === "veth" && parentIndex !== undefined ? { peerIndex: parentIndex } : {}),
    ...(kind === "vxlan" && data !== undefined ? { vxlan: decodeVxlan(attrMap(data)) } : {}),
  };
}

function decodeVxlan(a: AttrMap): VxlanInfo {
  const vni = readU32(a.get(IflaVxlan.ID));
  const group = a.get(IflaVxlan.GROUP) ?? a.get(IflaVxlan.GROUP6);
  const local = a.get(IflaVxlan.LOCAL) ?? a.get(IflaVxlan.LOCAL6);
  const port = readBe16(a.get(IflaVxlan.PORT));
  const dev = readU32(a.get(IflaVxlan.LINK));
  const ttl = readU8(a.get(IflaVxlan.TTL));
  return {
    ...(vni !== undefined ? { vni } : {}),
    ...(group !== undefined && !isZero(group) ? { remote: decodeIp(group) } : {}),
    ...(local !== undefined && !isZero(local) ? { local: decodeIp(local) } : {}),
    ...(port !== undefined ? { port } : {}),
    learning: readU8(a.get(IflaVxlan.LEARNING)) === 1,
    external: readU8(a.get(IflaVxlan.COLLECT_METADATA)) === 1,
    ...(dev !== undefined && dev !== 0 ? { dev } : {}),
    ...(ttl !== undefined ? { ttl } : {}),
  };
}

function isZero(b: Buffer): boolean {
  return b.every((x) => x === 0);
}
