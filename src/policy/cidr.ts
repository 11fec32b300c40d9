/**
 * Cidr is an IPv4 prefix as numbers: the network address (dotted order, host bits cleared) and
 * its length. parseCidr turns the IR's strings into it.
 */
import { ipv4Mask, ipv4ToNumber } from "../model/ipv4.ts";
export interface Cidr {
  readonly addr: number;
  readonly prefixLen: number;
}

/** parseCidr turns "10.0.0.0/8" (or a bare address, /32) into a Cidr; host bits are cleared. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addr = ipv4ToNumber(slash < 0 ? text : text.slice(0, slash));
  const lenText = slash < 0 ? "32" : text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32)
    throw new Error(`parse cidr: "${text}" has no valid prefix length`);
  const prefixLen = Number(lenText);
  return { addr: (addr & ipv4Mask(prefixLen)) >>> 0, prefixLen };
}

/** cidrContains tells whether addr is inside the prefix. */
export function cidrContains(cidr: Cidr, addr: number): boolean {
  return (addr & ipv4Mask(cidr.prefixLen)) >>> 0 === cidr.addr;
}
