/**
 * Expected-output builders for the fuzz model: the input frame with an address, port, TTL or
 * MAC changed and every checksum it covers moved along by RFC 1624's incremental update
 * (HC' = ~(~HC + ~m + m')), which keeps a checksum that was wrong on input exactly as wrong —
 * what a router must do. Compared with `sameFrame`, which lets a checksum field differ only
 * between the two encodings of one's-complement zero (0x0000 / 0xffff).
 */
import { formatMac } from "../packet/address.ts";

/** ip4Words turns a dotted address into its two 16-bit words. */
function ip4Words(a: string): [number, number] {
  const p = a.split(".").map(Number);
  return [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
}

const get16 = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const put16 = (b: Uint8Array, o: number, v: number): void => {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
};

/** adjustChecksum applies RFC 1624 eqn. 3 for 16-bit words `from` → `to` to the checksum at `at`. */
export function adjustChecksum(
  b: Uint8Array,
  at: number,
  from: readonly number[],
  to: readonly number[],
): void {
  let sum = ~get16(b, at) & 0xffff;
  for (const w of from) sum += ~w & 0xffff;
  for (const w of to) sum += w;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  put16(b, at, ~sum & 0xffff);
}

/** L4 checksum offsets that cover the pseudo-header (TCP, UDP), relative to the L4 header. */
function l4ChecksumAt(proto: number): number | undefined {
  return proto === 6 ? 16 : proto === 17 ? 6 : undefined;
}

/** Where a frame's checksums sit, for `sameFrame`. */
export function checksumOffsets(l3: number, proto: number, l4: number | undefined): number[] {
  const at = l4ChecksumAt(proto);
  return at !== undefined && l4 !== undefined ? [l3 + 10, l4 + at] : [l3 + 10];
}

function adjustL4(
  b: Uint8Array,
  proto: number,
  l4: number | undefined,
  from: readonly number[],
  to: readonly number[],
): void {
  const at = l4ChecksumAt(proto);
  if (at === undefined || l4 === undefined || l4 + at + 2 > b.length) return;
  if (proto === 17 && get16(b, l4 + at) === 0) return; // UDP without checksum stays without
  adjustChecksum(b, l4 + at, from, to);
  if (proto === 17 && get16(b, l4 + at) === 0) put16(b, l4 + at, 0xffff);
}

/** setAddr rewrites the source (`which` "src") or destination address of the IPv4 header at l3; l4 undefined = no L4 header (later fragment). */
export function setAddr(
  b: Uint8Array,
  l3: number,
  which: "src" | "dst",
  addr: string,
  l4: number | undefined,
): void {
  const o = l3 + (which === "src" ? 12 : 16);
  const from = [get16(b, o), get16(b, o + 2)];
  const to = ip4Words(addr);
  put16(b, o, to[0]);
  put16(b, o + 2, to[1]);
  adjustChecksum(b, l3 + 10, from, to);
  adjustL4(b, b[l3 + 9]!, l4, from, to);
}

/** setPort rewrites the TCP/UDP/SCTP source or destination port at l4 (SCTP's CRC32c does not cover it incrementally: callers only keep it). */
export function setPort(b: Uint8Array, l3: number, l4: number, which: "src" | "dst", port: number): void {
  const o = l4 + (which === "src" ? 0 : 2);
  const from = get16(b, o);
  put16(b, o, port);
  adjustL4(b, b[l3 + 9]!, l4, [from], [port]);
}

/** decTtl decrements the TTL as a router does. */
export function decTtl(b: Uint8Array, l3: number): void {
  const from = get16(b, l3 + 8);
  b[l3 + 8] = b[l3 + 8]! - 1;
  adjustChecksum(b, l3 + 10, [from], [get16(b, l3 + 8)]);
}

/** setMacs writes the Ethernet destination and source. */
export function setMacs(b: Uint8Array, dst: string, src: string): void {
  b.set(
    dst.split(":").map((x) => parseInt(x, 16)),
    0,
  );
  b.set(
    src.split(":").map((x) => parseInt(x, 16)),
    6,
  );
}

/** sameFrame says actual equals expected, checksum fields up to the 0x0000/0xffff ambiguity; else names the first differing offset. */
export function sameFrame(
  actual: Uint8Array,
  expected: Uint8Array,
  checksums: readonly number[],
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === expected[i]) continue;
    const c = checksums.find((o) => i === o || i === o + 1);
    if (c !== undefined) {
      const a = get16(actual, c);
      const e = get16(expected, c);
      if ((a === 0 || a === 0xffff) && (e === 0 || e === 0xffff)) continue;
      return `checksum at ${c}: 0x${a.toString(16)}, expected 0x${e.toString(16)}`;
    }
    return `byte ${i}: 0x${actual[i]!.toString(16)}, expected 0x${expected[i]!.toString(16)}${i < 12 ? ` (mac ${formatMac(actual.subarray(i < 6 ? 0 : 6, i < 6 ? 6 : 12))})` : ""}`;
  }
  return undefined;
}
