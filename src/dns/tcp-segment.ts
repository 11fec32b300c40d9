/**
 * A held TCP segment from a DNS server (bpf/include/dns_hold.h holds TCP from port 53 too): what
 * the agent reads of it (tcpOfFrame) and how it is sent on (tcpReleaseFrames). A held frame can
 * be a GSO/GRO aggregate of a large answer — one "segment" of up to 64 KiB that the kernel would
 * have cut on the way — and a packet socket cannot send more than the link's MTU, so such a frame
 * is sent on as ordinary segments: the same bytes at the same sequence numbers, which the pod's
 * TCP cannot tell from what the server's stack would have sent.
 */
const ETH_HLEN = 14;
const ETHERTYPE_IPV4 = 0x0800;
const TCP = 6;

/** TCP flag bits as they sit in the header's 14th byte. */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/** Held frames up to this IPv4 length go on as they are; longer ones are cut. */
export const RELEASE_UNCUT_MAX = 1500;
/** A cut frame's IPv4 length: IPv6's minimum MTU, which every pod link reaches. */
export const RELEASE_CUT_IP_BYTES = 1280;

/** TcpSegment is what a held frame says when it is IPv4/TCP. */
export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Sequence number of the segment (of the SYN itself on a SYN). */
  readonly seq: number;
  readonly flags: number;
  readonly payload: Uint8Array;
}

interface Layout {
  readonly ihl: number;
  readonly thl: number;
  readonly total: number;
}

const ipv4 = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

function layoutOf(frame: Uint8Array): Layout | { readonly error: string } {
  if (frame.length < ETH_HLEN + 20 + 20) return { error: `frame of ${frame.length} bytes is too short` };
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_IPV4) return { error: "not IPv4" };
  const ihl = (frame[ETH_HLEN]! & 0x0f) * 4;
  if (frame[ETH_HLEN]! >> 4 !== 4 || ihl < 20) return { error: "bad IPv4 header" };
  if (frame[ETH_HLEN + 9] !== TCP) return { error: "not TCP" };
  // a GSO frame's IPv4 length is the whole aggregate's, as the stack wrote it
  const total = v.getUint16(ETH_HLEN + 2);
  if (total < ihl + 20 || ETH_HLEN + total > frame.length) return { error: "truncated IPv4 packet" };
  const thl = (frame[ETH_HLEN + ihl + 12]! >> 4) * 4;
  if (thl < 20 || ihl + thl > total) return { error: "bad TCP header" };
  return { ihl, thl, total };
}

/** tcpOfFrame parses Ethernet + IPv4 + TCP, or says why it cannot. */
export function tcpOfFrame(frame: Uint8Array): TcpSegment | { readonly error: string } {
  const l = layoutOf(frame);
  if ("error" in l) return l;
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const l4 = ETH_HLEN + l.ihl;
  return {
    src: ipv4(frame, ETH_HLEN + 12),
    dst: ipv4(frame, ETH_HLEN + 16),
    srcPort: v.getUint16(l4),
    dstPort: v.getUint16(l4 + 2),
    seq: v.getUint32(l4 + 4),
    flags: frame[l4 + 13]!,
    payload: frame.subarray(l4 + l.thl, ETH_HLEN + l.total),
  };
}

function sum16(b: Uint8Array, from: number, to: number, acc: number): number {
  for (let i = from; i < to; i += 2) acc += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  return acc;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** checksums writes a whole IPv4 header checksum and TCP checksum into an IPv4/TCP frame. */
function checksums(out: Uint8Array, ihl: number): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint16(ETH_HLEN + 10, 0);
  v.setUint16(ETH_HLEN + 10, fold(sum16(out, ETH_HLEN, ETH_HLEN + ihl, 0)));
  const total = v.getUint16(ETH_HLEN + 2);
  const l4 = ETH_HLEN + ihl;
  v.setUint16(l4 + 16, 0);
  let sum = sum16(out, ETH_HLEN + 12, ETH_HLEN + 20, 0) + TCP + (total - ihl);
  sum = sum16(out, l4, ETH_HLEN + total, sum);
  v.setUint16(l4 + 16, fold(sum));
}

/**
 * tcpReleaseFrames is what to send on for a held IPv4/TCP frame: the frame with whole checksums (a
 * copy taken while CHECKSUM_PARTIAL has only the pseudo-header sum), cut into segments of at most
 * RELEASE_CUT_IP_BYTES when it is longer than RELEASE_UNCUT_MAX. Cut segments keep the headers
 * (options included), advance the sequence number and IPv4 id, and only the last keeps FIN and
 * PSH (only the first, CWR). A frame that is not IPv4/TCP is returned alone, unchanged.
 */
export function tcpReleaseFrames(frame: Uint8Array): Uint8Array[] {
  const l = layoutOf(frame);
  if ("error" in l) return [frame];
  const headers = ETH_HLEN + l.ihl + l.thl;
  if (l.total <= RELEASE_UNCUT_MAX) {
    const out = Uint8Array.from(frame.subarray(0, ETH_HLEN + l.total));
    checksums(out, l.ihl);
    return [out];
  }
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const payload = frame.subarray(headers, ETH_HLEN + l.total);
  const chunk = RELEASE_CUT_IP_BYTES - l.ihl - l.thl;
  const seq = v.getUint32(ETH_HLEN + l.ihl + 4);
  const id = v.getUint16(ETH_HLEN + 4);
  const flags = frame[ETH_HLEN + l.ihl + 13]!;
  const out: Uint8Array[] = [];
  for (let off = 0, i = 0; off < payload.length; off += chunk, i++) {
    const part = payload.subarray(off, Math.min(payload.length, off + chunk));
    const seg = new Uint8Array(headers + part.length);
    seg.set(frame.subarray(0, headers));
    seg.set(part, headers);
    const sv = new DataView(seg.buffer);
    sv.setUint16(ETH_HLEN + 2, l.ihl + l.thl + part.length);
    sv.setUint16(ETH_HLEN + 4, (id + i) & 0xffff);
    sv.setUint32(ETH_HLEN + l.ihl + 4, (seq + off) >>> 0);
    const last = off + chunk >= payload.length;
    let f = flags;
    if (!last) f &= ~(TCP_FIN | TCP_PSH);
    if (i > 0) f &= ~TCP_CWR;
    seg[ETH_HLEN + l.ihl + 13] = f;
    checksums(seg, l.ihl);
    out.push(seg);
  }
  return out;
}
