/**
 * tcpReleaseFrames (src/dns/tcp-segment.ts): a held TCP segment from a DNS server goes on with
 * whole checksums; a GSO aggregate longer than a link's MTU is cut into segments at the right
 * sequence numbers. Checked by the packet library's own parser and checksum verifier.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { RELEASE_CUT_IP_BYTES, tcpOfFrame, tcpReleaseFrames } from "../../src/dns/tcp-segment.ts";
import { assertChecksumsValid } from "./assert-checksums.ts";
import { packet } from "./index.ts";

const frame = (payload: Uint8Array, flags: ("ACK" | "PSH" | "FIN")[]): Uint8Array =>
  packet({
    eth: { dst: "02:00:00:00:01:0a", src: "02:00:00:00:ff:0a" },
    ipv4: { src: "198.18.0.53", dst: "198.18.1.10", ttl: 63 },
    tcp: {
      sport: 53,
      dport: 40000,
      seq: 0xffffff00,
      ack: 77,
      flags,
      options: [{ kind: "nop" }, { kind: "nop" }, { kind: "timestamp", value: 1, echo: 2 }],
    },
    payload,
  });

test("a small held segment goes on whole, its checksum made whole", () => {
  const good = frame(new Uint8Array(333).fill(9), ["ACK", "PSH"]);
  const partial = Uint8Array.from(good);
  partial[50] = partial[50]! ^ 0xff; // the TCP checksum
  assert.throws(() => assertChecksumsValid(partial));
  const out = tcpReleaseFrames(partial);
  assert.equal(out.length, 1);
  assertChecksumsValid(out[0]!);
  assert.deepEqual(out[0], good);
});

test("a 9 KB aggregate is cut into segments of at most 1280 IP bytes, same bytes at the same sequence numbers", () => {
  const payload = Uint8Array.from({ length: 9001 }, (_, i) => (i * 7) & 0xff);
  const big = frame(payload, ["ACK", "PSH", "FIN"]);
  const out = tcpReleaseFrames(big);
  assert.equal(out.length, Math.ceil(9001 / (RELEASE_CUT_IP_BYTES - 20 - 32)));
  const joined: number[] = [];
  let seq = 0xffffff00;
  for (const [i, f] of out.entries()) {
    assertChecksumsValid(f, `segment ${i}`);
    assert.ok(f.length - 14 <= RELEASE_CUT_IP_BYTES);
    const s = tcpOfFrame(f);
    assert.ok(!("error" in s));
    assert.equal(s.seq, seq >>> 0, `segment ${i} sequence number`);
    const last = i === out.length - 1;
    assert.equal((s.flags & 0x01) !== 0, last, "FIN only on the last");
    assert.equal((s.flags & 0x08) !== 0, last, "PSH only on the last");
    assert.ok((s.flags & 0x10) !== 0, "ACK on every one");
    seq += s.payload.length;
    joined.push(...s.payload);
  }
  assert.deepEqual(Uint8Array.from(joined), payload);
});

test("a frame that is not IPv4/TCP goes on unchanged", () => {
  const junk = new Uint8Array(60).fill(7);
  assert.deepEqual(tcpReleaseFrames(junk), [junk]);
});
