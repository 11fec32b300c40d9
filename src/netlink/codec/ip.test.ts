import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeIp, encodeIp, parsePrefix } from "./ip.ts";
import { decodeMac, encodeMac } from "./mac.ts";

test("encodeIp()/decodeIp() round-trip IPv4 and IPv6 in network order", () => {
  assert.equal(encodeIp("198.18.0.1").toString("hex"), "c6120001");
  assert.equal(encodeIp("2001:db8::1").toString("hex"), "20010db8000000000000000000000001");
  assert.equal(encodeIp("::ffff:198.18.0.1").toString("hex"), "00000000000000000000ffffc6120001");
  assert.equal(encodeIp("::").toString("hex"), "0".repeat(32));
  for (const a of [
    "198.18.0.1",
    "2001:db8::1",
    "::",
    "::1",
    "2001:db8:0:1:1:1:1:1",
    "fe80::1:0:0:2",
    "2001:0:0:1::1",
  ]) {
    assert.equal(decodeIp(encodeIp(a)), a);
  }
  assert.throws(() => encodeIp("198.18.0"), /not an IPv4 or IPv6 address/);
});

test("parsePrefix() defaults to a host prefix and rejects bad lengths", () => {
  assert.deepEqual(parsePrefix("198.18.0.0/15"), { family: 4, address: "198.18.0.0", length: 15 });
  assert.deepEqual(parsePrefix("2001:db8::1"), { family: 6, address: "2001:db8::1", length: 128 });
  assert.throws(() => parsePrefix("198.18.0.0/33"), /0\.\.32/);
  assert.throws(() => parsePrefix("198.18.0.0/"), /prefix length/);
});

test("encodeMac()/decodeMac() round-trip", () => {
  assert.equal(encodeMac("02:00:00:00:00:AA").toString("hex"), "0200000000aa");
  assert.equal(decodeMac(Buffer.from("0200000000aa", "hex")), "02:00:00:00:00:aa");
  assert.throws(() => encodeMac("02:00:zz"), /parse mac/);
});
