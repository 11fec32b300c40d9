/**
 * IP address text <-> bytes for netlink attributes (network byte order), and CIDR prefixes.
 * node:net validates; the byte conversion is done here because Node has no inet_pton.
 */
import { isIPv4, isIPv6 } from "node:net";

/** AddressFamily holds AF_INET and AF_INET6. */
export const AddressFamily = { INET: 2, INET6: 10 } as const;

/** IpFamily is 4 or 6. */
export type IpFamily = 4 | 6;

/** familyOf returns 4 or 6 for a valid address, throwing for anything else. */
export function familyOf(address: string): IpFamily {
  if (isIPv4(address)) return 4;
  if (isIPv6(address)) return 6;
  throw new RangeError(`parse address "${address}": not an IPv4 or IPv6 address`);
}

/** afOf maps 4/6 to AF_INET/AF_INET6. */
export function afOf(family: IpFamily): number {
  return family === 4 ? AddressFamily.INET : AddressFamily.INET6;
}

/** encodeIp returns the 4 or 16 network-order bytes of an address. */
export function encodeIp(address: string): Buffer {
  if (familyOf(address) === 4) return Buffer.from(address.split(".").map(Number));
  let text = address;
  // A trailing dotted quad (::ffff:198.18.0.1) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1] !== undefined) {
    const b = encodeIp(v4[1]);
    text =
      text.slice(0, -v4[1].length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<string>(zeros).fill("0"), ...right];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** decodeIp formats 4 or 16 network-order bytes (RFC 5952 for IPv6: longest zero run as "::"). */
export function decodeIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  if (bytes.length !== 16)
    throw new RangeError(`decode address: ${bytes.length} bytes is neither IPv4 nor IPv6`);
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return `${hex.slice(0, best).join(":")}::${hex.slice(best + bestLen).join(":")}`;
}

/** Prefix is a parsed CIDR: an address and a prefix length. */
export interface Prefix {
  readonly family: IpFamily;
  readonly address: string;
  readonly length: number;
}

/** parsePrefix parses "198.18.0.1/24" or a bare address (full-length prefix). */
export function parsePrefix(cidr: string): Prefix {
  const slash = cidr.indexOf("/");
  const address = slash < 0 ? cidr : cidr.slice(0, slash);
  const family = familyOf(address);
  const max = family === 4 ? 32 : 128;
  const length = slash < 0 ? max : Number(cidr.slice(slash + 1));
  if (
    !Number.isInteger(length) ||
    length < 0 ||
    length > max ||
    (slash >= 0 && cidr.slice(slash + 1) === "")
  ) {
    throw new RangeError(`parse prefix "${cidr}": prefix length must be 0..${max}`);
  }
  return { family, address, length };
}
