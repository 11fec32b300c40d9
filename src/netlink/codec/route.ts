/** Route messages (RTM_NEWROUTE/DELROUTE/GETROUTE): encoding requests and decoding replies. */
import { AttrWriter, attrMap, readU32 } from "./attributes.ts";
import { Scope, type ScopeName } from "./address.ts";
import { decodeRtMsg, encodeRtMsg, RTMSG_SIZE } from "./headers.ts";
import { afOf, AddressFamily, decodeIp, encodeIp, familyOf, parsePrefix, type IpFamily } from "./ip.ts";

/** Rta holds the RTA_* route attribute types. */
export const Rta = {
  DST: 1,
  SRC: 2,
  IIF: 3,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  TABLE: 15,
} as const;

/** RouteType maps names to RTN_* route types. */
export const RouteType = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
} as const;

/** RouteProtocol maps names to RTPROT_* (who installed the route). */
export const RouteProtocol = { unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4 } as const;

/** RouteTable holds the well-known table ids. */
export const RouteTable = { unspec: 0, default: 253, main: 254, local: 255 } as const;

/** RTNH_F_ONLINK: the gateway is on the link even without a covering prefix route. */
export const RTNH_F_ONLINK = 4;
/** RTM_F_CLONED marks a cached (cloned) route in IPv6 dumps and lookups. */
export const RTM_F_CLONED = 0x200;

/** RouteSpec is a route to add, replace or delete (oif resolved to an ifindex). */
export interface RouteSpec {
  /** "198.18.0.0/24", "2001:db8::/64", or "default". */
  readonly dst: string;
  /** Needed only for "default" without a gateway; inferred otherwise. */
  readonly family?: IpFamily;
  /** Gateway address. */
  readonly via?: string;
  readonly oif?: number;
  /** Preferred source address (RTA_PREFSRC). */
  readonly src?: string;
  /** Default: link without a gateway, global with one (IPv4; IPv6 ignores scope). */
  readonly scope?: ScopeName | number;
  readonly onlink?: boolean;
  /** Table id; main (254) by default. */
  readonly table?: number;
  /** Metric (RTA_PRIORITY). */
  readonly metric?: number;
  readonly protocol?: keyof typeof RouteProtocol | number;
  readonly type?: keyof typeof RouteType;
}

/** routeFamily decides the family of a route spec. */
export function routeFamily(spec: Pick<RouteSpec, "dst" | "family" | "via" | "src">): IpFamily {
  if (spec.dst !== "default") return parsePrefix(spec.dst).family;
  if (spec.family !== undefined) return spec.family;
  if (spec.via !== undefined) return familyOf(spec.via);
  if (spec.src !== undefined) return familyOf(spec.src);
  return 4;
}

/**
 * encodeRoute builds the RTM_NEWROUTE / RTM_DELROUTE payload. For delete, unset fields are
 * wildcards (scope "nowhere", protocol and type 0), as iproute2 sends them.
 */
export function encodeRoute(spec: RouteSpec, forDelete = false): Buffer {
  const family = routeFamily(spec);
  const dst = spec.dst === "default" ? undefined : parsePrefix(spec.dst);
  const table = spec.table ?? RouteTable.main;
  const defaultScope = forDelete
    ? Scope.nowhere
    : spec.via === undefined && (spec.type ?? "unicast") === "unicast"
      ? Scope.link
      : Scope.global;
  const scope = typeof spec.scope === "string" ? Scope[spec.scope] : (spec.scope ?? defaultScope);
  const protocol =
    typeof spec.protocol === "string"
      ? RouteProtocol[spec.protocol]
      : (spec.protocol ?? (forDelete ? 0 : RouteProtocol.boot));
  const hdr = encodeRtMsg({
    family: afOf(family),
    dstLength: dst?.length ?? 0,
    table: table < 256 ? table : RouteTable.unspec,
    protocol,
    scope,
    type: spec.type !== undefined ? RouteType[spec.type] : forDelete ? 0 : RouteType.unicast,
    flags: spec.onlink === true ? RTNH_F_ONLINK : 0,
  });
  const w = new AttrWriter();
  if (dst !== undefined) w.bytes(Rta.DST, encodeIp(dst.address));
  if (spec.via !== undefined) w.bytes(Rta.GATEWAY, encodeIp(spec.via));
  if (spec.oif !== undefined) w.u32(Rta.OIF, spec.oif);
  if (spec.src !== undefined) w.bytes(Rta.PREFSRC, encodeIp(spec.src));
  if (spec.metric !== undefined) w.u32(Rta.PRIORITY, spec.metric);
  w.u32(Rta.TABLE, table);
  return Buffer.concat([hdr, w.toBuffer()]);
}

/** RouteQuery asks which route the kernel would use for a destination (RTM_GETROUTE). */
export interface RouteQuery {
  readonly dst: string;
  readonly from?: string;
  readonly oif?: number;
}

/** encodeRouteQuery builds the payload of a single-destination RTM_GETROUTE. */
export function encodeRouteQuery(q: RouteQuery): Buffer {
  const family = familyOf(q.dst);
  const full = family === 4 ? 32 : 128;
  const w = new AttrWriter().bytes(Rta.DST, encodeIp(q.dst));
  if (q.from !== undefined) w.bytes(Rta.SRC, encodeIp(q.from));
  if (q.oif !== undefined) w.u32(Rta.OIF, q.oif);
  const hdr = encodeRtMsg({
    family: afOf(family),
    dstLength: full,
    srcLength: q.from !== undefined ? full : 0,
  });
  return Buffer.concat([hdr, w.toBuffer()]);
}

/** encodeRouteDump builds the RTM_GETROUTE dump request for one family (0: both). */
export function encodeRouteDump(family?: IpFamily): Buffer {
  return encodeRtMsg({ family: family === undefined ? 0 : afOf(family) });
}

/** Route is a decoded route. */
export interface Route {
  readonly family: IpFamily;
  /** "198.18.0.0/24" or "default". */
  readonly dst: string;
  readonly via?: string;
  readonly oif?: number;
  /** Preferred source (RTA_PREFSRC). */
  readonly src?: string;
  readonly scope: number;
  readonly table: number;
  readonly protocol: number;
  /** RTN_* type. */
  readonly type: number;
  readonly metric?: number;
  readonly onlink: boolean;
  /** rtm_flags (RTM_F_*, RTNH_F_*). */
  readonly flags: number;
}

/** decodeRoute reads a RTM_NEWROUTE payload. */
export function decodeRoute(payload: Buffer): Route {
  const hdr = decodeRtMsg(payload);
  const a = attrMap(payload, RTMSG_SIZE);
  const family: IpFamily = hdr.family === AddressFamily.INET ? 4 : 6;
  const dst = a.get(Rta.DST);
  const via = a.get(Rta.GATEWAY);
  const oif = readU32(a.get(Rta.OIF));
  const src = a.get(Rta.PREFSRC);
  const metric = readU32(a.get(Rta.PRIORITY));
  return {
    family,
    dst:
      dst === undefined && hdr.dstLength === 0
        ? "default"
        : `${decodeIp(dst ?? Buffer.alloc(family === 4 ? 4 : 16))}/${hdr.dstLength}`,
    ...(via !== undefined ? { via: decodeIp(via) } : {}),
    ...(oif !== undefined ? { oif } : {}),
    ...(src !== undefined ? { src: decodeIp(src) } : {}),
    scope: hdr.scope,
    table: readU32(a.get(Rta.TABLE)) ?? hdr.table,
    protocol: hdr.protocol,
    type: hdr.type,
    ...(metric !== undefined ? { metric } : {}),
    onlink: (hdr.flags & RTNH_F_ONLINK) !== 0,
    flags: hdr.flags,
  };
}
