/** ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) message builders. */
import { concatBytes, viewOf } from "./bytes.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import type { IcmpSpec, Icmpv6Spec } from "./packet-spec.ts";
import { IcmpType, Icmpv6Type, IpProto } from "./protocol-numbers.ts";
import { pseudoHeaderSum } from "./pseudo-header.ts";

const v4Types: Record<string, number> = {
  "echo-request": IcmpType.EchoRequest,
  "echo-reply": IcmpType.EchoReply,
  "dest-unreachable": IcmpType.DestUnreachable,
  "time-exceeded": IcmpType.TimeExceeded,
};
const v6Types: Record<string, number> = {
  "echo-request": Icmpv6Type.EchoRequest,
  "echo-reply": Icmpv6Type.EchoReply,
  "dest-unreachable": Icmpv6Type.DestUnreachable,
  "packet-too-big": Icmpv6Type.PacketTooBig,
  "time-exceeded": Icmpv6Type.TimeExceeded,
};

function typeNumber(type: string | number, table: Record<string, number>): number {
  if (typeof type === "number") return type;
  const n = table[type];
  if (n === undefined) throw new TypeError(`build icmp: unknown type "${type}"`);
  return n;
}

function header(type: number, spec: IcmpSpec | Icmpv6Spec, v6: boolean): Uint8Array {
  const h = new Uint8Array(8);
  const v = viewOf(h);
  h[0] = type;
  h[1] = spec.code ?? 0;
  const echo = v6
    ? type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply
    : type === IcmpType.EchoRequest || type === IcmpType.EchoReply;
  if (echo) {
    v.setUint16(4, spec.id ?? 0);
    v.setUint16(6, spec.seq ?? 0);
  } else if (spec.mtu !== undefined) {
    // ICMPv4 frag-needed keeps the MTU in the low 16 bits (RFC 1191); ICMPv6 PTB uses all 32.
    if (v6) v.setUint32(4, spec.mtu >>> 0);
    else v.setUint16(6, spec.mtu);
  }
  return h;
}

/** buildIcmp returns an ICMPv4 message; `body` is the quoted packet or echo data. No pseudo-header in v4. */
export function buildIcmp(spec: IcmpSpec, body: Uint8Array): Uint8Array {
  const msg = concatBytes(header(typeNumber(spec.type, v4Types), spec, false), body);
  viewOf(msg).setUint16(2, spec.checksum ?? internetChecksum(msg));
  return msg;
}

/** buildIcmpv6 returns an ICMPv6 message; its checksum covers the IPv6 pseudo-header (RFC 4443 2.3). */
export function buildIcmpv6(spec: Icmpv6Spec, body: Uint8Array, ip: IpEndpoints | undefined): Uint8Array {
  const msg = concatBytes(header(typeNumber(spec.type, v6Types), spec, true), body);
  const initial = ip ? pseudoHeaderSum(ip.src, ip.dst, IpProto.ICMPv6, msg.length) : 0;
  viewOf(msg).setUint16(2, spec.checksum ?? internetChecksum(msg, initial));
  return msg;
}
