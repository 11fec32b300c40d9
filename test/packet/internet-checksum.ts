/**
 * The RFC 1071 internet checksum, written from the RFC and nothing else. This file and its
 * siblings (pseudo-header.ts, crc32c.ts) are the oracle the datapath's incremental checksum
 * fixes are judged against, so they deliberately share no code with src/: a bug copied into
 * both sides would make every test agree with it.
 */

/**
 * onesComplementSum adds `bytes` as big-endian 16-bit words into a 16-bit one's-complement
 * sum, starting from `initial` (a previous partial sum, e.g. a pseudo-header's). An odd
 * trailing byte is padded with a zero byte on the right, as RFC 1071 section 4.1 says.
 */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  // Accumulate in a plain number: 2^53 leaves room for ~2^37 words before folding.
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (even !== bytes.length) sum += bytes[even]! << 8;
  return foldCarries(sum);
}

/** foldCarries folds the carries above bit 15 back into the low 16 bits (end-around carry). */
export function foldCarries(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * internetChecksum is the value to store in a checksum field: the one's complement of the
 * one's-complement sum of `bytes` (with the field itself zeroed by the caller), plus an optional
 * partial sum such as a pseudo-header's. A buffer that already holds a correct checksum gives 0.
 */
export function internetChecksum(bytes: Uint8Array, initial = 0): number {
  return ~onesComplementSum(bytes, initial) & 0xffff;
}
