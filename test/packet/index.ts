/** The packet test harness: build, parse, compare and check packets. Re-exports only. */
export { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from "./address.ts";
export { assertChecksumsValid, checksumProblems } from "./assert-checksums.ts";
export { ipPacket, packet } from "./build-packet.ts";
export { encodeTcpOptions } from "./build-tcp.ts";
export { concatBytes, fromHex, toHex } from "./bytes.ts";
export { crc32c } from "./crc32c.ts";
export { differingOffsets, hexDump } from "./hex-dump.ts";
export type { HexDumpOptions } from "./hex-dump.ts";
export { foldCarries, internetChecksum, onesComplementSum } from "./internet-checksum.ts";
export { assertFields, matchFields } from "./match-fields.ts";
export type { DeepPartial, PacketFields } from "./match-fields.ts";
export { assertPacketEqual, diffPackets, toParsed } from "./packet-diff.ts";
export type { DiffOptions, PacketLike } from "./packet-diff.ts";
export type * from "./packet-spec.ts";
export { parsePacket } from "./parse-packet.ts";
export type { ParseOptions } from "./parse-packet.ts";
export type * from "./parsed-packet.ts";
export {
  EtherType,
  IcmpCode,
  IcmpType,
  Icmpv6Type,
  IpProto,
  SctpChunkType,
  TcpFlag,
  VXLAN_PORT,
} from "./protocol-numbers.ts";
export type { TcpFlagName } from "./protocol-numbers.ts";
export { pseudoHeaderSum } from "./pseudo-header.ts";
