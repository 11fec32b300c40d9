import { test } from "node:test";
import assert from "node:assert/strict";
import { fromHex } from "./bytes.ts";
import { foldCarries, internetChecksum, onesComplementSum } from "./internet-checksum.ts";
import { crc32c } from "./crc32c.ts";
import { pseudoHeaderSum } from "./pseudo-header.ts";
import { parseIpv4, parseIpv6 } from "./address.ts";

test("onesComplementSum() matches the worked example of RFC 1071 section 3", () => {
  // RFC 1071: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (checksum 0x220d).
  const b = fromHex("0001f203f4f5f6f7");
  assert.equal(onesComplementSum(b), 0xddf2);
  assert.equal(internetChecksum(b), 0x220d);
});

test("internetChecksum() pads an odd trailing byte with zero on the right", () => {
  assert.equal(
    internetChecksum(fromHex("0001f203f4f5f6f7ab")),
    internetChecksum(fromHex("0001f203f4f5f6f7ab00")),
  );
});

test("internetChecksum() over data that includes its own checksum is 0", () => {
  const b = fromHex("0001f203f4f5f6f7220d");
  assert.equal(internetChecksum(b), 0);
});

test("foldCarries() folds repeatedly until 16 bits remain", () => {
  assert.equal(foldCarries(0x1fffe), 0xffff);
  assert.equal(foldCarries(0xffff_ffff), 0xffff);
  assert.equal(foldCarries(0x2_0001), 0x0003);
});

test("pseudoHeaderSum() for IPv4 matches a sum of its 12 bytes laid out by hand", () => {
  const src = parseIpv4("198.18.0.1");
  const dst = parseIpv4("198.18.1.5");
  const manual = new Uint8Array([...src, ...dst, 0, 17, 0, 14]);
  assert.equal(pseudoHeaderSum(src, dst, 17, 14), onesComplementSum(manual));
});

test("pseudoHeaderSum() for IPv6 uses a 32-bit length and the next header in the last byte", () => {
  const src = parseIpv6("2001:db8::1");
  const dst = parseIpv6("2001:db8::2");
  const manual = new Uint8Array(40);
  manual.set(src, 0);
  manual.set(dst, 16);
  manual.set([0, 1, 0, 0, 0, 0, 0, 6], 32); // length 0x10000 needs all 32 bits
  assert.equal(pseudoHeaderSum(src, dst, 6, 0x10000), onesComplementSum(manual));
});

test("pseudoHeaderSum() rejects mixed address sizes", () => {
  assert.throws(() => pseudoHeaderSum(new Uint8Array(4), new Uint8Array(16), 6, 0), /4 or 16 bytes/);
});

test("crc32c() matches the standard check value and the RFC 3720 appendix B.4 vectors", () => {
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
  // RFC 3720 lists the CRC as bytes on the wire (little-endian): aa 36 91 8a for 32 zero bytes.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
});
