/**
 * IPv4 addresses and CIDR blocks as plain numbers, for the lab's address plan. Pure.
 */
import { ipv4FromNumber, ipv4ToNumber } from "../src/model/ipv4.ts";

/** Ipv4Cidr is a parsed `a.b.c.d/len` block; `base` is the network address as an unsigned 32-bit number. */
export interface Ipv4Cidr {
  readonly base: number;
  readonly prefix: number;
}

/** parseIpv4 turns dotted-quad text into an unsigned 32-bit number, or throws a RangeError. */
export const parseIpv4 = ipv4ToNumber;

/** formatIpv4 turns an unsigned 32-bit number into dotted-quad text. */
export const formatIpv4 = ipv4FromNumber;

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
