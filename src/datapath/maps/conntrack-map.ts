/** ConntrackMap: a typed view of sl_ct (LRU hash; written by the datapath, read and GC'd by the agent). */
import {
  SlCtKeyLayout,
  SlCtType,
  SlCtValueLayout,
  decodeSlCtKey,
  decodeSlCtValue,
  encodeSlCtKey,
  encodeSlCtValue,
} from "../abi/abi.ts";
import type { SlCtKey } from "../abi/abi.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../../model/ipv4.ts";
import {
  fieldOffset,
  pickBatched,
  pickBatchedAsync,
  rawEntries,
  type BatchJudge,
  type RawMap,
} from "./raw-map.ts";

/** CtTuple is one direction of a flow as a packet carries it. */
export interface CtTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
}

/** CtEntryType names enum sl_ct_type. */
export type CtEntryType = "normal" | "nat-fwd" | "nat-rev";

/** CtEntry is one decoded sl_ct entry; `a` is the numerically lower endpoint. */
export interface CtEntry {
  a: { addr: string; port: number };
  b: { addr: string; port: number };
  proto: number;
  type: CtEntryType;
  flags: number;
  legA: number;
  legB: number;
  createdNs: bigint;
  lastSeenNs: bigint;
  /** nat-fwd: the backend; nat-rev: the frontend. */
  nat: { addr: string; port: number };
  tunIp: string;
  /** What each side sent (packets, IP bytes), kept in normal and nat-rev entries (flow logs);
   * absent in entries built by hand, which encode as zero. */
  sent?: { a: CtSideCount; b: CtSideCount };
}

/** CtSideCount is what one side of a flow sent. */
export interface CtSideCount {
  packets: bigint;
  bytes: bigint;
}

const typeNames: Record<number, CtEntryType> = {
  [SlCtType.SL_CT_NORMAL]: "normal",
  [SlCtType.SL_CT_NAT_FWD]: "nat-fwd",
  [SlCtType.SL_CT_NAT_REV]: "nat-rev",
};

/**
 * ctSideIsA tells whether endpoint (addr1, port1) is side a of a conntrack key, the way
 * bpf/include/conntrack.h orders it: the lower (address, port), addresses in host order. The one
 * place TypeScript writes that rule (ctKeyOf, the NAT backend's normaliseCtKey).
 */
export function ctSideIsA(addr1: number, port1: number, addr2: number, port2: number): boolean {
  return addr1 < addr2 || (addr1 === addr2 && port1 <= port2);
}

/** ctKeyOf normalises a tuple the way bpf/include/conntrack.h does: lower (address, port) first. */
export function ctKeyOf(t: CtTuple): SlCtKey {
  const s = ipv4ToNumber(t.src);
  const d = ipv4ToNumber(t.dst);
  const srcIsA = ctSideIsA(s, t.sport, d, t.dport);
  return srcIsA
    ? { addrA: s, addrB: d, portA: t.sport, portB: t.dport, proto: t.proto }
    : { addrA: d, addrB: s, portA: t.dport, portB: t.sport, proto: t.proto };
}

/** decodeCtEntry turns raw key/value bytes into a CtEntry. */
export function decodeCtEntry(key: Uint8Array, value: Uint8Array): CtEntry {
  const k = decodeSlCtKey(key);
  const v = decodeSlCtValue(value);
  return {
    a: { addr: ipv4FromNumber(k.addrA), port: k.portA },
    b: { addr: ipv4FromNumber(k.addrB), port: k.portB },
    proto: k.proto,
    type: typeNames[v.type] ?? "normal",
    flags: v.flags,
    legA: v.legA,
    legB: v.legB,
    createdNs: v.createdNs,
    lastSeenNs: v.lastSeenNs,
    nat: { addr: ipv4FromNumber(v.natAddr), port: v.natPort },
    tunIp: ipv4FromNumber(v.tunIp),
    sent: { a: { packets: v.packetsA, bytes: v.bytesA }, b: { packets: v.packetsB, bytes: v.bytesB } },
  };
}

/** encodeCtEntry is decodeCtEntry's inverse (tests and restores write entries). */
export function encodeCtEntry(e: CtEntry): [Uint8Array, Uint8Array] {
  const type = Number(Object.entries(typeNames).find(([, n]) => n === e.type)?.[0] ?? 0);
  const key = encodeSlCtKey({
    addrA: ipv4ToNumber(e.a.addr),
    portA: e.a.port,
    addrB: ipv4ToNumber(e.b.addr),
    portB: e.b.port,
    proto: e.proto,
  });
  const value = encodeSlCtValue({
    createdNs: e.createdNs,
    lastSeenNs: e.lastSeenNs,
    type,
    flags: e.flags,
    legA: e.legA,
    legB: e.legB,
    natAddr: ipv4ToNumber(e.nat.addr),
    natPort: e.nat.port,
    tunIp: ipv4ToNumber(e.tunIp),
    packetsA: e.sent?.a.packets ?? 0n,
    bytesA: e.sent?.a.bytes ?? 0n,
    packetsB: e.sent?.b.packets ?? 0n,
    bytesB: e.sent?.b.bytes ?? 0n,
  });
  return [key, value];
}

/**
 * ctEndpointId is one endpoint (host-order IPv4 address, port) as one number, addr × 65536 +
 * port (< 2^48): what natEntriesTouching is asked for.
 */
export const ctEndpointId = (addr: number, port: number): number => addr * 65536 + port;

/** Byte offsets natEntriesTouching reads, from the generated layouts (abi.ts). */
const AT = {
  addrA: fieldOffset(SlCtKeyLayout, "addr_a"),
  addrB: fieldOffset(SlCtKeyLayout, "addr_b"),
  portA: fieldOffset(SlCtKeyLayout, "port_a"),
  portB: fieldOffset(SlCtKeyLayout, "port_b"),
  type: fieldOffset(SlCtValueLayout, "type"),
  natAddr: fieldOffset(SlCtValueLayout, "nat_addr"),
  natPort: fieldOffset(SlCtValueLayout, "nat_port"),
};

/** ConntrackMap reads and edits sl_ct by flow tuple. */
export class ConntrackMap {
  readonly #map: RawMap;

  constructor(map: RawMap) {
    this.#map = map;
  }

  /** get returns the entry a packet with tuple `t` would find, or undefined. */
  get(t: CtTuple): CtEntry | undefined {
    const key = encodeSlCtKey(ctKeyOf(t));
    const value = this.#map.get(key);
    return value === undefined ? undefined : decodeCtEntry(key, value);
  }

  /** put writes an entry (restores, tests). */
  put(e: CtEntry): void {
    const [k, v] = encodeCtEntry(e);
    this.#map.update(k, v);
  }

  /** delete removes the entry of tuple `t`. */
  delete(t: CtTuple): void {
    this.#map.delete(encodeSlCtKey(ctKeyOf(t)));
  }

  /** entries lists every entry (batched reads where the map can: a full table is 100k+ entries). */
  *entries(): Generator<CtEntry> {
    for (const [k, v] of rawEntries(this.#map)) yield decodeCtEntry(k, v);
  }

  /**
   * natEntriesTouching lists the NAT entries that involve one of `endpoints` (ctEndpointId): a
   * NAT_FWD entry whose backend is one, a NAT_REV entry one of whose sides is one. On a live map
   * each entry is judged on its bytes in the batch buffers and only those are decoded: the
   * clean-up after an endpoint goes away reads the whole table, and decoding all of a busy
   * node's 100k flows held the event loop ~0.44 s per change.
   */
  natEntriesTouching(endpoints: ReadonlySet<number>): CtEntry[] {
    if (endpoints.size === 0) return [];
    return (
      pickBatched(this.#map, natTouchingJudge(endpoints), decodeCtEntry) ??
      [...this.entries()].filter(natTouching(endpoints))
    );
  }

  /**
   * natEntriesTouchingAsync is natEntriesTouching with the table read on a worker thread, batch
   * by batch: the agent's clean-up after an endpoint change, so that reading a busy node's table
   * (19–27 ms at 100k flows, ~5× that when full) never holds up the next change.
   */
  async natEntriesTouchingAsync(endpoints: ReadonlySet<number>): Promise<CtEntry[]> {
    if (endpoints.size === 0) return [];
    return (
      (await pickBatchedAsync(this.#map, natTouchingJudge(endpoints), decodeCtEntry)) ??
      this.natEntriesTouching(endpoints)
    );
  }
}

/** natTouchingJudge: natEntriesTouching's test on an entry's bytes in the batch buffers. */
function natTouchingJudge(endpoints: ReadonlySet<number>): BatchJudge {
  const has = (view: DataView, addrAt: number, portAt: number): boolean =>
    endpoints.has(ctEndpointId(view.getUint32(addrAt), view.getUint16(portAt)));
  return (keys, k, values, v) => {
    const type = values.getUint8(v + AT.type);
    if (type === SlCtType.SL_CT_NAT_FWD) return has(values, v + AT.natAddr, v + AT.natPort);
    return (
      type === SlCtType.SL_CT_NAT_REV &&
      (has(keys, k + AT.addrA, k + AT.portA) || has(keys, k + AT.addrB, k + AT.portB))
    );
  };
}

/** natTouching: the same test on a decoded entry (maps that cannot batch). */
function natTouching(endpoints: ReadonlySet<number>): (e: CtEntry) => boolean {
  const id = (e: { addr: string; port: number }): number => ctEndpointId(ipv4ToNumber(e.addr), e.port);
  return (e) =>
    (e.type === "nat-fwd" && endpoints.has(id(e.nat))) ||
    (e.type === "nat-rev" && (endpoints.has(id(e.a)) || endpoints.has(id(e.b))));
}
