/**
 * Cidr is an IPv4 prefix as numbers: the network address (dotted order, host bits cleared) and
 * its length. parseCidr turns the IR's strings into it.
 */
export interface Cidr {
  readonly addr: number;
  readonly prefixLen: number;
}

/** parseIpv4 turns "10.1.2.3" into 0x0a010203; it throws on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`parse address: "${text}" is not an IPv4 address`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** formatIpv4 turns 0x0a010203 into "10.1.2.3". */
export function formatIpv4(addr: number): string {
  return [24, 16, 8, 0].map((s) => (addr >>> s) & 0xff).join(".");
}

/** prefixMask is the netmask of a prefix length as an unsigned 32-bit number. */
export function prefixMask(prefixLen: number): number {
  return prefixLen === 0 ? 0 : (0xffffffff << (32 - prefixLen)) >>> 0;
}

/** parseCidr turns "10.0.0.0/8" (or a bare address, /32) into a Cidr; host bits are cleared. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addr = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  const lenText = slash < 0 ? "32" : text.slice(slash + 1);
  if (!/^\d{1,2}$/.test(lenText) || Number(lenText) > 32)
    throw new Error(`parse cidr: "${text}" has no valid prefix length`);
  const prefixLen = Number(lenText);
  return { addr: (addr & prefixMask(prefixLen)) >>> 0, prefixLen };
}

/** cidrContains tells whether addr is inside the prefix. */
export function cidrContains(cidr: Cidr, addr: number): boolean {
  return (addr & prefixMask(cidr.prefixLen)) >>> 0 === cidr.addr;
}
