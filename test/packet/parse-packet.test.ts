import { test } from "node:test";
import assert from "node:assert/strict";
import { checksumProblems } from "./assert-checksums.ts";
import { packet } from "./build-packet.ts";
import { parsePacket } from "./parse-packet.ts";
import type { PacketSpec } from "./packet-spec.ts";

const v4 = { src: "198.18.0.1", dst: "198.18.1.5" };
const v6 = { src: "2001:db8::1", dst: "2001:db8::2" };

function roundTrip(spec: PacketSpec) {
  const p = parsePacket(packet(spec));
  assert.equal(p.error, undefined);
  assert.deepEqual(checksumProblems(p), []);
  return p;
}

test("parsePacket() round-trips TCP with flags, seq/ack and options over IPv4 and VLAN", () => {
  const p = roundTrip({
    eth: { src: "02:00:00:00:00:0a", vlan: { vid: 42, pcp: 3 } },
    ipv4: { ...v4, ttl: 9, id: 77, dscp: 10, flags: ["DF"], options: new Uint8Array([1, 1, 1, 0]) },
    tcp: {
      sport: 40000,
      dport: 80,
      seq: 0xfffffff0,
      ack: 5,
      flags: ["SYN", "ACK"],
      window: 1024,
      options: [
        { kind: "mss", value: 1460 },
        { kind: "sack-permitted" },
        { kind: "timestamp", value: 1, echo: 2 },
        { kind: "wscale", shift: 7 },
      ],
    },
    payload: "hello",
  });
  assert.deepEqual(p.eth?.vlan, { tpid: 0x8100, pcp: 3, dei: false, vid: 42 });
  assert.equal(p.eth?.src, "02:00:00:00:00:0a");
  assert.equal(p.ipv4?.dst, "198.18.1.5");
  assert.deepEqual([p.ipv4?.ttl, p.ipv4?.id, p.ipv4?.dscp, p.ipv4?.ihl], [9, 77, 10, 6]);
  assert.deepEqual(p.ipv4?.flags, ["DF"]);
  assert.deepEqual(p.tcp?.flags, ["SYN", "ACK"]);
  assert.equal(p.tcp?.seq, 0xfffffff0);
  assert.deepEqual(
    p.tcp?.options.filter((o) => o.kind !== "nop"),
    [
      { kind: "mss", value: 1460 },
      { kind: "sack-permitted" },
      { kind: "timestamp", value: 1, echo: 2 },
      { kind: "wscale", shift: 7 },
    ],
  );
  assert.equal(new TextDecoder().decode(p.payload), "hello");
});

test("parsePacket() round-trips UDP, SCTP and ICMP echo over IPv4 and IPv6", () => {
  assert.equal(roundTrip({ ipv4: v4, udp: { sport: 1, dport: 53 }, payload: "q" }).udp?.dport, 53);
  assert.equal(roundTrip({ ipv6: v6, udp: { sport: 1, dport: 53 } }).udp?.length, 8);
  assert.deepEqual(
    roundTrip({
      ipv4: v4,
      sctp: { sport: 5, dport: 6, vtag: 9, chunk: { type: 0, flags: 3, data: new Uint8Array([1, 2, 3]) } },
    }).sctp?.chunk,
    { type: 0, flags: 3, length: 7, data: new Uint8Array([1, 2, 3]) },
  );
  assert.equal(roundTrip({ ipv6: v6, sctp: { sport: 5, dport: 6 } }).sctp?.vtag, 0);
  const echo = roundTrip({ ipv4: v4, icmp: { type: "echo-reply", id: 7, seq: 8 } }).icmp;
  assert.deepEqual([echo?.typeName, echo?.id, echo?.seq], ["EchoReply", 7, 8]);
  const echo6 = roundTrip({ ipv6: v6, icmpv6: { type: "echo-request", id: 7, seq: 8 } }).icmpv6;
  assert.deepEqual([echo6?.typeName, echo6?.id, echo6?.seq], ["EchoRequest", 7, 8]);
});

test("parsePacket() walks IPv6 extension headers to the upper layer", () => {
  const p = roundTrip({
    ipv6: {
      ...v6,
      hopLimit: 3,
      flowLabel: 0xabcde,
      trafficClass: 0x20,
      ext: [{ type: "hop-by-hop" }, { type: "dest-opts", options: new Uint8Array(7) }],
    },
    tcp: { sport: 1, dport: 2 },
  });
  assert.deepEqual(
    p.ipv6?.ext.map((e) => [e.type, e.length]),
    [
      [0, 8],
      [60, 16],
    ],
  );
  assert.deepEqual(
    [p.ipv6?.protocol, p.ipv6?.flowLabel, p.ipv6?.trafficClass, p.ipv6?.hopLimit],
    [6, 0xabcde, 0x20, 3],
  );
  assert.equal(p.tcp?.dport, 2);
});

test("parsePacket() does not read L4 in a non-first fragment and does not verify L4 in a first one", () => {
  const later = parsePacket(packet({ ipv4: { ...v4, fragOffset: 2 }, udp: { sport: 1, dport: 2 } }));
  assert.equal(later.udp, undefined);
  assert.equal(later.payload.length, 8);
  const first = parsePacket(
    packet({ ipv6: { ...v6, ext: [{ type: "fragment", more: true, id: 1 }] }, udp: { sport: 1, dport: 2 } }),
  );
  assert.deepEqual(first.ipv6?.ext[0]?.fragment, { offset: 0, more: true, id: 1 });
  assert.equal(first.udp?.checksum.expected, null);
});

test("parsePacket() parses the frame inside VXLAN", () => {
  const inner: PacketSpec = {
    eth: { dst: "02:00:00:00:00:99" },
    ipv4: v4,
    tcp: { sport: 1, dport: 8080, flags: ["ACK"] },
  };
  const p = roundTrip({
    ipv4: { src: "198.18.0.10", dst: "198.18.0.11" },
    udp: { sport: 50000 },
    vxlan: { vni: 4242, inner },
  });
  assert.equal(p.vxlan?.vni, 4242);
  assert.equal(p.vxlan?.flags, 0x08);
  assert.equal(p.vxlan?.inner.eth?.dst, "02:00:00:00:00:99");
  assert.equal(p.vxlan?.inner.tcp?.dport, 8080);
});

test("parsePacket() parses the packet quoted in ICMP errors, whole or cut short", () => {
  const quoted = { ipv4: v4, udp: { sport: 33434, dport: 53 }, payload: "a longer payload than eight bytes" };
  const p = roundTrip({
    ipv4: { src: "198.18.0.9", dst: "198.18.0.1" },
    icmp: { type: "time-exceeded", inner: quoted },
  });
  assert.equal(p.icmp?.typeName, "TimeExceeded");
  assert.equal(p.icmp?.inner?.udp?.sport, 33434);
  assert.equal(p.icmp?.inner?.udp?.checksum.valid, true);

  // RFC 792: only the IP header plus 8 bytes; the inner UDP checksum cannot be checked then.
  const cut = roundTrip({
    ipv4: { src: "198.18.0.9", dst: "198.18.0.1" },
    icmp: { type: "dest-unreachable", code: 4, mtu: 1400, inner: { ...quoted, truncate: 28 } },
  });
  assert.equal(cut.icmp?.mtu, 1400);
  assert.equal(cut.icmp?.inner?.truncated, true);
  assert.equal(cut.icmp?.inner?.ipv4?.checksum.valid, true);
  assert.deepEqual([cut.icmp?.inner?.udp?.dport, cut.icmp?.inner?.udp?.checksum.expected], [53, null]);

  const ptb = roundTrip({
    ipv6: v6,
    icmpv6: {
      type: "packet-too-big",
      mtu: 1280,
      inner: { ipv6: { src: v6.dst, dst: v6.src }, tcp: { sport: 443, dport: 40000 }, truncate: 48 },
    },
  });
  assert.equal(ptb.icmpv6?.mtu, 1280);
  assert.deepEqual([ptb.icmpv6?.inner?.tcp?.sport, ptb.icmpv6?.inner?.tcp?.dport], [443, 40000]);
});

test("parsePacket() reports malformed packets in `error` instead of throwing", () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ["runt frame", new Uint8Array(10), /^eth: truncated header: 10 bytes/],
    [
      "bad ihl",
      packet({ ipv4: { ...v4, ihl: 4 } }),
      /^ipv4: header length 16 \(ihl 4\) is below the minimum 20/,
    ],
    ["bad version", packet({ ipv4: { ...v4, version: 6 } }), /^ipv4: version 6, want 4/],
    [
      "total length too long",
      packet({ ipv4: { ...v4, totalLength: 200 } }),
      /^ipv4: total length 200 exceeds the 20 bytes present/,
    ],
    ["truncated ipv4", packet({ ipv4: v4, truncate: 30 }), /^ipv4: truncated header: 16 bytes, need 20/],
    [
      "truncated tcp",
      packet({ ipv4: v4, tcp: { sport: 1, dport: 2 }, truncate: 44 }),
      /^ipv4: total length 40 exceeds the 30 bytes present/,
    ],
    [
      "short udp length",
      packet({ ipv4: v4, udp: { sport: 1, dport: 2, length: 4 } }),
      /^udp: length 4 is below the header size 8/,
    ],
    [
      "tcp data offset",
      packet({ ipv4: v4, tcp: { sport: 1, dport: 2, dataOffset: 15 } }),
      /^tcp: data offset 15 \(60 bytes\) exceeds the 20 bytes present/,
    ],
    [
      "ipv6 payload length",
      packet({ ipv6: { ...v6, payloadLength: 99 } }),
      /^ipv6: payload length 99 exceeds the 0 bytes present/,
    ],
    [
      "bad inner frame",
      packet({ ipv4: v4, vxlan: { vni: 1, inner: new Uint8Array(5) } }),
      /^vxlan.inner: eth: truncated header/,
    ],
  ];
  for (const [name, bytes, error] of cases) {
    const p = parsePacket(bytes);
    assert.match(p.error ?? "(none)", error, name);
  }
});

test("parsePacket() flags bad checksums without calling the packet malformed", () => {
  const p = parsePacket(
    packet({ ipv4: { ...v4, checksum: 0x1234 }, tcp: { sport: 1, dport: 2, checksum: 0xbeef } }),
  );
  assert.equal(p.error, undefined);
  assert.equal(p.ipv4?.checksum.valid, false);
  assert.equal(p.tcp?.checksum.value, 0xbeef);
  assert.equal(p.tcp?.checksum.valid, false);
});

test("parsePacket() treats a zero UDP checksum as absent over IPv4 but invalid over IPv6", () => {
  assert.equal(
    parsePacket(packet({ ipv4: v4, udp: { sport: 1, dport: 2, checksum: 0 } })).udp?.checksum.valid,
    true,
  );
  assert.equal(
    parsePacket(packet({ ipv6: v6, udp: { sport: 1, dport: 2, checksum: 0 } })).udp?.checksum.valid,
    false,
  );
});

test("parsePacket() keeps Ethernet padding after the IP length as a trailer", () => {
  const p = parsePacket(packet({ ipv4: v4, udp: { sport: 1, dport: 2 }, trailer: new Uint8Array(18) }));
  assert.equal(p.error, undefined);
  assert.equal(p.trailer?.length, 18);
  assert.equal(p.udp?.checksum.valid, true);
});

test("parsePacket({ from: 'ip' }) starts at the IP header", () => {
  const bytes = packet({ ipv6: v6, udp: { sport: 1, dport: 2 } }).subarray(14);
  assert.equal(parsePacket(bytes, { from: "ip" }).udp?.sport, 1);
  assert.match(
    parsePacket(new Uint8Array([0x20]), { from: "ip" }).error ?? "",
    /version 2 is neither 4 nor 6/,
  );
});
