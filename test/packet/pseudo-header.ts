/**
 * Pseudo-header sums for TCP, UDP and ICMPv6 checksums (RFC 793/768 for IPv4, RFC 8200 section
 * 8.1 for IPv6). The datapath's `BPF_F_PSEUDO_HDR` fixes exist because these fields are covered,
 * so the oracle computes them from first principles.
 */
import { onesComplementSum } from "./internet-checksum.ts";

/**
 * pseudoHeaderSum is the one's-complement partial sum of the pseudo-header for an upper-layer
 * packet of `length` bytes carrying `protocol`, between 4-byte (IPv4) or 16-byte (IPv6) addresses.
 * Feed it as `initial` to internetChecksum over the upper-layer bytes.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  if (src.length !== dst.length || (src.length !== 4 && src.length !== 16)) {
    throw new RangeError(
      `pseudo-header: addresses must both be 4 or 16 bytes, got ${src.length} and ${dst.length}`,
    );
  }
  const v6 = src.length === 16;
  // IPv4: src, dst, zero, protocol, 16-bit length. IPv6: src, dst, 32-bit length, 3 zeros, next header.
  const ph = new Uint8Array(v6 ? 40 : 12);
  const view = new DataView(ph.buffer);
  ph.set(src, 0);
  ph.set(dst, src.length);
  if (v6) {
    view.setUint32(32, length);
    ph[39] = protocol;
  } else {
    ph[9] = protocol;
    view.setUint16(10, length & 0xffff);
  }
  return onesComplementSum(ph);
}
