/**
 * The fuzz test's own model of the datapath, written from the rules in DESIGN §4 and the
 * headers' documented decisions — not from the C: which packets are malformed (→ SHOT), which
 * are passed untouched (non-IP, IPv6), and for the rest which address rewrites are legitimate
 * (a frontend's destination to one of its backends, a backend's source to its frontend, and for
 * hairpin flows — a sender that is its own backend — the source to the hairpin address and back).
 */
import { internetChecksum } from "../packet/internet-checksum.ts";

/** ModelParse is what the model thinks the parser makes of a frame. */
export type ModelParse =
  | { kind: "pass" }
  | { kind: "malformed"; why: string }
  | { kind: "ipv4"; src: string; dst: string; proto: number; sport: number; dport: number; later: boolean; tcpFlags: number; ihl: number; firstOpt: number };

const ip = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
const u16 = (b: Uint8Array, o: number): number => ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);

/** modelParse applies the parsing rules to raw frame bytes. */
export function modelParse(b: Uint8Array): ModelParse {
  const bad = (why: string): ModelParse => ({ kind: "malformed", why });
  const type = u16(b, 12);
  if (type === 0x86dd) return b.length >= 54 && b[14]! >> 4 === 6 ? { kind: "pass" } : bad("ipv6 header");
  if (type !== 0x0800) return { kind: "pass" };
  if (b.length < 34) return bad("short ipv4");
  const ihl = (b[14]! & 15) * 4;
  if (b[14]! >> 4 !== 4 || ihl < 20) return bad("version/ihl");
  const tot = u16(b, 16);
  if (tot < ihl || 14 + tot > b.length) return bad("total length");
  if (internetChecksum(b.subarray(14, 14 + ihl)) !== 0) return bad("ip checksum");
  const frag = u16(b, 20);
  const later = (frag & 0x1fff) !== 0;
  const fragmented = later || (frag & 0x2000) !== 0;
  const proto = b[23]!;
  const l4 = 14 + ihl;
  const l4len = tot - ihl;
  const base = { kind: "ipv4" as const, src: ip(b, 26), dst: ip(b, 30), proto, sport: 0, dport: 0, later, tcpFlags: 0, ihl, firstOpt: ihl > 20 ? b[34]! : 0 };
  if (later) return base;
  const need = (n: number): boolean => l4 + n <= b.length && l4len >= n;
  if (proto === 6) {
    if (!need(20)) return bad("tcp header");
    const doff = (b[l4 + 12]! >> 4) * 4;
    if (doff < 20 || (!fragmented && doff > l4len)) return bad("tcp data offset");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2), tcpFlags: b[l4 + 13]! };
  }
  if (proto === 17) {
    if (!need(8)) return bad("udp header");
    const ulen = u16(b, l4 + 4);
    if (ulen < 8 || (!fragmented && ulen > l4len)) return bad("udp length");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2) };
  }
  if (proto === 1) {
    if (!need(8)) return bad("icmp header");
    const t = b[l4]!;
    return t === 0 || t === 8 ? { ...base, sport: u16(b, l4 + 4), dport: u16(b, l4 + 4) } : base;
  }
  if (proto === 132) {
    if (!need(12)) return bad("sctp header");
    return { ...base, sport: u16(b, l4), dport: u16(b, l4 + 2) };
  }
  return base;
}

/**
 * Frontend → the backends it may be rewritten to (mirrors test/datapath/dp-world.ts);
 * `sourceRanges` (loadBalancerSourceRanges) limits which clients may open new flows to it.
 */
export interface ServiceTable {
  frontends: { addr: string; port: number; proto: number; backends: { addr: string; port: number }[]; sourceRanges?: string[] }[];
  /** The service loopback address hairpin flows are SNATed to (cfg_hairpin_ip). */
  hairpinIp: string;
}

function inCidr(addr: string, cidr: string): boolean {
  const num = (a: string): number => a.split(".").reduce((n, p) => n * 256 + Number(p), 0);
  const [net = "", len = "32"] = cidr.split("/");
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffff_ffff << (32 - bits)) >>> 0;
  return ((num(addr) & mask) >>> 0) === ((num(net) & mask) >>> 0);
}

/** sourceAdmitted says a new flow from src may use the exact-address frontend dst:dport (always, unless it has source ranges). */
export function sourceAdmitted(t: ServiceTable, proto: number, src: string, dst: string, dport: number): boolean {
  const f = t.frontends.find((x) => x.proto === proto && x.addr === dst && x.port === dport);
  return f?.sourceRanges === undefined || f.sourceRanges.some((c) => inCidr(src, c));
}

/** dnatAllowed says (dst, dport) → (newDst, newDport) is a frontend-to-its-backend rewrite. */
export function dnatAllowed(t: ServiceTable, proto: number, dst: string, dport: number, newDst: string, newDport: number, hostIps: readonly string[], l4: boolean): boolean {
  return t.frontends.some(
    (f) =>
      f.proto === proto &&
      (f.addr === dst || (f.addr === "0.0.0.0" && hostIps.includes(dst))) &&
      (!l4 || f.port === dport) &&
      f.backends.some((b) => b.addr === newDst && (!l4 || b.port === newDport)),
  );
}

/** snatAllowed says a reply's source (src, sport) may become (newSrc, newSport). */
export function snatAllowed(t: ServiceTable, proto: number, src: string, sport: number, newSrc: string, newSport: number, hostIps: readonly string[], l4: boolean): boolean {
  return t.frontends.some(
    (f) =>
      f.proto === proto &&
      (f.addr === newSrc || (f.addr === "0.0.0.0" && hostIps.includes(newSrc))) &&
      (!l4 || f.port === newSport) &&
      f.backends.some((b) => b.addr === src && (!l4 || b.port === sport)),
  );
}

/** Endpoints is one packet's addresses and ports (ports are the input's where not L4). */
export interface Endpoints {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/**
 * hairpinRewrite classifies a packet's rewrite (in → out) under the hairpin rule: a flow DNATed
 * back to its own sender must also have its source SNATed to the hairpin address, port kept
 * (`snat`, and `missing` when it was not); a packet to the hairpin address goes back to its own
 * sender (`undone`), its source reverse-NATed as usual.
 */
export function hairpinRewrite(t: ServiceTable, input: Endpoints, out: Endpoints, l4: boolean): { snat: boolean; missing: boolean; undone: boolean } {
  const back = out.dst === input.src && input.dst !== input.src;
  const snat = back && input.src !== t.hairpinIp && out.src === t.hairpinIp && (!l4 || out.sport === input.sport);
  const missing = back && out.dst !== input.dst && out.src === input.src;
  const undone = input.dst === t.hairpinIp && back && (!l4 || out.dport === input.dport);
  return { snat, missing, undone };
}
