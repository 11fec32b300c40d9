/** IPv4 (RFC 791) and IPv6 (RFC 8200) header builders, including IPv6 extension headers. */
import { concatBytes, viewOf } from "./bytes.ts";
import { parseIpv4, parseIpv6 } from "./address.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { Ipv4Spec, Ipv6ExtSpec, Ipv6Spec } from "./packet-spec.ts";
import { IpProto } from "./protocol-numbers.ts";

/** buildIpv4 prepends an IPv4 header (options zero-padded to 4 bytes) to `payload`. */
export function buildIpv4(spec: Ipv4Spec, protocol: number, payload: Uint8Array): Uint8Array {
  const opts = spec.options ?? new Uint8Array(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const h = new Uint8Array(20 + optLen);
  const v = viewOf(h);
  h[0] = ((spec.version ?? 4) << 4) | ((spec.ihl ?? h.length / 4) & 0xf);
  h[1] = ((spec.dscp ?? 0) << 2) | ((spec.ecn ?? 0) & 3);
  v.setUint16(2, spec.totalLength ?? h.length + payload.length);
  v.setUint16(4, spec.id ?? 0);
  const flags = spec.flags ?? [];
  const flagBits =
    (flags.includes("RF") ? 0x8000 : 0) |
    (flags.includes("DF") ? 0x4000 : 0) |
    (flags.includes("MF") ? 0x2000 : 0);
  v.setUint16(6, flagBits | ((spec.fragOffset ?? 0) & 0x1fff));
  h[8] = spec.ttl ?? 64;
  h[9] = spec.protocol ?? protocol;
  h.set(parseIpv4(spec.src), 12);
  h.set(parseIpv4(spec.dst), 16);
  h.set(opts, 20);
  // Checksum over the bytes actually written, so an overridden IHL still gets a "correct" sum.
  v.setUint16(10, spec.checksum ?? internetChecksum(h));
  return concatBytes(h, payload);
}

function optionsHeader(next: number, options: Uint8Array): Uint8Array {
  // Length is in 8-octet units not counting the first 8; pad with a PadN option (RFC 8200 4.2).
  const total = Math.max(8, Math.ceil((2 + options.length) / 8) * 8);
  const h = new Uint8Array(total);
  h[0] = next;
  h[1] = total / 8 - 1;
  h.set(options, 2);
  const pad = total - 2 - options.length;
  if (pad === 1)
    h[2 + options.length] = 0; // Pad1
  else if (pad >= 2) {
    h[2 + options.length] = 1; // PadN
    h[3 + options.length] = pad - 2;
  }
  return h;
}

function extHeader(ext: Ipv6ExtSpec, next: number): Uint8Array {
  if (ext.type === "fragment") {
    const h = new Uint8Array(8);
    h[0] = next;
    viewOf(h).setUint16(2, (((ext.offset ?? 0) & 0x1fff) << 3) | (ext.more ? 1 : 0));
    viewOf(h).setUint32(4, (ext.id ?? 0) >>> 0);
    return h;
  }
  return optionsHeader(next, ext.options ?? new Uint8Array(0));
}

const extNumber = {
  "hop-by-hop": IpProto.HopByHop,
  "dest-opts": IpProto.DestOpts,
  fragment: IpProto.Fragment,
} as const;

/** buildIpv6 prepends the IPv6 header and extension headers (in spec order) to `payload`. */
export function buildIpv6(spec: Ipv6Spec, nextHeader: number, payload: Uint8Array): Uint8Array {
  const exts = spec.ext ?? [];
  const parts: Uint8Array[] = [];
  let next = spec.nextHeader ?? nextHeader;
  // Build back to front: each header names the one after it.
  for (let i = exts.length - 1; i >= 0; i--) {
    const ext = exts[i]!;
    parts.unshift(extHeader(ext, next));
    next = extNumber[ext.type];
  }
  const body = concatBytes(...parts, payload);
  const h = new Uint8Array(40);
  const v = viewOf(h);
  v.setUint32(
    0,
    ((((spec.version ?? 6) & 0xf) << 28) |
      (((spec.trafficClass ?? 0) & 0xff) << 20) |
      ((spec.flowLabel ?? 0) & 0xfffff)) >>>
      0,
  );
  v.setUint16(4, spec.payloadLength ?? body.length);
  h[6] = next;
  h[7] = spec.hopLimit ?? 64;
  h.set(parseIpv6(spec.src), 8);
  h.set(parseIpv6(spec.dst), 24);
  return concatBytes(h, body);
}
