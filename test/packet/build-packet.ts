/**
 * packet() turns a PacketSpec into wire bytes, innermost layer first so each outer layer can
 * count lengths and checksum what it carries. One L4 section at most; a spec that names two is
 * a test bug and throws.
 */
import { parseIpv4, parseIpv6, parseMac } from "./address.ts";
import { buildIcmp, buildIcmpv6 } from "./build-icmp.ts";
import { buildIpv4, buildIpv6 } from "./build-ip.ts";
import { buildSctp } from "./build-sctp.ts";
import { buildTcp } from "./build-tcp.ts";
import { buildUdp } from "./build-udp.ts";
import { concatBytes, payloadBytes, viewOf } from "./bytes.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import type { EthernetSpec, InnerPacketSpec, L3PacketSpec, PacketSpec, VxlanSpec } from "./packet-spec.ts";
import { EtherType, IpProto } from "./protocol-numbers.ts";

/** Default MACs: locally administered, so they never collide with a real NIC's. */
const defaultSrcMac = "02:00:00:00:00:01";
const defaultDstMac = "02:00:00:00:00:02";
/** RFC 3692 "use for experimentation": the protocol number of a payload with no L4 section. */
const experimentalProto = 253;

/** packet builds a full Ethernet frame from `spec` (Ethernet header defaults when `eth` is absent). */
export function packet(spec: PacketSpec): Uint8Array {
  const l3 = buildL3Body(spec);
  const type =
    spec.eth?.type ??
    (spec.ipv4 ? EtherType.IPv4 : spec.ipv6 ? EtherType.IPv6 : 0x88b5); /* local experimental */
  return finish(concatBytes(ethernetHeader(spec.eth ?? {}, type), l3), spec);
}

/** ipPacket builds a packet that starts at the IP header, as quoted inside ICMP errors. */
export function ipPacket(spec: L3PacketSpec): Uint8Array {
  return finish(buildL3Body(spec), spec);
}

function finish(bytes: Uint8Array, spec: L3PacketSpec): Uint8Array {
  const whole = spec.trailer ? concatBytes(bytes, spec.trailer) : bytes;
  return spec.truncate === undefined ? whole : whole.slice(0, spec.truncate);
}

function ethernetHeader(eth: EthernetSpec, type: number): Uint8Array {
  const h = new Uint8Array(eth.vlan ? 18 : 14);
  const v = viewOf(h);
  h.set(parseMac(eth.dst ?? defaultDstMac), 0);
  h.set(parseMac(eth.src ?? defaultSrcMac), 6);
  if (eth.vlan) {
    const { vid, pcp = 0, dei = false, tpid = EtherType.VLAN } = eth.vlan;
    v.setUint16(12, tpid);
    v.setUint16(14, ((pcp & 7) << 13) | (dei ? 0x1000 : 0) | (vid & 0xfff));
    v.setUint16(16, type);
  } else {
    v.setUint16(12, type);
  }
  return h;
}

function innerBytes(inner: InnerPacketSpec): Uint8Array {
  return inner instanceof Uint8Array ? inner : ipPacket(inner);
}

function vxlanBytes(vx: VxlanSpec): Uint8Array {
  const h = new Uint8Array(8);
  h[0] = vx.flags ?? 0x08;
  viewOf(h).setUint32(4, ((vx.vni & 0xffffff) << 8) >>> 0);
  return concatBytes(h, vx.inner instanceof Uint8Array ? vx.inner : packet(vx.inner));
}

function buildL3Body(spec: L3PacketSpec): Uint8Array {
  const l4Names = (["tcp", "udp", "sctp", "icmp", "icmpv6"] as const).filter((k) => spec[k] !== undefined);
  if (l4Names.length > 1)
    throw new TypeError(`build packet: at most one L4 section, got ${l4Names.join(", ")}`);
  if (spec.ipv4 && spec.ipv6) throw new TypeError("build packet: both ipv4 and ipv6 sections given");
  if (spec.vxlan && !spec.ipv4 && !spec.ipv6) throw new TypeError("build packet: vxlan needs an ip section");
  if (l4Names.length === 1 && !spec.ipv4 && !spec.ipv6)
    throw new TypeError(`build packet: ${l4Names[0]} needs an ip section`);

  const ip: IpEndpoints | undefined = spec.ipv4
    ? { src: parseIpv4(spec.ipv4.src), dst: parseIpv4(spec.ipv4.dst) }
    : spec.ipv6
      ? { src: parseIpv6(spec.ipv6.src), dst: parseIpv6(spec.ipv6.dst) }
      : undefined;
  let body = payloadBytes(spec.payload);
  let proto: number = experimentalProto;
  if (spec.vxlan) {
    body = concatBytes(vxlanBytes(spec.vxlan), body);
    body = buildUdp(spec.udp ?? { sport: 49152 }, body, ip);
    proto = IpProto.UDP;
  } else if (spec.tcp) {
    body = buildTcp(spec.tcp, body, ip);
    proto = IpProto.TCP;
  } else if (spec.udp) {
    body = buildUdp(spec.udp, body, ip);
    proto = IpProto.UDP;
  } else if (spec.sctp) {
    body = buildSctp(spec.sctp, body);
    proto = IpProto.SCTP;
  } else if (spec.icmp) {
    body = buildIcmp(spec.icmp, spec.icmp.inner ? concatBytes(innerBytes(spec.icmp.inner), body) : body);
    proto = IpProto.ICMP;
  } else if (spec.icmpv6) {
    body = buildIcmpv6(
      spec.icmpv6,
      spec.icmpv6.inner ? concatBytes(innerBytes(spec.icmpv6.inner), body) : body,
      ip,
    );
    proto = IpProto.ICMPv6;
  }
  if (spec.ipv4) return buildIpv4(spec.ipv4, proto, body);
  if (spec.ipv6) return buildIpv6(spec.ipv6, proto, body);
  return body;
}
