/**
 * cidrContains: whether one CIDR lies inside another (same family), by address bits. Pure.
 */
import { isIPv4 } from "node:net";

/** addressBits is an IPv4 or IPv6 address as a bigint (32 or 128 bits). */
export function addressBits(address: string): bigint {
  if (isIPv4(address))
    return address.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  const [head = "", tail] = address.split("::");
  const groups = (s: string): string[] => (s === "" ? [] : s.split(":"));
  let left = groups(head);
  let right = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail ("::ffff:1.2.3.4") is two groups.
  const v4 = (parts: string[]): string[] => {
    const last = parts.at(-1);
    if (last === undefined || !last.includes(".")) return parts;
    const n = addressBits(last);
    return [...parts.slice(0, -1), (n >> 16n).toString(16), (n & 0xffffn).toString(16)];
  };
  left = v4(left);
  right = v4(right);
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** cidrContains is true when `inner` lies within `outer`; both valid CIDRs of one family. */
export function cidrContains(outer: string, inner: string): boolean {
  const [oa = "", op = "0"] = outer.split("/");
  const [ia = "", ip = "0"] = inner.split("/");
  const width = isIPv4(oa) ? 32n : 128n;
  if ((isIPv4(ia) ? 32n : 128n) !== width) return false;
  const oPrefix = BigInt(op);
  if (BigInt(ip) < oPrefix) return false;
  const shift = width - oPrefix;
  return addressBits(oa) >> shift === addressBits(ia) >> shift;
}
