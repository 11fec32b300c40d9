/**
 * Protocol numbers the harness writes and names when it parses (IANA registries). Written out
 * here rather than taken from src/ so that a wrong constant in the datapath cannot hide behind
 * the same wrong constant in its test.
 */

/** EtherType values (IEEE 802 numbers) the builder and parser know. */
export const EtherType = { IPv4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QinQ: 0x88a8, IPv6: 0x86dd } as const;

/** IpProto holds IP protocol / IPv6 next-header numbers, including the extension headers. */
export const IpProto = {
  HopByHop: 0,
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  Routing: 43,
  Fragment: 44,
  ESP: 50,
  AH: 51,
  ICMPv6: 58,
  NoNext: 59,
  DestOpts: 60,
  SCTP: 132,
} as const;

/** IcmpType holds the ICMPv4 types the harness names (RFC 792). */
export const IcmpType = { EchoReply: 0, DestUnreachable: 3, EchoRequest: 8, TimeExceeded: 11 } as const;

/** IcmpCode holds the ICMPv4 destination-unreachable codes tests use; FragNeeded carries the next-hop MTU (RFC 1191). */
export const IcmpCode = {
  NetUnreachable: 0,
  HostUnreachable: 1,
  ProtoUnreachable: 2,
  PortUnreachable: 3,
  FragNeeded: 4,
  AdminProhibited: 13,
} as const;

/** Icmpv6Type holds the ICMPv6 types the harness names (RFC 4443). */
export const Icmpv6Type = {
  DestUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  EchoRequest: 128,
  EchoReply: 129,
} as const;

/** TcpFlag maps flag names to their bits in byte 13 of the TCP header. */
export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;
/** TcpFlagName is one of "FIN", "SYN", ... */
export type TcpFlagName = keyof typeof TcpFlag;

/** SctpChunkType holds the SCTP chunk types tests use (RFC 9260 section 3.2). */
export const SctpChunkType = {
  DATA: 0,
  INIT: 1,
  INIT_ACK: 2,
  SACK: 3,
  HEARTBEAT: 4,
  ABORT: 6,
  SHUTDOWN: 7,
  COOKIE_ECHO: 10,
  COOKIE_ACK: 11,
} as const;

/** VXLAN_PORT is the IANA UDP port for VXLAN (RFC 7348). */
export const VXLAN_PORT = 4789;

/** nameOf returns the key of `table` whose value is `value`, for readable parse output. */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string | undefined {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return undefined;
}
