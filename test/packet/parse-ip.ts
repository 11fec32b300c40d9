/** IPv4 and IPv6 (with extension headers) parsers; they hand the L4 bytes to parse-l4/parse-icmp. */
import { formatIpv4, formatIpv6 } from "./address.ts";
import { viewOf } from "./bytes.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import { headerBytes } from "./parse-context.ts";
import { sameOnesComplement } from "./parse-l4.ts";
import type { ParseContext } from "./parse-context.ts";
import type { ParsedIpv4, ParsedIpv6, ParsedIpv6Ext } from "./parsed-packet.ts";
import { IpProto } from "./protocol-numbers.ts";

/** IpParse is one IP layer decoded, plus what the next layer needs to know. */
export interface IpParse {
  ipv4?: ParsedIpv4;
  ipv6?: ParsedIpv6;
  /** Upper-layer protocol: IPv4 protocol or the last next-header of the IPv6 chain. */
  protocol: number;
  /** Upper-layer bytes, bounded by the IP length fields. */
  l4: Uint8Array;
  /** Bytes after the IP length (Ethernet padding). */
  trailer: Uint8Array;
  endpoints: IpEndpoints;
  /** False for a non-first fragment: the bytes are not an L4 header. */
  hasL4Header: boolean;
  /** False when the L4 bytes are only part of the datagram (a fragment, a cut quote), so its checksum cannot be checked. */
  l4Complete: boolean;
  error?: string;
}

function bound(
  data: Uint8Array,
  start: number,
  declaredEnd: number,
  ctx: ParseContext,
  layer: string,
  what: string,
): { end: number; error?: string } {
  if (declaredEnd <= data.length) return { end: declaredEnd };
  if (ctx.quoted) {
    ctx.truncated = true;
    return { end: data.length };
  }
  return {
    end: data.length,
    error: `${layer}: ${what} ${declaredEnd - start} exceeds the ${data.length - start} bytes present`,
  };
}

/** parseIpv4 decodes an IPv4 header at the start of `data`. */
export function parseIpv4(data: Uint8Array, ctx: ParseContext): IpParse | { error: string } {
  const hb = headerBytes(data, 20, ctx, "ipv4");
  if ("error" in hb) return hb;
  const h = hb.bytes;
  const v = viewOf(h);
  const ihl = h[0]! & 0xf;
  const hlen = ihl * 4;
  const fragWord = v.getUint16(6);
  const options = hlen > 20 ? data.slice(20, Math.min(hlen, data.length)) : new Uint8Array(0);
  const endpoints = { src: h.slice(12, 16), dst: h.slice(16, 20) };
  const checksumOk = hlen >= 20 && data.length >= hlen;
  const expected = checksumOk
    ? internetChecksum(new Uint8Array([...data.subarray(0, 10), 0, 0, ...data.subarray(12, hlen)]))
    : null;
  const value = v.getUint16(10);
  const ipv4: ParsedIpv4 = {
    version: h[0]! >> 4,
    ihl,
    dscp: h[1]! >> 2,
    ecn: h[1]! & 3,
    totalLength: v.getUint16(2),
    id: v.getUint16(4),
    flags: (["RF", "DF", "MF"] as const).filter((_, i) => fragWord & (0x8000 >> i)),
    fragOffset: fragWord & 0x1fff,
    ttl: h[8]!,
    protocol: h[9]!,
    checksum: { value, expected, valid: expected !== null && sameOnesComplement(value, expected) },
    src: formatIpv4(endpoints.src),
    dst: formatIpv4(endpoints.dst),
    options,
  };
  const base = {
    ipv4,
    protocol: ipv4.protocol,
    endpoints,
    l4: new Uint8Array(0),
    trailer: new Uint8Array(0),
    hasL4Header: false,
    l4Complete: false,
  };
  if (ipv4.version !== 4) return { ...base, error: `ipv4: version ${ipv4.version}, want 4` };
  if (hlen < 20)
    return { ...base, error: `ipv4: header length ${hlen} (ihl ${ihl}) is below the minimum 20` };
  if (data.length < hlen && !ctx.quoted)
    return { ...base, error: `ipv4: header length ${hlen} exceeds the ${data.length} bytes present` };
  if (ipv4.totalLength < hlen)
    return { ...base, error: `ipv4: total length ${ipv4.totalLength} is below the header length ${hlen}` };
  const b = bound(data, 0, ipv4.totalLength, ctx, "ipv4", "total length");
  if (b.error !== undefined) return { ...base, error: b.error };
  const fragment = ipv4.fragOffset !== 0 || ipv4.flags.includes("MF");
  return {
    ...base,
    l4: data.slice(Math.min(hlen, b.end), b.end),
    trailer: data.slice(b.end),
    hasL4Header: ipv4.fragOffset === 0,
    l4Complete: !fragment && !ctx.truncated,
  };
}

const extTypes: ReadonlySet<number> = new Set([
  IpProto.HopByHop,
  IpProto.Routing,
  IpProto.Fragment,
  IpProto.DestOpts,
  IpProto.AH,
]);

/** parseIpv6 decodes an IPv6 header and walks its extension-header chain. */
export function parseIpv6(data: Uint8Array, ctx: ParseContext): IpParse | { error: string } {
  const hb = headerBytes(data, 40, ctx, "ipv6");
  if ("error" in hb) return hb;
  const h = hb.bytes;
  const v = viewOf(h);
  const word = v.getUint32(0);
  const endpoints = { src: h.slice(8, 24), dst: h.slice(24, 40) };
  const ipv6: ParsedIpv6 = {
    version: word >>> 28,
    trafficClass: (word >>> 20) & 0xff,
    flowLabel: word & 0xfffff,
    payloadLength: v.getUint16(4),
    nextHeader: h[6]!,
    hopLimit: h[7]!,
    src: formatIpv6(endpoints.src),
    dst: formatIpv6(endpoints.dst),
    ext: [],
    protocol: h[6]!,
  };
  const base = {
    ipv6,
    protocol: ipv6.protocol,
    endpoints,
    l4: new Uint8Array(0),
    trailer: new Uint8Array(0),
    hasL4Header: false,
    l4Complete: false,
  };
  if (ipv6.version !== 6) return { ...base, error: `ipv6: version ${ipv6.version}, want 6` };
  const b = bound(data, 40, 40 + ipv6.payloadLength, ctx, "ipv6", "payload length");
  if (b.error !== undefined) return { ...base, error: b.error };
  const end = Math.max(40, b.end);
  let off = 40;
  let next = ipv6.nextHeader;
  let firstFragment = true;
  let fragmented = false;
  while (extTypes.has(next)) {
    if (off + 8 > end) {
      if (ctx.quoted) {
        ctx.truncated = true;
        break;
      }
      return { ...base, error: `ipv6: extension header ${next} at offset ${off} is truncated` };
    }
    // AH counts its length in 4-byte units minus 2 (RFC 4302); the others in 8-byte units minus 1.
    const len =
      next === IpProto.AH
        ? (data[off + 1]! + 2) * 4
        : next === IpProto.Fragment
          ? 8
          : (data[off + 1]! + 1) * 8;
    if (off + len > end && !ctx.quoted)
      return {
        ...base,
        error: `ipv6: extension header ${next} of ${len} bytes at offset ${off} is truncated`,
      };
    const ext: ParsedIpv6Ext = {
      type: next,
      nextHeader: data[off]!,
      length: len,
      data: data.slice(off + 2, Math.min(off + len, end)),
    };
    if (next === IpProto.Fragment) {
      const fw = viewOf(data).getUint16(off + 2);
      ext.fragment = { offset: fw >> 3, more: (fw & 1) === 1, id: viewOf(data).getUint32(off + 4) };
      // An atomic fragment (offset 0, no more) still holds the whole datagram (RFC 6946).
      fragmented = fragmented || ext.fragment.offset !== 0 || ext.fragment.more;
      firstFragment = ext.fragment.offset === 0;
    }
    ipv6.ext.push(ext);
    next = ext.nextHeader;
    off += len;
  }
  ipv6.protocol = next;
  return {
    ...base,
    protocol: next,
    l4: data.slice(Math.min(off, end), end),
    trailer: data.slice(end),
    hasL4Header: firstFragment,
    l4Complete: !fragmented && !ctx.truncated,
  };
}
