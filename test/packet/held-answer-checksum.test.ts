/**
 * withUdpChecksum (src/dns/held-answer.ts): a held DNS answer copied while CHECKSUM_PARTIAL
 * carries only the pseudo-header sum; released as is, the pod drops it. The checksum it writes
 * must verify (checked by the packet library's own parser), odd lengths included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket from "dns-packet";
import { withUdpChecksum } from "../../src/dns/held-answer.ts";
import { assertChecksumsValid } from "./assert-checksums.ts";
import { packet } from "./index.ts";

const answer = (name: string): Uint8Array =>
  packet({
    eth: { dst: "02:00:00:00:01:0a", src: "02:00:00:00:ff:0a" },
    ipv4: { src: "198.18.0.53", dst: "198.18.1.10", ttl: 63 },
    udp: { sport: 53, dport: 40000 },
    payload: dnsPacket.encode({
      type: "response",
      id: 7,
      questions: [{ type: "A", name }],
      answers: [{ type: "A", name, ttl: 3, data: "198.18.2.2" }],
    }),
  });

test("a released answer's UDP checksum is recomputed over the whole datagram", () => {
  for (const name of ["allowed.lab.example", "allowed.lab.example.x"]) {
    const good = answer(name);
    const l4 = 14 + 20;
    const partial = Uint8Array.from(good);
    partial[l4 + 6] = 0x12;
    partial[l4 + 7] = 0x34;
    assert.throws(() => assertChecksumsValid(partial), "the corrupted frame must not verify");
    const fixed = withUdpChecksum(partial);
    assertChecksumsValid(fixed, `${name} (${good.length} bytes)`);
    assert.deepEqual(fixed, good, "only the checksum changes, to what a sender computes");
  }
});

test("a frame that is not IPv4/UDP is returned unchanged", () => {
  const junk = new Uint8Array(60).fill(7);
  assert.equal(withUdpChecksum(junk), junk);
});
