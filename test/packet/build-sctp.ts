/** SCTP packet builder: common header plus one chunk (RFC 9260 sections 3.1-3.2). */
import { concatBytes, viewOf } from "./bytes.ts";
import { crc32c } from "./crc32c.ts";
import type { SctpSpec } from "./packet-spec.ts";
import { SctpChunkType } from "./protocol-numbers.ts";

/**
 * buildSctp returns the SCTP packet. The chunk length field excludes padding, the chunk is padded
 * to 4 bytes, and the CRC32c covers the whole packet with the checksum field zeroed; `payload`
 * (if any) follows the padded chunk as extra raw bytes.
 */
export function buildSctp(spec: SctpSpec, payload: Uint8Array): Uint8Array {
  const data = spec.chunk?.data ?? new Uint8Array(0);
  const chunk = new Uint8Array(4 + data.length + ((4 - (data.length % 4)) % 4));
  chunk[0] = spec.chunk?.type ?? SctpChunkType.INIT;
  chunk[1] = spec.chunk?.flags ?? 0;
  viewOf(chunk).setUint16(2, 4 + data.length);
  chunk.set(data, 4);
  const header = new Uint8Array(12);
  const v = viewOf(header);
  v.setUint16(0, spec.sport);
  v.setUint16(2, spec.dport);
  v.setUint32(4, (spec.vtag ?? 0) >>> 0);
  const packet = concatBytes(header, chunk, payload);
  // Little-endian: the kernel stores cpu_to_le32(crc), so the CRC's low byte goes first.
  viewOf(packet).setUint32(8, (spec.checksum ?? crc32c(packet)) >>> 0, true);
  return packet;
}
