/**
 * PacketSpec is the object a test writes to describe a packet, one optional section per layer.
 * Every length, checksum, protocol number and EtherType is computed unless the spec overrides
 * it; overriding is how malformed packets are made on purpose (a wrong IHL, a short UDP length,
 * a checksum of 0xdead). Fields named like the wire header keep the wire's meaning.
 */
import type { TcpFlagName } from "./protocol-numbers.ts";

/** Bytes or text (UTF-8) for a payload. */
export type PayloadSpec = Uint8Array | string;

/** VlanSpec is one 802.1Q tag. */
export interface VlanSpec {
  vid: number;
  pcp?: number;
  dei?: boolean;
  /** Tag protocol identifier; 0x8100 unless set (0x88a8 for an outer QinQ tag). */
  tpid?: number;
}

/** EthernetSpec is the Ethernet II header, optionally tagged. */
export interface EthernetSpec {
  /** Defaults to 02:00:00:00:00:01 (locally administered). */
  src?: string;
  /** Defaults to 02:00:00:00:00:02. */
  dst?: string;
  /** EtherType after any tag; defaults from the L3 section. */
  type?: number;
  vlan?: VlanSpec;
}

/** Ipv4Spec is an IPv4 header. `flags`/`fragOffset` make fragments; the override fields make bad headers. */
export interface Ipv4Spec {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  dscp?: number;
  ecn?: number;
  flags?: readonly ("DF" | "MF" | "RF")[];
  /** In 8-byte units, as on the wire. */
  fragOffset?: number;
  /** Raw option bytes, zero-padded to a multiple of 4. */
  options?: Uint8Array;
  /** Defaults from the L4 section present, else 253 (RFC 3692 experimental). */
  protocol?: number;
  /** Override: header length in 32-bit words (the bytes written are unchanged). */
  ihl?: number;
  /** Override: version nibble. */
  version?: number;
  /** Override: total length. */
  totalLength?: number;
  /** Override: header checksum. */
  checksum?: number;
}

/** Ipv6ExtSpec is one IPv6 extension header, written in the order given. */
export type Ipv6ExtSpec =
  | { type: "hop-by-hop" | "dest-opts"; options?: Uint8Array }
  | { type: "fragment"; offset?: number; more?: boolean; id?: number };

/** Ipv6Spec is an IPv6 header plus extension headers. */
export interface Ipv6Spec {
  src: string;
  dst: string;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  ext?: readonly Ipv6ExtSpec[];
  /** Next header of the last header in the chain; defaults from the L4 section present, else 253. */
  nextHeader?: number;
  /** Override: payload length. */
  payloadLength?: number;
  /** Override: version nibble. */
  version?: number;
}

/** TcpOptionSpec is one TCP option; `raw` writes kind, length and data as given. */
export type TcpOptionSpec =
  | { kind: "mss"; value: number }
  | { kind: "wscale"; shift: number }
  | { kind: "sack-permitted" }
  | { kind: "timestamp"; value: number; echo: number }
  | { kind: "nop" }
  | { kind: "eol" }
  | { kind: "raw"; type: number; data: Uint8Array };

/** TcpSpec is a TCP header; options are padded with NOPs to a 4-byte boundary. */
export interface TcpSpec {
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: readonly TcpFlagName[];
  window?: number;
  urgent?: number;
  options?: readonly TcpOptionSpec[];
  /** Override: data offset in 32-bit words. */
  dataOffset?: number;
  /** Override: checksum. */
  checksum?: number;
}

/** UdpSpec is a UDP header. A computed checksum of 0 is sent as 0xffff (RFC 768). */
export interface UdpSpec {
  sport: number;
  /** Defaults to 4789 (VXLAN), the only UDP encapsulation the harness builds. */
  dport?: number;
  /** Override: length field. */
  length?: number;
  /** Override: checksum; 0 means "no checksum" over IPv4. */
  checksum?: number;
}

/** SctpSpec is the SCTP common header with one chunk. */
export interface SctpSpec {
  sport: number;
  dport: number;
  vtag?: number;
  /** One chunk; defaults to an empty INIT-typed chunk header. */
  chunk?: { type?: number; flags?: number; data?: Uint8Array };
  /** Override: CRC32c value (as the little-endian number stored on the wire). */
  checksum?: number;
}

/** The packet an ICMP error quotes: an L3 spec (built without Ethernet) or raw bytes. */
export type InnerPacketSpec = L3PacketSpec | Uint8Array;

/** IcmpSpec is an ICMPv4 message. Names pick the type; `mtu` fills frag-needed's next-hop MTU. */
export interface IcmpSpec {
  type: "echo-request" | "echo-reply" | "dest-unreachable" | "time-exceeded" | number;
  code?: number;
  /** Echo identifier and sequence number. */
  id?: number;
  seq?: number;
  /** Next-hop MTU for dest-unreachable/frag-needed (code 4). */
  mtu?: number;
  /** The quoted packet of an error message; written after the 8-byte ICMP header. */
  inner?: InnerPacketSpec;
  /** Override: checksum. */
  checksum?: number;
}

/** Icmpv6Spec is an ICMPv6 message; `mtu` fills packet-too-big. */
export interface Icmpv6Spec {
  type: "echo-request" | "echo-reply" | "dest-unreachable" | "packet-too-big" | "time-exceeded" | number;
  code?: number;
  id?: number;
  seq?: number;
  mtu?: number;
  inner?: InnerPacketSpec;
  /** Override: checksum. */
  checksum?: number;
}

/** VxlanSpec is the 8-byte VXLAN header plus the encapsulated Ethernet frame. */
export interface VxlanSpec {
  vni: number;
  /** Flags byte; 0x08 (VNI valid) unless set. */
  flags?: number;
  inner: PacketSpec | Uint8Array;
}

/** L3PacketSpec is a packet that starts at the IP header (used for ICMP-quoted packets). */
export interface L3PacketSpec {
  ipv4?: Ipv4Spec;
  ipv6?: Ipv6Spec;
  tcp?: TcpSpec;
  udp?: UdpSpec;
  sctp?: SctpSpec;
  icmp?: IcmpSpec;
  icmpv6?: Icmpv6Spec;
  vxlan?: VxlanSpec;
  payload?: PayloadSpec;
  /** Bytes after the IP packet (Ethernet padding); not counted in any length. */
  trailer?: Uint8Array;
  /** Cut the finished bytes to this length (after all checksums were computed). */
  truncate?: number;
}

/** PacketSpec is a whole Ethernet frame; `eth` defaults to an untagged header with fixed MACs. */
export interface PacketSpec extends L3PacketSpec {
  eth?: EthernetSpec;
}
