import { test } from "node:test";
import assert from "node:assert/strict";
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from "./address.ts";

test("parseIpv4() and formatIpv4() round-trip and reject non-quads", () => {
  assert.deepEqual(parseIpv4("198.18.0.1"), new Uint8Array([198, 18, 0, 1]));
  assert.equal(formatIpv4(parseIpv4("198.19.255.254")), "198.19.255.254");
  assert.throws(() => parseIpv4("198.18.0.256"), /not a dotted quad/);
  assert.throws(() => parseIpv4("198.18.0"), /not a dotted quad/);
});

test("parseIpv6() expands '::' and embedded IPv4", () => {
  assert.deepEqual(Array.from(parseIpv6("2001:db8::1")), [
    0x20,
    0x01,
    0x0d,
    0xb8,
    ...new Array<number>(11).fill(0),
    1,
  ]);
  assert.equal(formatIpv6(parseIpv6("::ffff:198.18.0.1")), "::ffff:c612:1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:0:0:0:198.18.0.1")), "2001:db8::c612:1");
  assert.equal(formatIpv6(parseIpv6("::")), "::");
  assert.throws(() => parseIpv6("2001:db8::1::2"), /not an IPv6 address/);
  assert.throws(() => parseIpv6("2001:db8:1:2:3:4:5"), /not an IPv6 address/);
  assert.throws(() => parseIpv6("2001:db8::g"), /not an IPv6 address/);
});

test("formatIpv6() prints the RFC 5952 canonical form", () => {
  assert.equal(formatIpv6(parseIpv6("2001:0DB8:0000:0000:0001:0000:0000:0001")), "2001:db8::1:0:0:1");
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:1:1:1:1:1")), "2001:db8:0:1:1:1:1:1"); // one zero group stays
  assert.equal(formatIpv6(parseIpv6("2001:db8:0:0:1:0:0:0")), "2001:db8:0:0:1::"); // longest run wins
  assert.equal(formatIpv6(parseIpv6("2001:db8::")), "2001:db8::");
});

test("parseMac() and formatMac() round-trip", () => {
  assert.equal(formatMac(parseMac("02:AA:00:00:00:01")), "02:aa:00:00:00:01");
  assert.throws(() => parseMac("02:aa:00:00:01"), /six hex octets/);
});
