/**
 * What the fuzz model takes a frame to be, by the documented contract of the datapath's parser
 * (DESIGN §4, bpf/include/parse.h's header comment): non-IP EtherTypes and well-formed IPv6 are
 * passed untouched; an IPv4 packet is understood only when every header the pipeline may read
 * or rewrite is present and consistent (version 4, IHL ≥ 5, total length within the frame and
 * ≥ IHL, a verifying header checksum, and — unless it is a later fragment, which has no L4
 * header — the TCP (data offset within the segment), UDP (length within the datagram), ICMP or
 * SCTP header inside the total length); anything else is malformed.
 */
import { internetChecksum } from "../packet/internet-checksum.ts";

/** Frag is where an IPv4 packet stands among fragments. */
export type Frag = "none" | "first" | "later";

/** Ipv4View is a well-formed IPv4 frame's fields (ports 0 where the protocol has none). */
export interface Ipv4View {
  readonly kind: "ipv4";
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly ihl: number;
  readonly tot: number;
  readonly ttl: number;
  readonly frag: Frag;
  readonly id: number;
  readonly sport: number;
  readonly dport: number;
  readonly tcpFlags: number;
  readonly icmpType: number;
  /** Offset of the L4 header in the frame. */
  readonly l4: number;
}

/** FrameView is the model's reading of one frame. */
export type FrameView = { kind: "non-ip" } | { kind: "ipv6" } | { kind: "malformed"; why: string } | Ipv4View;

/** u16 reads a big-endian 16-bit field (0 past the end). */
export const u16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
/** ip4At reads a dotted address. */
export const ip4At = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** viewFrame reads a frame whose IPv4 header (if any) starts at `l3` (14 for plain Ethernet). */
export function viewFrame(b: Uint8Array, l3 = 14): FrameView {
  const bad = (why: string): FrameView => ({ kind: "malformed", why });
  if (b.length < 14) return bad("short ethernet");
  const type = u16(b, 12);
  if (type === 0x86dd) return b.length >= 54 && b[14]! >> 4 === 6 ? { kind: "ipv6" } : bad("ipv6 header");
  if (type !== 0x0800) return { kind: "non-ip" };
  if (b.length < l3 + 20) return bad("short ipv4");
  const ihl = (b[l3]! & 15) * 4;
  if (b[l3]! >> 4 !== 4 || ihl < 20) return bad("version/ihl");
  const tot = u16(b, l3 + 2);
  if (tot < ihl || l3 + tot > b.length) return bad("total length");
  if (internetChecksum(b.subarray(l3, l3 + ihl)) !== 0) return bad("ip checksum");
  const fragWord = u16(b, l3 + 6);
  const frag: Frag = (fragWord & 0x1fff) !== 0 ? "later" : (fragWord & 0x2000) !== 0 ? "first" : "none";
  const proto = b[l3 + 9]!;
  const l4 = l3 + ihl;
  const l4len = tot - ihl;
  const base = {
    kind: "ipv4" as const,
    src: ip4At(b, l3 + 12),
    dst: ip4At(b, l3 + 16),
    proto,
    ihl,
    tot,
    ttl: b[l3 + 8]!,
    frag,
    id: u16(b, l3 + 4),
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    icmpType: -1,
    l4,
  };
  if (frag === "later") return base;
  const has = (n: number): boolean => l4 + n <= b.length && l4len >= n;
  if (proto === 6) {
    if (!has(20)) return bad("tcp header");
    const doff = (b[l4 + 12]! >> 4) * 4;
    if (doff < 20 || (frag === "none" && doff > l4len)) return bad("tcp data offset");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2), tcpFlags: b[l4 + 13]! };
  }
  if (proto === 17) {
    if (!has(8)) return bad("udp header");
    const ulen = u16(b, l4 + 4);
    if (ulen < 8 || (frag === "none" && ulen > l4len)) return bad("udp length");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2) };
  }
  if (proto === 1) {
    if (!has(8)) return bad("icmp header");
    const t = b[l4]!;
    const echo = t === 0 || t === 8;
    return { ...base, icmpType: t, sport: echo ? u16(b, l4 + 4) : 0, dport: echo ? u16(b, l4 + 4) : 0 };
  }
  if (proto === 132) {
    if (!has(12)) return bad("sctp header");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2) };
  }
  return base;
}
