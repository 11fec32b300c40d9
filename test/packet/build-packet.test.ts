import { test } from "node:test";
import assert from "node:assert/strict";
import { ipPacket, packet } from "./build-packet.ts";
import { fromHex, toHex } from "./bytes.ts";
import { crc32c } from "./crc32c.ts";

// Known answers built by a second, independent implementation: python3 with only `struct` and
// `socket.inet_pton`, laying out each header by hand (see the commit that added this file).
const pythonUdp4 =
  "0200000000020200000000010800450000221234400040119b6cc6120001c612010513880035000e12af736c75696365";
const pythonTcp6 =
  "02000000000202000000000186dd600000000018064020010db800000000000000000000000120010db8000000000000" +
  "0000000000029c4001bb000003e8000000006002faf09ff10000020405a0";
const pythonIcmp6 =
  "02000000000202000000000186dd60000000000c3a4020010db800000000000000000000000120010db8000000000000" +
  "000000000002800045710001000170696e67";

test("packet() builds UDP over IPv4 byte-identical to an independent python build", () => {
  const p = packet({
    ipv4: { src: "198.18.0.1", dst: "198.18.1.5", id: 0x1234, flags: ["DF"] },
    udp: { sport: 5000, dport: 53 },
    payload: "sluice",
  });
  assert.equal(toHex(p), pythonUdp4);
});

test("packet() builds a TCP SYN with MSS over IPv6 byte-identical to an independent python build", () => {
  const p = packet({
    ipv6: { src: "2001:db8::1", dst: "2001:db8::2" },
    tcp: {
      sport: 40000,
      dport: 443,
      seq: 1000,
      flags: ["SYN"],
      window: 64240,
      options: [{ kind: "mss", value: 1440 }],
    },
  });
  assert.equal(toHex(p), pythonTcp6);
});

test("packet() builds an ICMPv6 echo request byte-identical to an independent python build", () => {
  const p = packet({
    ipv6: { src: "2001:db8::1", dst: "2001:db8::2" },
    icmpv6: { type: "echo-request", id: 1, seq: 1 },
    payload: "ping",
  });
  assert.equal(toHex(p), pythonIcmp6);
});

test("packet() inserts an 802.1Q tag before the EtherType", () => {
  const p = packet({
    eth: { vlan: { vid: 100, pcp: 5, dei: true } },
    ipv4: { src: "198.18.0.1", dst: "198.18.0.2" },
  });
  assert.equal(toHex(p.subarray(12, 18)), "8100b0640800");
});

test("packet() writes IPv4 DSCP, ECN, TTL, fragment fields and pads options to 4 bytes", () => {
  const p = packet({
    ipv4: {
      src: "198.18.0.1",
      dst: "198.18.0.2",
      dscp: 46,
      ecn: 1,
      ttl: 3,
      flags: ["MF"],
      fragOffset: 185,
      options: fromHex("940400"),
    },
    payload: "x",
  });
  const ip = p.subarray(14);
  assert.equal(ip[0], 0x46); // IHL 6: 20 + 3 option bytes padded to 4
  assert.equal(ip[1], (46 << 2) | 1);
  assert.equal(toHex(ip.subarray(6, 9)), "20b903");
  assert.equal(toHex(ip.subarray(20, 24)), "94040000");
  assert.equal(ip[9], 253); // no L4 section: RFC 3692 experimental protocol
});

test("packet() overrides make malformed headers on purpose and truncate cuts the bytes", () => {
  const p = packet({
    ipv4: { src: "198.18.0.1", dst: "198.18.0.2", ihl: 4, version: 5, totalLength: 999, checksum: 0xdead },
    udp: { sport: 1, dport: 2, length: 3, checksum: 0 },
  });
  const ip = p.subarray(14);
  assert.equal(ip[0], 0x54);
  assert.equal(toHex(ip.subarray(2, 4)), "03e7");
  assert.equal(toHex(ip.subarray(10, 12)), "dead");
  assert.equal(toHex(ip.subarray(24, 28)), "00030000");
  assert.equal(packet({ ipv4: { src: "198.18.0.1", dst: "198.18.0.2" }, truncate: 20 }).length, 20);
});

test("packet() writes IPv6 extension headers in order, chained by next-header", () => {
  const p = packet({
    ipv6: {
      src: "2001:db8::1",
      dst: "2001:db8::2",
      ext: [{ type: "hop-by-hop" }, { type: "fragment", offset: 3, more: true, id: 9 }],
    },
    udp: { sport: 1, dport: 2 },
  });
  const ip = p.subarray(14);
  assert.equal(ip[6], 0); // fixed header -> hop-by-hop
  assert.equal(toHex(ip.subarray(40, 48)), "2c00010400000000"); // -> fragment, PadN of 4
  assert.equal(toHex(ip.subarray(48, 56)), "1100001900000009"); // -> udp, offset 3 << 3 | M
});

test("packet() stores the SCTP CRC32c little-endian over the packet with the field zeroed", () => {
  const p = packet({
    ipv4: { src: "198.18.0.1", dst: "198.18.0.2" },
    sctp: { sport: 5000, dport: 5001, vtag: 7, chunk: { type: 0, data: fromHex("010203") } },
  });
  const sctp = p.slice(34);
  assert.equal(sctp.length, 12 + 8); // chunk of 7 bytes padded to 8
  const stored = new DataView(sctp.buffer).getUint32(8, true);
  sctp.fill(0, 8, 12);
  assert.equal(stored, crc32c(sctp));
});

test("packet() writes the next-hop MTU of an ICMP frag-needed and quotes the inner packet", () => {
  const inner = { ipv4: { src: "198.18.0.1", dst: "198.18.1.5" }, tcp: { sport: 40000, dport: 80 } };
  const p = packet({
    ipv4: { src: "198.18.0.9", dst: "198.18.0.1" },
    icmp: { type: "dest-unreachable", code: 4, mtu: 1400, inner },
  });
  const icmp = p.subarray(34);
  assert.equal(toHex(icmp.subarray(0, 2)), "0304");
  assert.equal(toHex(icmp.subarray(4, 8)), "00000578");
  assert.deepEqual(icmp.subarray(8), ipPacket(inner));
});

test("packet() wraps a VXLAN frame in UDP 4789 with the VNI in the upper 24 bits", () => {
  const inner = packet({ ipv4: { src: "198.18.0.1", dst: "198.18.1.5" }, udp: { sport: 1, dport: 2 } });
  const p = packet({
    ipv4: { src: "198.18.0.10", dst: "198.18.0.11" },
    udp: { sport: 55555 },
    vxlan: { vni: 0x123456, inner },
  });
  assert.equal(toHex(p.subarray(36, 38)), "12b5");
  assert.equal(toHex(p.subarray(42, 50)), "0800000012345600");
  assert.deepEqual(p.subarray(50), inner);
});

test("packet() refuses a spec with two L4 sections or an L4 section without IP", () => {
  assert.throws(
    () =>
      packet({
        ipv4: { src: "198.18.0.1", dst: "198.18.0.2" },
        tcp: { sport: 1, dport: 2 },
        udp: { sport: 1, dport: 2 },
      }),
    /at most one L4 section/,
  );
  assert.throws(() => packet({ tcp: { sport: 1, dport: 2 } }), /needs an ip section/);
});
