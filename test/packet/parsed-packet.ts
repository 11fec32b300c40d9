/**
 * ParsedPacket is what parsePacket() returns: plain data, addresses as text, every checksum with
 * the value found, the value it should be, and whether it verifies. Parsing never throws on bad
 * input; the first thing that stops it is described in `error` and everything before it is kept.
 */
import type { TcpFlagName } from "./protocol-numbers.ts";

/**
 * ChecksumCheck is one checksum field. `expected` is null when it cannot be computed (a quoted
 * packet cut short inside an ICMP error, a first fragment); `valid` is then false and
 * assertChecksumsValid() skips it.
 */
export interface ChecksumCheck {
  value: number;
  expected: number | null;
  valid: boolean;
}

/** ParsedEthernet is the Ethernet header; `type` is the EtherType after any VLAN tag. */
export interface ParsedEthernet {
  dst: string;
  src: string;
  type: number;
  vlan?: { tpid: number; pcp: number; dei: boolean; vid: number };
}

/** ParsedIpv4 is an IPv4 header with its flags decoded. */
export interface ParsedIpv4 {
  version: number;
  ihl: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  flags: ("RF" | "DF" | "MF")[];
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: ChecksumCheck;
  src: string;
  dst: string;
  options: Uint8Array;
}

/** ParsedIpv6Ext is one extension header; `fragment` fields are set for type 44. */
export interface ParsedIpv6Ext {
  type: number;
  nextHeader: number;
  length: number;
  data: Uint8Array;
  fragment?: { offset: number; more: boolean; id: number };
}

/** ParsedIpv6 is an IPv6 header; `nextHeader` is the fixed header's, `protocol` the chain's last. */
export interface ParsedIpv6 {
  version: number;
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  ext: ParsedIpv6Ext[];
  protocol: number;
}

/** ParsedTcpOption is a decoded TCP option, in the same shape the builder takes. */
export type ParsedTcpOption =
  | { kind: "mss"; value: number }
  | { kind: "wscale"; shift: number }
  | { kind: "sack-permitted" }
  | { kind: "timestamp"; value: number; echo: number }
  | { kind: "nop" }
  | { kind: "eol" }
  | { kind: "raw"; type: number; data: Uint8Array };

/** ParsedTcp is a TCP header. */
export interface ParsedTcp {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  dataOffset: number;
  flags: TcpFlagName[];
  window: number;
  checksum: ChecksumCheck;
  urgent: number;
  options: ParsedTcpOption[];
}

/** ParsedUdp is a UDP header. A zero checksum over IPv4 means "none" and counts as valid. */
export interface ParsedUdp {
  sport: number;
  dport: number;
  length: number;
  checksum: ChecksumCheck;
}

/** ParsedSctp is the SCTP common header and its first chunk. */
export interface ParsedSctp {
  sport: number;
  dport: number;
  vtag: number;
  checksum: ChecksumCheck;
  chunk?: { type: number; flags: number; length: number; data: Uint8Array };
}

/** ParsedIcmp is an ICMPv4 or ICMPv6 message; `inner` is the quoted packet of an error. */
export interface ParsedIcmp {
  type: number;
  /** Symbolic type, e.g. "EchoRequest", when known. */
  typeName?: string;
  code: number;
  checksum: ChecksumCheck;
  id?: number;
  seq?: number;
  mtu?: number;
  inner?: ParsedPacket;
}

/** ParsedVxlan is the VXLAN header and the Ethernet frame it carries. */
export interface ParsedVxlan {
  flags: number;
  vni: number;
  inner: ParsedPacket;
}

/** ParsedPacket is a decoded packet; sections appear for the layers that were present. */
export interface ParsedPacket {
  /** Bytes given to the parser. */
  length: number;
  eth?: ParsedEthernet;
  ipv4?: ParsedIpv4;
  ipv6?: ParsedIpv6;
  tcp?: ParsedTcp;
  udp?: ParsedUdp;
  sctp?: ParsedSctp;
  icmp?: ParsedIcmp;
  icmpv6?: ParsedIcmp;
  vxlan?: ParsedVxlan;
  /** Bytes after the last header parsed (application data, or an unparsed layer). */
  payload: Uint8Array;
  /** Bytes after the IP packet's own length (Ethernet padding), when there are any. */
  trailer?: Uint8Array;
  /**
   * Set on a packet quoted inside an ICMP error when it is cut short, which RFC 792 allows: header
   * fields past the cut read as zero and checksums over the missing bytes are not verified.
   */
  truncated?: true;
  /** Why parsing stopped early, as "<layer>: <reason>"; absent when the packet parsed cleanly. */
  error?: string;
}
