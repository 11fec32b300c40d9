/** TCP segment builder (RFC 9293 header layout, options padded with NOPs). */
import { concatBytes, viewOf } from "./bytes.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import type { TcpOptionSpec, TcpSpec } from "./packet-spec.ts";
import { IpProto, TcpFlag } from "./protocol-numbers.ts";
import { pseudoHeaderSum } from "./pseudo-header.ts";

/** encodeTcpOptions writes options in order and pads them with NOPs to a 4-byte multiple. */
export function encodeTcpOptions(options: readonly TcpOptionSpec[]): Uint8Array {
  const out: number[] = [];
  for (const o of options) {
    switch (o.kind) {
      case "eol":
        out.push(0);
        break;
      case "nop":
        out.push(1);
        break;
      case "mss":
        out.push(2, 4, (o.value >> 8) & 0xff, o.value & 0xff);
        break;
      case "wscale":
        out.push(3, 3, o.shift);
        break;
      case "sack-permitted":
        out.push(4, 2);
        break;
      case "timestamp": {
        const b = new Uint8Array(10);
        b[0] = 8;
        b[1] = 10;
        viewOf(b).setUint32(2, o.value >>> 0);
        viewOf(b).setUint32(6, o.echo >>> 0);
        out.push(...b);
        break;
      }
      case "raw":
        out.push(o.type, o.data.length + 2, ...o.data);
        break;
    }
  }
  while (out.length % 4 !== 0) out.push(1);
  return Uint8Array.from(out);
}

/**
 * buildTcp returns header + payload with the checksum computed over the pseudo-header of `ip`
 * (when given) unless the spec overrides it.
 */
export function buildTcp(spec: TcpSpec, payload: Uint8Array, ip: IpEndpoints | undefined): Uint8Array {
  const options = encodeTcpOptions(spec.options ?? []);
  const header = new Uint8Array(20);
  const v = viewOf(header);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint32(4, (spec.seq ?? 0) >>> 0);
  v.setUint32(8, (spec.ack ?? 0) >>> 0);
  const words = spec.dataOffset ?? (20 + options.length) / 4;
  header[12] = (words & 0xf) << 4;
  header[13] = (spec.flags ?? []).reduce((bits, f) => bits | TcpFlag[f], 0);
  v.setUint16(14, spec.window ?? 65535);
  v.setUint16(18, spec.urgent ?? 0);
  const segment = concatBytes(header, options, payload);
  const initial = ip ? pseudoHeaderSum(ip.src, ip.dst, IpProto.TCP, segment.length) : 0;
  viewOf(segment).setUint16(16, spec.checksum ?? internetChecksum(segment, initial));
  return segment;
}
