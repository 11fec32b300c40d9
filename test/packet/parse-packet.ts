/**
 * parsePacket() decodes bytes the datapath produced. It never throws on bad input: it keeps every
 * layer it could read and says in `error` what stopped it, so a test can assert on a malformed
 * packet as easily as on a good one.
 */
import { formatMac } from "./address.ts";
import { viewOf } from "./bytes.ts";
import type { ParseContext } from "./parse-context.ts";
import { parseIcmp, parseIcmpv6 } from "./parse-icmp.ts";
import { parseIpv4, parseIpv6 } from "./parse-ip.ts";
import type { IpParse } from "./parse-ip.ts";
import { parseSctp, parseTcp, parseUdp } from "./parse-l4.ts";
import type { L4Input } from "./parse-l4.ts";
import type { ParsedEthernet, ParsedPacket } from "./parsed-packet.ts";
import { EtherType, IpProto, VXLAN_PORT } from "./protocol-numbers.ts";

/** ParseOptions picks where the bytes start: an Ethernet frame (default) or an IP header. */
export interface ParseOptions {
  from?: "ethernet" | "ip";
}

/** parsePacket decodes `bytes` into a ParsedPacket; see ParsedPacket.error for malformed input. */
export function parsePacket(bytes: Uint8Array, options: ParseOptions = {}): ParsedPacket {
  const ctx: ParseContext = { quoted: false, truncated: false };
  if (options.from === "ip") return parseFromIp(bytes, ctx);
  const out: ParsedPacket = { length: bytes.length, payload: new Uint8Array(0) };
  if (bytes.length < 14)
    return { ...out, payload: bytes.slice(), error: `eth: truncated header: ${bytes.length} bytes, need 14` };
  const v = viewOf(bytes);
  const eth: ParsedEthernet = {
    dst: formatMac(bytes.subarray(0, 6)),
    src: formatMac(bytes.subarray(6, 12)),
    type: v.getUint16(12),
  };
  out.eth = eth;
  let off = 14;
  if (eth.type === EtherType.VLAN || eth.type === EtherType.QinQ) {
    if (bytes.length < 18)
      return {
        ...out,
        payload: bytes.slice(14),
        error: `eth: truncated vlan tag: ${bytes.length} bytes, need 18`,
      };
    const tci = v.getUint16(14);
    eth.vlan = { tpid: eth.type, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0xfff };
    eth.type = v.getUint16(16);
    off = 18;
  }
  const rest = bytes.slice(off);
  if (eth.type === EtherType.IPv4) return parseL3(out, parseIpv4(rest, ctx), ctx);
  if (eth.type === EtherType.IPv6) return parseL3(out, parseIpv6(rest, ctx), ctx);
  return { ...out, payload: rest };
}

/** parseQuoted parses the packet an ICMP error carries: from the IP header, cut anywhere. */
function parseQuoted(bytes: Uint8Array): ParsedPacket {
  const ctx: ParseContext = { quoted: true, truncated: false };
  const out = parseFromIp(bytes, ctx);
  return ctx.truncated ? { ...out, truncated: true } : out;
}

function parseFromIp(bytes: Uint8Array, ctx: ParseContext): ParsedPacket {
  const out: ParsedPacket = { length: bytes.length, payload: new Uint8Array(0) };
  const version = (bytes[0] ?? 0) >> 4;
  if (version === 4) return parseL3(out, parseIpv4(bytes, ctx), ctx);
  if (version === 6) return parseL3(out, parseIpv6(bytes, ctx), ctx);
  return {
    ...out,
    payload: bytes.slice(),
    error: `ip: version ${bytes.length === 0 ? "(no bytes)" : version} is neither 4 nor 6`,
  };
}

function parseL3(out: ParsedPacket, ip: IpParse | { error: string }, ctx: ParseContext): ParsedPacket {
  if (!("protocol" in ip)) return { ...out, error: ip.error };
  if (ip.ipv4) out.ipv4 = ip.ipv4;
  if (ip.ipv6) out.ipv6 = ip.ipv6;
  if (ip.trailer.length > 0) out.trailer = ip.trailer;
  if (ip.error !== undefined) return { ...out, error: ip.error };
  out.payload = ip.l4;
  if (!ip.hasL4Header) return out;
  const input: L4Input = { bytes: ip.l4, endpoints: ip.endpoints, complete: ip.l4Complete, ctx };
  switch (ip.protocol) {
    case IpProto.TCP:
      return attach(out, "tcp", parseTcp(input));
    case IpProto.UDP: {
      const r = parseUdp(input, ip.ipv4 !== undefined);
      const done = attach(out, "udp", r);
      if (
        "header" in r &&
        r.header.dport === VXLAN_PORT &&
        done.error === undefined &&
        done.payload.length >= 8
      )
        return parseVxlan(done);
      return done;
    }
    case IpProto.SCTP:
      return attach(out, "sctp", parseSctp(input));
    case IpProto.ICMP:
      return attach(out, "icmp", parseIcmp(input, parseQuoted));
    case IpProto.ICMPv6:
      return attach(out, "icmpv6", parseIcmpv6(input, parseQuoted));
    default:
      return out;
  }
}

type L4Key = "tcp" | "udp" | "sctp" | "icmp" | "icmpv6";

function attach<K extends L4Key>(
  out: ParsedPacket,
  key: K,
  r: { header: NonNullable<ParsedPacket[K]>; payload: Uint8Array; error?: string } | { error: string },
): ParsedPacket {
  if (!("header" in r)) return { ...out, error: r.error };
  const next: ParsedPacket = { ...out, [key]: r.header, payload: r.payload };
  if (r.error !== undefined) next.error = r.error;
  return next;
}

function parseVxlan(out: ParsedPacket): ParsedPacket {
  const p = out.payload;
  const vni = viewOf(p).getUint32(4) >>> 8;
  const inner = parsePacket(p.slice(8));
  const next: ParsedPacket = { ...out, vxlan: { flags: p[0]!, vni, inner }, payload: new Uint8Array(0) };
  if (inner.error !== undefined) next.error = `vxlan.inner: ${inner.error}`;
  return next;
}
