/**
 * CRC32c (Castagnoli, reflected polynomial 0x82F63B78), the SCTP checksum of RFC 9260
 * appendix A. Table-driven, written from the RFC; kept apart from src/ so it can judge it.
 */

const table = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * crc32c returns the CRC32c of `bytes` as an unsigned 32-bit number. SCTP stores it in the
 * header little-endian (Linux: `cpu_to_le32`), i.e. the low byte of this value comes first.
 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = table[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
