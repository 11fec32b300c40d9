import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket from "dns-packet";
import { parseDnsAnswer } from "./dns-answer.ts";
import { TcpDnsStreams } from "./tcp-dns-streams.ts";
import { TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from "./tcp-segment.ts";

const ACK = 0x10;
const seg = (seq: number, payload: Uint8Array | number[], flags = ACK, dstPort = 40000): TcpSegment => ({
  src: "198.18.0.53",
  dst: "198.18.1.10",
  srcPort: 53,
  dstPort,
  seq: seq >>> 0,
  flags,
  payload: Uint8Array.from(payload),
});

/** A TCP DNS message: two-byte length, then an answer with `n` A records (large when n is large). */
const framed = (n: number, id = 7): Uint8Array => {
  const m = dnsPacket.encode({
    type: "response",
    id,
    questions: [{ type: "A", name: "allowed.lab.example" }],
    answers: Array.from({ length: n }, (_, i) => ({
      type: "A" as const,
      name: "allowed.lab.example",
      ttl: 30,
      data: `198.18.${(i >> 8) & 0xff}.${i & 0xff}`,
    })),
  });
  const out = new Uint8Array(m.length + 2);
  out[0] = m.length >> 8;
  out[1] = m.length & 0xff;
  out.set(m, 2);
  return out;
};

const cuts = (bytes: Uint8Array, at: number[]): Uint8Array[] =>
  [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length));

test("a message split across segments (its length prefix too) is whole only with its last byte", () => {
  const s = new TcpDnsStreams();
  const isn = 1000;
  assert.deepEqual(s.push(seg(isn, [], TCP_SYN | ACK), 0), { messages: [] });
  const msg = framed(200); // > 3 KB, like a truncated-UDP answer retried over TCP
  const parts = cuts(msg, [1, 1400, 2800]);
  let at = isn + 1;
  for (const [i, p] of parts.entries()) {
    const r = s.push(seg(at, p), 1);
    at += p.length;
    if (i < parts.length - 1) assert.deepEqual(r.messages, [], `part ${i} completes nothing`);
    else {
      assert.equal(r.messages.length, 1);
      assert.deepEqual(r.messages[0], msg.subarray(2));
      const a = parseDnsAnswer(r.messages[0]!);
      assert.ok(a.ok && a.answer.records.length === 200);
    }
  }
});

test("out of order, retransmitted and overlapping segments still give each message once, in order", () => {
  const s = new TcpDnsStreams();
  const isn = 0xfffffff0; // the stream wraps past 2^32
  s.push(seg(isn, [], TCP_SYN | ACK), 0);
  const two = new Uint8Array([...framed(3, 1), ...framed(40, 2)]);
  const [a, b, c, d] = cuts(two, [50, 300, 301]);
  const base = isn + 1;
  const got: Uint8Array[] = [];
  const push = (off: number, p: Uint8Array): void => {
    got.push(...s.push(seg(base + off, p), 1).messages);
  };
  push(300, c!); // early: parked
  push(50, b!); // early: parked
  assert.equal(got.length, 0);
  push(0, a!); // fills the gap: the first message, and the parked ones follow
  assert.equal(got.length, 1);
  push(0, a!); // a retransmission: nothing new
  push(40, two.subarray(40, 310)); // overlap on both sides
  push(301, d!);
  assert.equal(got.length, 2);
  assert.deepEqual(got[0], framed(3, 1).subarray(2));
  assert.deepEqual(got[1], framed(40, 2).subarray(2));
});

test("a stream whose SYN-ACK was not seen teaches nothing; RST and FIN end a stream; idle ones expire", () => {
  const s = new TcpDnsStreams({ idleMs: 1000 });
  assert.equal(s.push(seg(5, framed(1)), 0).dropped, "a stream whose start (SYN-ACK) was not seen");
  s.push(seg(10, [], TCP_SYN | ACK), 0);
  s.push(seg(11, framed(1).subarray(0, 5)), 0);
  assert.equal(s.size, 1);
  s.push(seg(16, [], TCP_RST), 0);
  assert.equal(s.size, 0);
  s.push(seg(10, [], TCP_SYN | ACK), 0);
  assert.equal(s.push(seg(11, framed(1), ACK | TCP_FIN), 0).messages.length, 1, "FIN with the last message");
  assert.equal(s.size, 0);
  s.push(seg(10, [], TCP_SYN | ACK), 0);
  assert.equal(s.expire(999), 0);
  assert.equal(s.expire(1000), 1);
});

test("bounds: bytes without a whole message, segments far ahead, too many parked, too many streams", () => {
  const s = new TcpDnsStreams({ maxBufferedBytes: 100, maxParked: 2, maxStreams: 2 });
  s.push(seg(0, [], TCP_SYN | ACK), 0);
  // a length prefix promising 65535 bytes, then more than 100 bytes of them
  assert.deepEqual(s.push(seg(1, [0xff, 0xff, ...new Array<number>(90).fill(1)]), 0).messages, []);
  assert.match(s.push(seg(93, new Array<number>(20).fill(1)), 0).dropped ?? "", /more than 100 bytes/);
  assert.equal(s.size, 0);
  s.push(seg(0, [], TCP_SYN | ACK), 0);
  assert.match(s.push(seg(1000, [1, 2, 3]), 0).dropped ?? "", /ahead of the stream/);
  s.push(seg(0, [], TCP_SYN | ACK), 0);
  s.push(seg(10, [1]), 0);
  s.push(seg(20, [1]), 0);
  assert.match(s.push(seg(30, [1]), 0).dropped ?? "", /more than 2 segments out of order/);
  for (const port of [1, 2, 3]) s.push(seg(0, [], TCP_SYN | ACK, port), 0);
  assert.equal(s.size, 2, "the least recently used stream gave way");
  assert.equal(s.push(seg(1, framed(1), ACK, 1), 0).dropped, "a stream whose start (SYN-ACK) was not seen");
  assert.equal(s.push(seg(1, framed(1), ACK, 3), 0).messages.length, 1);
});

test("1,000 random cuttings and orderings of three messages give exactly those messages", () => {
  let seed = 7;
  const rand = (n: number): number => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
  const msgs = [framed(1, 1), framed(60, 2), framed(5, 3)];
  const stream = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
  msgs.reduce((off, m) => (stream.set(m, off), off + m.length), 0);
  for (let round = 0; round < 1000; round++) {
    const s = new TcpDnsStreams();
    const isn = rand(2 ** 32);
    s.push(seg(isn, [], TCP_SYN | ACK), 0);
    const at = [...new Set(Array.from({ length: rand(8) }, () => 1 + rand(stream.length - 1)))].sort(
      (a, b) => a - b,
    );
    const parts = cuts(stream, at).map((p, i) => ({ off: [0, ...at][i]!, p }));
    // swap a few neighbours and duplicate one (reordering and retransmission in the network)
    for (let k = 0; k < 2 && parts.length > 1; k++) {
      const i = rand(parts.length - 1);
      [parts[i], parts[i + 1]] = [parts[i + 1]!, parts[i]!];
    }
    parts.push(parts[rand(parts.length)]!);
    const got = parts.flatMap(({ off, p }) => s.push(seg(isn + 1 + off, p), 0).messages);
    assert.deepEqual(
      got,
      msgs.map((m) => m.subarray(2)),
      `round ${round}`,
    );
  }
});
