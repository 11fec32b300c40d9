/** ICMPv4 and ICMPv6 parsers; error messages get their quoted packet parsed too. */
import { viewOf } from "./bytes.ts";
import { headerBytes } from "./parse-context.ts";
import { inetCheck } from "./parse-l4.ts";
import type { L4Input, L4Result } from "./parse-l4.ts";
import type { ParsedIcmp, ParsedPacket } from "./parsed-packet.ts";
import { IcmpCode, IcmpType, Icmpv6Type, IpProto, nameOf } from "./protocol-numbers.ts";

/** QuotedParser parses a packet quoted in an ICMP error (passed in to avoid an import cycle). */
export type QuotedParser = (bytes: Uint8Array) => ParsedPacket;

const v4Errors: ReadonlySet<number> = new Set([IcmpType.DestUnreachable, 4, 5, IcmpType.TimeExceeded, 12]);
const v6Errors: ReadonlySet<number> = new Set([
  Icmpv6Type.DestUnreachable,
  Icmpv6Type.PacketTooBig,
  Icmpv6Type.TimeExceeded,
  4,
]);

function parse(input: L4Input, v6: boolean, quoted: QuotedParser): L4Result<ParsedIcmp> {
  const layer = v6 ? "icmpv6" : "icmp";
  const hb = headerBytes(input.bytes, 8, input.ctx, layer);
  if ("error" in hb) return hb;
  const h = hb.bytes;
  const v = viewOf(h);
  const type = h[0]!;
  const pseudo = v6 ? { ip: input.endpoints, proto: IpProto.ICMPv6 } : undefined;
  const msg: ParsedIcmp = {
    type,
    code: h[1]!,
    checksum: inetCheck(input.bytes, 2, pseudo, input.complete && !hb.cut),
  };
  const typeName = nameOf(v6 ? Icmpv6Type : IcmpType, type);
  if (typeName !== undefined) msg.typeName = typeName;
  const echo = v6
    ? type === Icmpv6Type.EchoRequest || type === Icmpv6Type.EchoReply
    : type === IcmpType.EchoRequest || type === IcmpType.EchoReply;
  if (echo) {
    msg.id = v.getUint16(4);
    msg.seq = v.getUint16(6);
  }
  if (v6 && type === Icmpv6Type.PacketTooBig) msg.mtu = v.getUint32(4);
  if (!v6 && type === IcmpType.DestUnreachable && msg.code === IcmpCode.FragNeeded) msg.mtu = v.getUint16(6);
  const body = input.bytes.slice(8);
  if ((v6 ? v6Errors : v4Errors).has(type) && body.length > 0 && !input.ctx.quoted) {
    msg.inner = quoted(body);
    if (msg.inner.error !== undefined)
      return { header: msg, payload: new Uint8Array(0), error: `${layer}.inner: ${msg.inner.error}` };
    return { header: msg, payload: new Uint8Array(0) };
  }
  return { header: msg, payload: body };
}

/** parseIcmp decodes an ICMPv4 message (checksum over the message only). */
export function parseIcmp(input: L4Input, quoted: QuotedParser): L4Result<ParsedIcmp> {
  return parse(input, false, quoted);
}

/** parseIcmpv6 decodes an ICMPv6 message (checksum includes the IPv6 pseudo-header). */
export function parseIcmpv6(input: L4Input, quoted: QuotedParser): L4Result<ParsedIcmp> {
  return parse(input, true, quoted);
}
