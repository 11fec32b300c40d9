/**
 * TcpDnsStreams: DNS over TCP (RFC 7766) as the agent sees it — the server's segments of each
 * connection, held on their way to the pod, in the order they arrived. It follows each stream
 * from the SYN-ACK's sequence number, puts segments back in order (retransmissions and overlaps
 * trimmed, a few out-of-order ones kept), and cuts the two-byte length-prefixed messages out. A
 * message is complete only with its last byte, and that byte's segment is released after the
 * agent learned the message: so a large answer (a truncated UDP answer retried over TCP) opens
 * the door before the pod can read it, as a UDP one does.
 *
 * Pure (the clock comes in), bounded in streams, bytes and parked segments: the bytes come from
 * the network, so a stream that breaks a bound is dropped (and reported), never grown.
 */
import { TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from "./tcp-segment.ts";

export interface TcpDnsStreamsOptions {
  /** Most streams followed at once (the least recently used gives way). */
  readonly maxStreams?: number;
  /** Most bytes waiting per stream: one whole message and its length, plus one more. */
  readonly maxBufferedBytes?: number;
  /** Most out-of-order segments parked per stream. */
  readonly maxParked?: number;
  /** A stream with no segment for this long is forgotten. */
  readonly idleMs?: number;
}

/** TcpDnsPush is what one segment brought: the messages it completed, or why its stream was dropped. */
export interface TcpDnsPush {
  readonly messages: Uint8Array[];
  readonly dropped?: string;
}

interface Stream {
  /** The sequence number of the next byte in order. */
  next: number;
  buf: Uint8Array;
  readonly parked: Map<number, Uint8Array>;
  last: number;
}

const EMPTY = new Uint8Array(0);

/** seqDiff is a − b as a signed 32-bit sequence distance. */
const seqDiff = (a: number, b: number): number => (a - b) | 0;

export class TcpDnsStreams {
  readonly #streams = new Map<string, Stream>();
  readonly #maxStreams: number;
  readonly #maxBuffered: number;
  readonly #maxParked: number;
  readonly #idleMs: number;

  constructor(options: TcpDnsStreamsOptions = {}) {
    this.#maxStreams = options.maxStreams ?? 1024;
    this.#maxBuffered = options.maxBufferedBytes ?? 2 * (2 + 65535);
    this.#maxParked = options.maxParked ?? 64;
    this.#idleMs = options.idleMs ?? 30_000;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** push takes one segment from the server, seen at `now`. */
  push(seg: TcpSegment, now: number): TcpDnsPush {
    const key = `${seg.src}|${seg.srcPort}|${seg.dst}|${seg.dstPort}`;
    let s = this.#streams.get(key);
    if (seg.flags & TCP_RST) {
      this.#streams.delete(key);
      return { messages: [] };
    }
    let start = seg.seq;
    if (seg.flags & TCP_SYN) {
      start = (seg.seq + 1) >>> 0;
      // a repeated SYN-ACK (our ACK was lost) must not forget bytes already in order
      if (s === undefined || seqDiff(start, s.next) !== 0) {
        if (s === undefined && this.#streams.size >= this.#maxStreams) {
          const lru = this.#streams.keys().next().value;
          if (lru !== undefined) this.#streams.delete(lru);
        }
        s = { next: start, buf: EMPTY, parked: new Map(), last: now };
      }
    }
    if (s === undefined) {
      if (seg.payload.length === 0) return { messages: [] };
      return { messages: [], dropped: "a stream whose start (SYN-ACK) was not seen" };
    }
    // most recently used last: the first key is the one to evict
    this.#streams.delete(key);
    this.#streams.set(key, s);
    s.last = now;
    const dropped = this.#add(s, start, seg.payload);
    if (dropped !== undefined) {
      this.#streams.delete(key);
      return { messages: [], dropped };
    }
    const messages = cutMessages(s);
    if (seg.flags & TCP_FIN) this.#streams.delete(key);
    return { messages };
  }

  /** expire forgets streams idle since before now − idleMs; returns how many. */
  expire(now: number): number {
    let n = 0;
    for (const [key, s] of this.#streams)
      if (now - s.last >= this.#idleMs) {
        this.#streams.delete(key);
        n++;
      }
    return n;
  }

  #add(s: Stream, start: number, payload: Uint8Array): string | undefined {
    if (payload.length === 0) return undefined;
    const rel = seqDiff(start, s.next);
    if (rel + payload.length <= 0) return undefined; // all seen before: a retransmission
    if (rel > 0) {
      if (rel + payload.length > this.#maxBuffered) return `a segment ${rel} bytes ahead of the stream`;
      if (!s.parked.has(start) && s.parked.size >= this.#maxParked)
        return `more than ${this.#maxParked} segments out of order`;
      const had = s.parked.get(start);
      if (had === undefined || had.length < payload.length) s.parked.set(start, Uint8Array.from(payload));
      return undefined;
    }
    if (!this.#append(s, payload.subarray(-rel)))
      return `more than ${this.#maxBuffered} bytes without a whole message`;
    // parked segments the stream has now reached
    for (let moved = true; moved;) {
      moved = false;
      for (const [at, bytes] of s.parked) {
        const r = seqDiff(at, s.next);
        if (r > 0) continue;
        s.parked.delete(at);
        moved = true;
        if (r + bytes.length > 0 && !this.#append(s, bytes.subarray(-r)))
          return `more than ${this.#maxBuffered} bytes without a whole message`;
      }
    }
    return undefined;
  }

  #append(s: Stream, bytes: Uint8Array): boolean {
    if (s.buf.length + bytes.length > this.#maxBuffered) return false;
    const buf = new Uint8Array(s.buf.length + bytes.length);
    buf.set(s.buf);
    buf.set(bytes, s.buf.length);
    s.buf = buf;
    s.next = (s.next + bytes.length) >>> 0;
    return true;
  }
}

/** cutMessages takes every whole length-prefixed message off the front of the stream's bytes. */
function cutMessages(s: Stream): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (s.buf.length - off >= 2) {
    const len = (s.buf[off]! << 8) | s.buf[off + 1]!;
    if (s.buf.length - off - 2 < len) break;
    out.push(s.buf.slice(off + 2, off + 2 + len));
    off += 2 + len;
  }
  if (off > 0) s.buf = s.buf.slice(off);
  return out;
}
