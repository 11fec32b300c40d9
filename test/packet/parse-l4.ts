/** TCP, UDP and SCTP parsers. Each verifies its checksum when the whole datagram is present. */
import { viewOf } from "./bytes.ts";
import { crc32c } from "./crc32c.ts";
import { internetChecksum } from "./internet-checksum.ts";
import type { IpEndpoints } from "./ip-endpoints.ts";
import { headerBytes } from "./parse-context.ts";
import type { ParseContext } from "./parse-context.ts";
import type { ChecksumCheck, ParsedSctp, ParsedTcp, ParsedTcpOption, ParsedUdp } from "./parsed-packet.ts";
import { IpProto, TcpFlag } from "./protocol-numbers.ts";
import type { TcpFlagName } from "./protocol-numbers.ts";
import { pseudoHeaderSum } from "./pseudo-header.ts";

/** L4Input is the upper-layer bytes and what the IP layer knows about them. */
export interface L4Input {
  bytes: Uint8Array;
  endpoints: IpEndpoints;
  /** The bytes are the whole datagram, so its checksum can be recomputed. */
  complete: boolean;
  ctx: ParseContext;
}

/** L4Result is a decoded header, the bytes after it, or why it could not be decoded. */
export type L4Result<T> = { header: T; payload: Uint8Array; error?: string } | { error: string };

/** inetCheck recomputes an internet checksum stored at `at`, with an optional pseudo-header. */
export function inetCheck(
  bytes: Uint8Array,
  at: number,
  pseudo: { ip: IpEndpoints; proto: number } | undefined,
  complete: boolean,
): ChecksumCheck {
  const value = bytes.length >= at + 2 ? viewOf(bytes).getUint16(at) : 0;
  if (!complete) return { value, expected: null, valid: false };
  const copy = bytes.slice();
  copy[at] = 0;
  copy[at + 1] = 0;
  const initial = pseudo ? pseudoHeaderSum(pseudo.ip.src, pseudo.ip.dst, pseudo.proto, bytes.length) : 0;
  const expected = internetChecksum(copy, initial);
  return { value, expected, valid: sameOnesComplement(value, expected) };
}

/**
 * sameOnesComplement tells whether two checksum values are equal as one's-complement numbers:
 * 0x0000 and 0xffff are both zero, and a receiver summing the header accepts either (RFC 1624
 * section 3), so an incremental update that lands on the other one is not a bug.
 */
export function sameOnesComplement(a: number, b: number): boolean {
  return a === b || (a === 0 && b === 0xffff) || (a === 0xffff && b === 0);
}

function tcpOptions(bytes: Uint8Array): ParsedTcpOption[] | string {
  const out: ParsedTcpOption[] = [];
  for (let i = 0; i < bytes.length;) {
    const kind = bytes[i]!;
    if (kind === 0 || kind === 1) {
      out.push({ kind: kind === 0 ? "eol" : "nop" });
      i++;
      continue;
    }
    const len = bytes[i + 1];
    if (len === undefined || len < 2 || i + len > bytes.length)
      return `tcp: option ${kind} at offset ${20 + i} has bad length ${len ?? "(missing)"}`;
    const v = viewOf(bytes.subarray(i, i + len));
    if (kind === 2 && len === 4) out.push({ kind: "mss", value: v.getUint16(2) });
    else if (kind === 3 && len === 3) out.push({ kind: "wscale", shift: bytes[i + 2]! });
    else if (kind === 4 && len === 2) out.push({ kind: "sack-permitted" });
    else if (kind === 8 && len === 10)
      out.push({ kind: "timestamp", value: v.getUint32(2), echo: v.getUint32(6) });
    else out.push({ kind: "raw", type: kind, data: bytes.slice(i + 2, i + len) });
    i += len;
  }
  return out;
}

/** parseTcp decodes a TCP header and options. */
export function parseTcp(input: L4Input): L4Result<ParsedTcp> {
  const { bytes, ctx } = input;
  const hb = headerBytes(bytes, 20, ctx, "tcp");
  if ("error" in hb) return hb;
  const v = viewOf(hb.bytes);
  const dataOffset = hb.bytes[12]! >> 4;
  const hlen = dataOffset * 4;
  const header: ParsedTcp = {
    sport: v.getUint16(0),
    dport: v.getUint16(2),
    seq: v.getUint32(4),
    ack: v.getUint32(8),
    dataOffset,
    flags: (Object.keys(TcpFlag) as TcpFlagName[]).filter((f) => hb.bytes[13]! & TcpFlag[f]),
    window: v.getUint16(14),
    checksum: inetCheck(bytes, 16, { ip: input.endpoints, proto: IpProto.TCP }, input.complete && !hb.cut),
    urgent: v.getUint16(18),
    options: [],
  };
  if (hb.cut) return { header, payload: new Uint8Array(0) };
  if (hlen < 20)
    return {
      header,
      payload: bytes.slice(20),
      error: `tcp: data offset ${dataOffset} (${hlen} bytes) is below the minimum 20`,
    };
  if (hlen > bytes.length && !ctx.quoted)
    return {
      header,
      payload: new Uint8Array(0),
      error: `tcp: data offset ${dataOffset} (${hlen} bytes) exceeds the ${bytes.length} bytes present`,
    };
  const opts = tcpOptions(bytes.subarray(20, Math.min(hlen, bytes.length)));
  if (typeof opts === "string") return { header, payload: bytes.slice(hlen), error: opts };
  header.options = opts;
  return { header, payload: bytes.slice(hlen) };
}

/** parseUdp decodes a UDP header; bytes past the UDP length are ignored, as the kernel does. */
export function parseUdp(input: L4Input, v4: boolean): L4Result<ParsedUdp> {
  const { bytes, ctx } = input;
  const hb = headerBytes(bytes, 8, ctx, "udp");
  if ("error" in hb) return hb;
  const v = viewOf(hb.bytes);
  const length = v.getUint16(4);
  const header: ParsedUdp = {
    sport: v.getUint16(0),
    dport: v.getUint16(2),
    length,
    checksum: { value: v.getUint16(6), expected: null, valid: false },
  };
  if (hb.cut) return { header, payload: new Uint8Array(0) };
  if (length < 8)
    return { header, payload: bytes.slice(8), error: `udp: length ${length} is below the header size 8` };
  if (length > bytes.length && !ctx.quoted)
    return {
      header,
      payload: bytes.slice(8),
      error: `udp: length ${length} exceeds the ${bytes.length} bytes present`,
    };
  const datagram = bytes.subarray(0, Math.min(length, bytes.length));
  const complete = input.complete && length <= bytes.length;
  if (v4 && header.checksum.value === 0)
    header.checksum = { value: 0, expected: 0, valid: true }; // "no checksum" (RFC 768)
  else {
    const c = inetCheck(datagram, 6, { ip: input.endpoints, proto: IpProto.UDP }, complete);
    // A sum that comes out 0 is sent as 0xffff; both encode the same one's-complement value.
    header.checksum = c.expected === 0 ? { value: c.value, expected: 0xffff, valid: c.value === 0xffff } : c;
  }
  return { header, payload: datagram.slice(8) };
}

/** parseSctp decodes the SCTP common header and first chunk, and checks the CRC32c. */
export function parseSctp(input: L4Input): L4Result<ParsedSctp> {
  const { bytes, ctx } = input;
  const hb = headerBytes(bytes, 12, ctx, "sctp");
  if ("error" in hb) return hb;
  const v = viewOf(hb.bytes);
  const value = v.getUint32(8, true);
  let expected: number | null = null;
  if (input.complete && !hb.cut) {
    const copy = bytes.slice();
    copy.fill(0, 8, 12);
    expected = crc32c(copy);
  }
  const header: ParsedSctp = {
    sport: v.getUint16(0),
    dport: v.getUint16(2),
    vtag: v.getUint32(4),
    checksum: { value, expected, valid: value === expected },
  };
  if (bytes.length < 16) return { header, payload: new Uint8Array(0) };
  const cv = viewOf(bytes.subarray(12));
  const length = cv.getUint16(2);
  if (length < 4 || 12 + length > bytes.length) {
    if (!ctx.quoted)
      return {
        header,
        payload: bytes.slice(12),
        error: `sctp: chunk length ${length} does not fit the ${bytes.length - 12} bytes present`,
      };
    ctx.truncated = true;
  }
  const chunkEnd = Math.min(12 + Math.max(length, 4), bytes.length);
  header.chunk = { type: bytes[12]!, flags: bytes[13]!, length, data: bytes.slice(16, chunkEnd) };
  const padded = Math.min(12 + Math.ceil(Math.max(length, 4) / 4) * 4, bytes.length);
  return { header, payload: bytes.slice(padded) };
}
