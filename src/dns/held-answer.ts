/**
 * A DNS answer the datapath held (bpf/include/dns_hold.h): the pod's host-side veth it was going
 * to, and the whole Ethernet frame, to be sent on once learned. Over UDP the DNS message is the
 * payload; over TCP the payload is part of a stream (tcp-dns-streams.ts). The IPv4 source tells
 * whether a trusted server sent it.
 */
import {
  decodeSlDnsBigEvent,
  decodeSlDnsEvent,
  decodeSlEventHdr,
  SL_EVENT_DNS,
  SL_EVENT_DNS_BIG,
} from "../datapath/abi/abi.ts";

/** HeldAnswer is one held frame. */
export interface HeldAnswer {
  readonly ifindex: number;
  /** A copy of the Ethernet frame. */
  readonly frame: Uint8Array;
}

/** decodeHeldAnswer reads one sl_dns_events record (either size), or undefined for a record that is not one. */
export function decodeHeldAnswer(record: Uint8Array): HeldAnswer | undefined {
  let ev;
  try {
    const type = decodeSlEventHdr(record).type;
    if (type === SL_EVENT_DNS) ev = decodeSlDnsEvent(record);
    else if (type === SL_EVENT_DNS_BIG) ev = decodeSlDnsBigEvent(record);
    else return undefined;
  } catch {
    return undefined;
  }
  if (ev.frameLen === 0 || ev.frameLen > ev.frame.length) return undefined;
  return { ifindex: ev.ifindex, frame: Uint8Array.from(ev.frame.subarray(0, ev.frameLen)) };
}

/** UdpDatagram is what a frame carries, when it is IPv4/UDP. */
export interface UdpDatagram {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

const ETH_HLEN = 14;
const ETHERTYPE_IPV4 = 0x0800;
const UDP = 17;

const ipv4 = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/** udpOfFrame parses Ethernet + IPv4 + UDP, or says why it cannot. */
export function udpOfFrame(frame: Uint8Array): UdpDatagram | { readonly error: string } {
  if (frame.length < ETH_HLEN + 20 + 8) return { error: `frame of ${frame.length} bytes is too short` };
  const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (v.getUint16(12) !== ETHERTYPE_IPV4) return { error: "not IPv4" };
  const ihl = (frame[ETH_HLEN]! & 0x0f) * 4;
  if (frame[ETH_HLEN]! >> 4 !== 4 || ihl < 20) return { error: "bad IPv4 header" };
  if (frame[ETH_HLEN + 9] !== UDP) return { error: "not UDP" };
  const total = v.getUint16(ETH_HLEN + 2);
  const l4 = ETH_HLEN + ihl;
  if (total < ihl + 8 || ETH_HLEN + total > frame.length) return { error: "truncated IPv4 packet" };
  const udpLen = v.getUint16(l4 + 4);
  if (udpLen < 8 || l4 + udpLen > ETH_HLEN + total) return { error: "bad UDP length" };
  return {
    src: ipv4(frame, ETH_HLEN + 12),
    dst: ipv4(frame, ETH_HLEN + 16),
    srcPort: v.getUint16(l4),
    dstPort: v.getUint16(l4 + 2),
    payload: frame.subarray(l4 + 8, l4 + udpLen),
  };
}

/**
 * withUdpChecksum returns the frame with its UDP checksum computed over the whole datagram. A
 * held answer from a pod on the same node was copied while still CHECKSUM_PARTIAL (the checksum
 * field holds only the pseudo-header sum, the veth "offloads" the rest); sent on from a packet
 * socket it is CHECKSUM_NONE, and the pod's stack would drop it as corrupt. Frames that are not
 * IPv4/UDP are returned unchanged.
 */
export function withUdpChecksum(frame: Uint8Array): Uint8Array {
  const udp = udpOfFrame(frame);
  if ("error" in udp) return frame;
  const out = Uint8Array.from(frame);
  const l4 = ETH_HLEN + (out[ETH_HLEN]! & 0x0f) * 4;
  const udpLen = 8 + udp.payload.length;
  out[l4 + 6] = 0;
  out[l4 + 7] = 0;
  let sum = 0;
  for (let i = ETH_HLEN + 12; i < ETH_HLEN + 20; i += 2) sum += (out[i]! << 8) | out[i + 1]!;
  sum += UDP + udpLen;
  for (let i = 0; i < udpLen; i += 2) sum += (out[l4 + i]! << 8) | (i + 1 < udpLen ? out[l4 + i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  // RFC 768: a computed 0 is sent as 0xffff (0 means "no checksum").
  const csum = ~sum & 0xffff || 0xffff;
  out[l4 + 6] = csum >> 8;
  out[l4 + 7] = csum & 0xff;
  return out;
}
