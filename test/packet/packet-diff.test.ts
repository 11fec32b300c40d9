import { test } from "node:test";
import assert from "node:assert/strict";
import { assertChecksumsValid } from "./assert-checksums.ts";
import { packet } from "./build-packet.ts";
import { hexDump } from "./hex-dump.ts";
import { assertFields, matchFields } from "./match-fields.ts";
import { assertPacketEqual, diffPackets } from "./packet-diff.ts";
import { parsePacket } from "./parse-packet.ts";
import type { PacketSpec } from "./packet-spec.ts";

const spec = (dst: string, dport = 80): PacketSpec => ({
  ipv4: { src: "198.18.0.1", dst },
  tcp: { sport: 40000, dport, flags: ["SYN"] },
});

test("diffPackets() names each differing field with expected and actual values", () => {
  const lines = diffPackets(packet(spec("198.18.0.10")), spec("198.18.1.5", 8080));
  assert.ok(lines.includes("ipv4.dst: expected 198.18.1.5, got 198.18.0.10"), lines.join("\n"));
  assert.ok(lines.includes("tcp.dport: expected 8080, got 80"));
  assert.ok(lines.some((l) => l.startsWith("ipv4.checksum: expected 0x")));
  assert.deepEqual(
    diffPackets(packet(spec("198.18.0.10")), spec("198.18.1.5", 8080), { ignore: ["ipv4", "tcp.checksum"] }),
    ["tcp.dport: expected 8080, got 80"],
  );
  assert.deepEqual(diffPackets(spec("198.18.1.5"), packet(spec("198.18.1.5"))), []);
});

test("assertPacketEqual() fails with the field diff and marked hex dumps", () => {
  assert.throws(
    () => assertPacketEqual(packet(spec("198.18.0.10")), spec("198.18.1.5")),
    (e: Error) =>
      /ipv4\.dst: expected 198\.18\.1\.5, got 198\.18\.0\.10/.test(e.message) && e.message.includes("^^"),
  );
  assertPacketEqual(packet(spec("198.18.1.5")), spec("198.18.1.5"));
});

test("matchFields() checks only the fields given, including nested checksum verdicts", () => {
  const p = parsePacket(packet(spec("198.18.1.5")));
  assert.deepEqual(
    matchFields(p, { ipv4: { dst: "198.18.1.5", checksum: { valid: true } }, tcp: { flags: ["SYN"] } }),
    [],
  );
  assert.deepEqual(matchFields(p, { ipv4: { ttl: 63 }, udp: { dport: 53 } }), [
    "ipv4.ttl: expected 63, got 64",
    'udp: expected {"dport":53}, got (absent)',
  ]);
  assert.throws(() => assertFields(p, { tcp: { dport: 443 } }), /tcp\.dport: expected 443, got 80/);
});

test("assertChecksumsValid() names every bad checksum, inner ones included", () => {
  assertChecksumsValid(packet(spec("198.18.1.5")));
  const bad = packet({
    ipv4: { src: "198.18.0.10", dst: "198.18.0.11" },
    vxlan: {
      vni: 1,
      inner: {
        ipv4: { src: "198.18.0.1", dst: "198.18.1.5" },
        udp: { sport: 1, dport: 2, checksum: 0x1111 },
      },
    },
  });
  assert.throws(
    () => assertChecksumsValid(bad),
    /vxlan\.inner\.udp\.checksum: 0x1111 \(bad, correct is 0x[0-9a-f]{4}\)/,
  );
  assert.throws(
    () => assertChecksumsValid(packet({ ipv4: { src: "198.18.0.1", dst: "198.18.0.2", ihl: 3 } })),
    /parse error: ipv4: header length 12/,
  );
});

test("hexDump() prints offset, hex and ascii, and marks requested bytes", () => {
  const text = hexDump(new TextEncoder().encode("Sluice packet harness!"), { mark: new Set([1]) });
  assert.equal(
    text.split("\n")[0],
    "0000  53 6c 75 69 63 65 20 70  61 63 6b 65 74 20 68 61  |Sluice packet ha|",
  );
  assert.equal(text.split("\n")[1], "         ^^");
  assert.equal(hexDump(new Uint8Array(0)), "(0 bytes)");
});
