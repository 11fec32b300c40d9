/**
 * IPv4 addresses and CIDR blocks as plain numbers, for the lab's address plan. Pure.
 */

/** Ipv4Cidr is a parsed `a.b.c.d/len` block; `base` is the network address as an unsigned 32-bit number. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

/** parseIpv4 turns dotted-quad text into an unsigned 32-bit number, or throws a RangeError. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RangeError(`parse ipv4 address: "${text}" is not a dotted quad`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** formatIpv4 turns an unsigned 32-bit number into dotted-quad text. */
export function formatIpv4(addr: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(addr / 2 ** s) % 256).join(".");
}

/** parseCidr reads `a.b.c.d/len`; host bits must be zero so a typo is not silently widened. */
export function parseCidr(text: string): Ipv4Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32) throw new RangeError(`parse cidr: "${text}" is not a.b.c.d/len`);
  const base = parseIpv4(m[1]!);
  const prefix = Number(m[2]);
  if (base % cidrSize({ base: 0, prefix }) !== 0) {
    throw new RangeError(`parse cidr: "${text}" has host bits set`);
  }
  return { base, prefix };
}

/** formatCidr is the inverse of parseCidr. */
export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

/** cidrSize is the number of addresses in the block (2^(32-prefix)). */
export function cidrSize(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** cidrContains tells whether `addr` lies inside `cidr`. */
export function cidrContains(cidr: Ipv4Cidr, addr: number): boolean {
  return addr >= cidr.base && addr < cidr.base + cidrSize(cidr);
}

/** cidrsOverlap tells whether two blocks share any address (one contains the other's base). */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return cidrContains(a, b.base) || cidrContains(b, a.base);
}

/** subnet returns the `index`-th block of length `prefix` inside `parent`, or throws when it does not fit. */
export function subnet(parent: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr {
  const count = 2 ** (prefix - parent.prefix);
  if (prefix < parent.prefix || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`subnet ${formatCidr(parent)}: no block #${index} of length /${prefix}`);
  }
  return { base: parent.base + index * 2 ** (32 - prefix), prefix };
}
