/**
 * IPv4 text ↔ host-order number: the one dotted-quad helper of the tree (map views, the
 * calculation, the nftables fallback, .rodata constants, the lab). Maps hold network order; the
 * generated codecs convert. Pure.
 */

/** ipv4ToNumber parses dotted-quad text into a host-order unsigned number; throws on bad text. */
export function ipv4ToNumber(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`parse ipv4 address: "${text}" is not a dotted quad`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

/** ipv4FromNumber formats a host-order number as dotted-quad text. */
export function ipv4FromNumber(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** ipv4Bytes is a dotted address as the 4 network-order bytes a `__be32` holds. */
export function ipv4Bytes(text: string): Uint8Array {
  const n = ipv4ToNumber(text);
  return Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
}

/** ipv4Mask is the host-order netmask of a prefix length (0..32). */
export function ipv4Mask(len: number): number {
  return len === 0 ? 0 : (0xffff_ffff << (32 - len)) >>> 0;
}

/** normaliseIpv4Cidr clears host bits ("10.0.1.7/24" → "10.0.1.0/24"); a bare address is a /32. */
export function normaliseIpv4Cidr(cidr: string): string {
  const [addr = "", len = "32"] = cidr.split("/");
  const n = Number(len);
  return `${ipv4FromNumber((ipv4ToNumber(addr) & ipv4Mask(n)) >>> 0)}/${n}`;
}
