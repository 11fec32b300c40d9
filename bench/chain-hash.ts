/**
 * chainHash names a chain the way kube-proxy does: the first 16 characters of the base32
 * (RFC 4648) SHA-256 of a stable text, so chain names have kube-proxy's length and spread. Pure.
 */
import { createHash } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** chainHash returns 16 base32 characters of sha256(text). */
export function chainHash(text: string): string {
  const bytes = createHash("sha256").update(text).digest();
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
    if (out.length >= 16) break;
  }
  return out;
}
