/** IPv4 text ↔ host-order number, for the map views (maps hold network order; the codecs convert). */

/** ipv4ToNumber parses dotted-quad text into a host-order unsigned number; throws on bad text. */
export function ipv4ToNumber(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`parse ipv4: "${text}" is not a dotted-quad address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

/** ipv4FromNumber formats a host-order number as dotted-quad text. */
export function ipv4FromNumber(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
