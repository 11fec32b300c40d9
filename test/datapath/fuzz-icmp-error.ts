/**
 * The fuzz model's rule for ICMP errors about NATed flows (DESIGN §4: "ICMP errors for a NATed
 * flow get their inner header rewritten"): the quoted packet and the outer addresses are turned
 * into what the error's receiver knows. An error about a DNATed packet client → backend (it
 * matches the flow's NAT_REV entry in the client's direction) shows the client its frontend; an
 * error about a reverse-NATed reply frontend → client (the NAT_FWD entry, reply direction) goes
 * to the backend. Hairpin flows also swap the service loopback address. Every checksum the
 * change touches moves with it: the quoted IP header's, the quoted TCP/UDP one when the quote
 * holds it, and the ICMP checksum over all of that. Conntrack is only read.
 */
import { adjustChecksum, setAddr } from "./fuzz-bytes.ts";
import { ctKey, type ModelConntrack } from "./fuzz-conntrack.ts";
import { ip4At, u16, type Ipv4View } from "./fuzz-parse.ts";

/** IcmpRewrite is the rewritten frame, its extra checksum fields, and the new outer addresses. */
export interface IcmpRewrite {
  readonly bytes: Uint8Array;
  readonly checksums: readonly number[];
  readonly src: string;
  readonly dst: string;
}

const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

/** rewriteIcmpError returns the rewrite for an ICMP error about a NATed flow, or undefined. */
export function rewriteIcmpError(
  b0: Uint8Array,
  v: Ipv4View,
  ct: ModelConntrack,
  hairpinIp: string,
): IcmpRewrite | undefined {
  const q = v.l4 + 8;
  if (q + 20 > b0.length || b0[q]! >> 4 !== 4 || (b0[q]! & 15) < 5) return undefined;
  const qi = q + (b0[q]! & 15) * 4;
  if (qi + 8 > b0.length) return undefined;
  const proto = b0[q + 9]!;
  const isrc = ip4At(b0, q + 12);
  const idst = ip4At(b0, q + 16);
  const isp = proto === 1 ? u16(b0, qi + 4) : u16(b0, qi);
  const idp = proto === 1 ? u16(b0, qi + 4) : u16(b0, qi + 2);
  const k = ctKey(proto, isrc, isp, idst, idp);
  const e = ct.entries.get(k.key);
  if (e === undefined) return undefined;
  const quotedFwd = k.srcIsA === e.initA;
  const b = b0.slice();
  const l4c = proto === 6 ? qi + 16 : proto === 17 ? qi + 6 : undefined;
  const inner = (which: "src" | "dst", addr: string, port: number): void => {
    const ao = q + (which === "src" ? 12 : 16);
    const po = qi + (which === "src" ? 0 : 2);
    const oldA = [u16(b, ao), u16(b, ao + 2)];
    const p = addr.split(".").map(Number);
    const newA = [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
    adjustChecksum(b, q + 10, oldA, newA);
    const oldPort = u16(b, po);
    const portChanges = proto !== 1 && oldPort !== port;
    if (l4c !== undefined && l4c + 2 <= b.length && !(proto === 17 && u16(b, l4c) === 0)) {
      adjustChecksum(b, l4c, portChanges ? [...oldA, oldPort] : oldA, portChanges ? [...newA, port] : newA);
      if (proto === 17 && u16(b, l4c) === 0) put16(b, l4c, 0xffff);
    }
    b.set(p, ao);
    if (portChanges) put16(b, po, port);
  };
  let src = v.src;
  let dst = v.dst;
  if (e.type === "rev" && quotedFwd) {
    const backend = idst;
    inner("dst", e.natAddr, e.natPort);
    if (e.hairpin) inner("src", backend, isp);
    if (src === backend) src = e.natAddr;
    if (e.hairpin && dst === hairpinIp) dst = backend;
  } else if (e.type === "fwd" && !quotedFwd) {
    const frontend = isrc;
    const client = idst;
    inner("src", e.natAddr, e.natPort);
    if (e.hairpin) inner("dst", hairpinIp, idp);
    if (dst === frontend) dst = e.natAddr;
    if (e.hairpin && src === client) src = hairpinIp;
  } else {
    return undefined;
  }
  // the ICMP checksum covers everything after the ICMP header start, outer addresses excluded
  const from: number[] = [];
  const to: number[] = [];
  for (let o = q; o + 1 < b.length; o += 2) {
    const x = u16(b0, o);
    const y = u16(b, o);
    if (x !== y) {
      from.push(x);
      to.push(y);
    }
  }
  adjustChecksum(b, v.l4 + 2, from, to);
  if (src !== v.src) setAddr(b, 14, "src", src, undefined);
  if (dst !== v.dst) setAddr(b, 14, "dst", dst, undefined);
  return { bytes: b, checksums: [v.l4 + 2, q + 10, ...(l4c !== undefined ? [l4c] : [])], src, dst };
}
