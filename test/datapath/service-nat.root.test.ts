/**
 * Service NAT, conntrack, routing and REJECT through bpf/obj/tc.o with BPF_PROG_TEST_RUN: exact
 * output bytes (checksums verified by test/packet's independent oracle) and the conntrack and
 * affinity entries each packet leaves behind.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_CT_F_INIT_A, SlReason } from "../../src/datapath/abi/abi.ts";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { ipPacket } from "../packet/build-packet.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { SCTP, TCP, UDP, W } from "./dp-world.ts";

const world = useNode1();

const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep" });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep" });
const hep = () => world.node.iface({ ifindex: 1, role: "hep" });

/** toPod is how a packet leaves the datapath into a local pod: route MACs, TTL - 1. */
const toB1 = { eth: { dst: W.macB1, src: W.hostMacB1 } };
const toA = { eth: { dst: W.macA, src: W.hostMacA } };

test(
  "ClusterIP TCP: SYN is DNATed to the backend, peer-redirected, and NAT_FWD/NAT_REV are created",
  requireRoot,
  async () => {
    const r = runIn(world.ns, (await podA()).from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 41000, dport: 80, flags: ["SYN"], seq: 1000 },
      payload: "hello",
    });
    expectOut(r, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      tcp: { sport: 41000, dport: 8080, flags: ["SYN"], seq: 1000 },
      payload: "hello",
    });
    const fwd = world.node.ct.get({ src: W.podA, dst: W.vip, sport: 41000, dport: 80, proto: TCP });
    const rev = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 41000, dport: 8080, proto: TCP });
    assert.equal(fwd?.type, "nat-fwd");
    assert.deepEqual(fwd?.nat, { addr: W.podB1, port: 8080 });
    assert.equal(rev?.type, "nat-rev");
    assert.deepEqual(rev?.nat, { addr: W.vip, port: 80 });
    assert.equal(rev!.flags & SL_CT_F_INIT_A, SL_CT_F_INIT_A, "podA (lower address) initiated");
  },
);

test(
  "ClusterIP TCP: the reply is reverse-NATed to the ClusterIP, and the handshake reaches established",
  requireRoot,
  async () => {
    const r = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      tcp: { sport: 8080, dport: 41000, flags: ["SYN", "ACK"], seq: 5000, ack: 1006 },
    });
    expectOut(r, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      tcp: { sport: 80, dport: 41000, flags: ["SYN", "ACK"], seq: 5000, ack: 1006 },
    });
    const ack = runIn(world.ns, (await podA()).from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 41000, dport: 80, flags: ["ACK"], seq: 1006, ack: 5001 },
    });
    expectOut(ack, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      tcp: { sport: 41000, dport: 8080, flags: ["ACK"], seq: 1006, ack: 5001 },
    });
    const rev = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 41000, dport: 8080, proto: TCP })!;
    assert.equal(rev.legA & 0x3, 0x3, "client sent SYN and ACK");
    assert.equal(rev.legB & 0x3, 0x3, "backend sent SYN and ACK");
    assert.ok(
      world.node.counters.get(W.ifA, SlReason.SL_R_CT_ESTABLISHED).packets >= 1n,
      "fast path counted",
    );
  },
);

test(
  "ClusterIP UDP: forward and reply, with a real checksum and with checksum 0 kept 0",
  requireRoot,
  async () => {
    const a = await podA();
    const r = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 42000, dport: 53 },
      payload: "query",
    });
    expectOut(r, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      udp: { sport: 42000, dport: 5353 },
      payload: "query",
    });
    const reply = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.podA },
      udp: { sport: 5353, dport: 42000 },
      payload: "answer",
    });
    expectOut(reply, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: 53, dport: 42000 },
      payload: "answer",
    });
    const zero = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 42001, dport: 53, checksum: 0 },
      payload: "nocsum",
    });
    expectOut(zero, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      udp: { sport: 42001, dport: 5353, checksum: 0 },
      payload: "nocsum",
    });
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 42000, dport: 5353, proto: UDP })?.type,
      "nat-rev",
    );
  },
);

test(
  "NodePort on a local address, external IP and LB IP DNAT external clients to the local backend",
  requireRoot,
  async () => {
    const h = await hep();
    const ext = runIn(world.ns, h.from_hep, {
      ipv4: { src: W.client, dst: W.extIp },
      tcp: { sport: 50000, dport: 80, flags: ["SYN"] },
    });
    expectOut(ext, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.client, dst: W.podB1, ttl: 63 },
      tcp: { sport: 50000, dport: 8080, flags: ["SYN"] },
    });
    const lb = runIn(world.ns, h.from_hep, {
      ipv4: { src: W.client, dst: W.lbIp },
      tcp: { sport: 50001, dport: 443, flags: ["SYN"] },
    });
    expectOut(lb, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.client, dst: W.podB1, ttl: 63 },
      tcp: { sport: 50001, dport: 8443, flags: ["SYN"] },
    });
    const reply = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.client },
      tcp: { sport: 8443, dport: 50001, flags: ["SYN", "ACK"] },
    });
    assert.equal(reply.verdict, "OK", "no FIB route in the test netns: handed to the stack");
    assertChecksumsValid(reply.data);
    assert.equal(reply.packet.ipv4?.src, W.lbIp);
    assert.equal(reply.packet.tcp?.sport, 443);
  },
);

test("externalTrafficPolicy Local with no local backend drops with a counter", requireRoot, async () => {
  const h = await hep();
  const r = runIn(world.ns, h.from_hep, {
    ipv4: { src: W.client, dst: W.node1 },
    tcp: { sport: 50002, dport: 30090, flags: ["SYN"] },
  });
  assert.equal(r.verdict, "SHOT");
  assert.equal(world.node.counters.get(1, SlReason.SL_R_DROP_NO_LOCAL_BACKEND).packets, 1n);
});

test(
  "a Service without backends answers TCP with RST and UDP with ICMP port unreachable",
  requireRoot,
  async () => {
    const a = await podA();
    const syn: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 43000, dport: 81, flags: ["SYN"], seq: 7000 },
    };
    const rst = runIn(world.ns, a.from_wep, syn);
    expectOut(rst, "REDIRECT", {
      eth: { src: "02:00:00:00:00:02", dst: "02:00:00:00:00:01" },
      ipv4: { src: W.vip, dst: W.podA, ttl: 64 },
      tcp: { sport: 81, dport: 43000, flags: ["RST", "ACK"], seq: 0, ack: 7001, window: 0 },
    });
    const udp: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip, id: 77 },
      udp: { sport: 43001, dport: 82 },
      payload: "hello world",
    };
    const unreach = runIn(world.ns, a.from_wep, udp);
    expectOut(unreach, "REDIRECT", {
      eth: { src: "02:00:00:00:00:02", dst: "02:00:00:00:00:01" },
      ipv4: { src: W.vip, dst: W.podA, ttl: 64 },
      icmp: { type: "dest-unreachable", code: 3, inner: packetPrefix(udp, 28) },
    });
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_REJECT_NO_BACKEND).packets, 2n);
  },
);

test(
  "ClientIP affinity keeps a client on one backend and records it in sl_affinity",
  requireRoot,
  async () => {
    const a = await podA();
    const chosen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = runIn(world.ns, a.from_wep, {
        ipv4: { src: W.podA, dst: W.vip },
        tcp: { sport: 44000 + i, dport: 90, flags: ["SYN"] },
      });
      assert.notEqual(r.verdict, "SHOT");
      chosen.add(`${r.packet.ipv4?.dst}:${r.packet.tcp?.dport}`);
    }
    assert.equal(chosen.size, 1, "every connection went to the same backend");
    const aff = world.node.affinity.get(W.svcAffinity, W.podA);
    assert.ok(aff);
    assert.equal(`${aff.backend.addr}:${aff.backend.port}`, [...chosen][0]);
  },
);

test("a pod sending with a source that is not its own is dropped as spoofed", requireRoot, async () => {
  const r = runIn(world.ns, (await podA()).from_wep, {
    ipv4: { src: W.podB1, dst: W.vip },
    tcp: { sport: 1, dport: 80, flags: ["SYN"] },
  });
  assert.equal(r.verdict, "SHOT");
  assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_DROP_SPOOFED).packets, 1n);
});

test(
  "mid-flow TCP without conntrack is handed to the stack untouched, never dropped",
  requireRoot,
  async () => {
    const input: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 45000, dport: 80, flags: ["ACK"], seq: 9 },
    };
    const r = runIn(world.ns, (await podA()).from_wep, input);
    expectOut(r, "OK", input);
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.vip, sport: 45000, dport: 80, proto: TCP }),
      undefined,
    );
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_PASS_MIDFLOW).packets, 1n);
  },
);

test(
  "an expired conntrack entry is not used: its mid-flow packet goes to the stack un-NATed",
  requireRoot,
  async () => {
    const a = await podA();
    runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 45100, dport: 80, flags: ["SYN"] },
    });
    const rev = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 45100, dport: 8080, proto: TCP })!;
    world.node.ct.put({
      ...rev,
      createdNs: rev.createdNs - 21n * 1_000_000_000n,
      lastSeenNs: rev.lastSeenNs - 21n * 1_000_000_000n,
    }); // SYN-sent times out after 20 s (past the 10 s creation grace)
    const input: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 45100, dport: 80, flags: ["ACK"] },
    };
    expectOut(runIn(world.ns, a.from_wep, input), "OK", input);
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.vip, sport: 45100, dport: 80, proto: TCP }),
      undefined,
      "NAT_FWD removed with it",
    );
  },
);

test("sl_globals timeouts apply live: UDP timeout 1 s expires a 2 s old entry", requireRoot, async () => {
  const a = await podA();
  runIn(world.ns, a.from_wep, { ipv4: { src: W.podA, dst: W.vip }, udp: { sport: 45200, dport: 53 } });
  const rev = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 45200, dport: 5353, proto: UDP })!;
  world.node.ct.put({
    ...rev,
    createdNs: rev.createdNs - 2_000_000_000n,
    lastSeenNs: rev.lastSeenNs - 2_000_000_000n,
  });
  world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: { udp: 1, creationGrace: 1 } });
  try {
    const r = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 45200, dport: 53 },
    });
    assert.equal(r.verdict, "REDIRECT");
    const fresh = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 45200, dport: 5353, proto: UDP })!;
    assert.ok(fresh.createdNs > rev.createdNs, "a new entry replaced the expired one");
  } finally {
    world.node.globals.set({ externalServiceMode: "Tunnel", ctTimeouts: {} });
  }
});

test(
  "malformed IPv4 is dropped with a reason; IPv6 and ARP are passed deliberately",
  requireRoot,
  async () => {
    const a = await podA();
    const good: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 46000, dport: 80, flags: ["SYN"] },
    };
    for (const bad of [
      { ...good, truncate: 40 },
      { ...good, ipv4: { ...good.ipv4!, checksum: 0xdead } },
      { ...good, ipv4: { ...good.ipv4!, ihl: 4 } },
      { ...good, ipv4: { ...good.ipv4!, totalLength: 200 } },
      { ...good, tcp: { ...good.tcp!, dataOffset: 3 } },
    ]) {
      assert.equal(runIn(world.ns, a.from_wep, bad).verdict, "SHOT", JSON.stringify(bad));
    }
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_DROP_MALFORMED).packets, 5n);
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.vip, sport: 46000, dport: 80, proto: TCP }),
      undefined,
      "nothing tracked",
    );
    const v6: PacketSpec = { ipv6: { src: "2001:db8::1", dst: "2001:db8::2" }, udp: { sport: 1, dport: 2 } };
    expectOut(runIn(world.ns, a.from_wep, v6), "OK", v6);
    const arp = packet28();
    assert.equal(runIn(world.ns, a.from_wep, arp).verdict, "OK");
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_PASS_IPV6).packets, 1n);
  },
);

test(
  "an ICMP error about a NATed flow gets its quoted packet and source rewritten to the frontend",
  requireRoot,
  async () => {
    const a = await podA();
    runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 47000, dport: 53 },
      payload: "q",
    });
    const quoted = {
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      udp: { sport: 47000, dport: 5353 },
      payload: "q",
    };
    const err: PacketSpec = {
      ipv4: { src: W.podB1, dst: W.podA },
      icmp: { type: "dest-unreachable", code: 3, inner: quoted },
    };
    const r = runIn(world.ns, (await podB1()).from_wep, err);
    expectOut(r, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      icmp: {
        type: "dest-unreachable",
        code: 3,
        inner: { ipv4: { src: W.podA, dst: W.vip, ttl: 63 }, udp: { sport: 47000, dport: 53 }, payload: "q" },
      },
    });
    assert.equal(world.node.counters.get(W.ifB1, SlReason.SL_R_ICMP_ERROR_NAT).packets, 1n);
  },
);

test(
  "IPv4 fragments: the first is NATed and tracked, later ones follow it, untracked ones pass",
  requireRoot,
  async () => {
    const a = await podA();
    const first = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip, id: 0x4242, flags: ["MF"] },
      udp: { sport: 48000, dport: 53, length: 8 + 32, checksum: 0x1234 },
      payload: "0123456789abcdef",
    });
    assert.equal(first.verdict, "REDIRECT");
    assert.equal(first.packet.ipv4?.dst, W.podB1);
    assert.equal(first.packet.udp?.dport, 5353);
    assert.equal(
      first.packet.udp?.checksum.value,
      updatedUdpCsum(0x1234, W.vip, W.podB1, 53, 5353),
      "first fragment L4 checksum updated incrementally",
    );
    const frags = [...world.node.frags.entries()];
    assert.deepEqual(
      frags.map((f) => [f.src, f.dst, f.id, f.newAddr]),
      [[W.podA, W.vip, 0x4242, W.podB1]],
    );
    const later: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip, id: 0x4242, fragOffset: 2, protocol: UDP },
      payload: "0123456789abcdef",
    };
    expectOut(runIn(world.ns, a.from_wep, later), "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, id: 0x4242, fragOffset: 2, protocol: UDP, ttl: 63 },
      payload: "0123456789abcdef",
    });
    const stray: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip, id: 0x9999, fragOffset: 2, protocol: UDP },
      payload: "x",
    };
    expectOut(runIn(world.ns, a.from_wep, stray), "OK", stray);
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_PASS_FRAG_UNTRACKED).packets, 1n);
  },
);

test(
  "SCTP: conntracked and NATed by address with its CRC32c still valid; a port change is refused",
  requireRoot,
  async () => {
    const a = await podA();
    const r = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      sctp: { sport: 49000, dport: 3868, vtag: 0 },
    });
    expectOut(r, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      sctp: { sport: 49000, dport: 3868, vtag: 0 },
    });
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 49000, dport: 3868, proto: SCTP })?.type,
      "nat-rev",
    );
    const p = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      sctp: { sport: 49001, dport: 3869, vtag: 0 },
    });
    assert.equal(p.verdict, "SHOT");
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_DROP_SCTP_PORT_NAT).packets, 1n);
  },
);

test("to_wep tracks a new flow into a pod and takes the fast path after", requireRoot, async () => {
  const b = await podB1();
  const syn: PacketSpec = {
    ipv4: { src: W.client, dst: W.podB1 },
    tcp: { sport: 51000, dport: 22, flags: ["SYN"] },
  };
  expectOut(runIn(world.ns, b.to_wep, syn), "OK", syn);
  assert.equal(
    world.node.ct.get({ src: W.client, dst: W.podB1, sport: 51000, dport: 22, proto: TCP })?.type,
    "normal",
  );
  expectOut(runIn(world.ns, b.to_wep, syn), "OK", syn);
  assert.ok(world.node.counters.get(W.ifB1, SlReason.SL_R_CT_ESTABLISHED).packets >= 1n);
});

// --- helpers ---------------------------------------------------------------------------------

/** packetPrefix is the first n bytes of the IP packet of spec (what an ICMP error quotes). */
function packetPrefix(spec: PacketSpec, n: number): Uint8Array {
  const { eth: _eth, ...l3 } = spec;
  return ipPacket(l3).slice(0, n);
}

function packet28(): Uint8Array {
  const b = new Uint8Array(42);
  b.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06]);
  return b;
}

/** updatedUdpCsum applies RFC 1624 by hand: the oracle for a first fragment's checksum. */
function updatedUdpCsum(
  csum: number,
  oldAddr: string,
  newAddr: string,
  oldPort: number,
  newPort: number,
): number {
  const words = (a: string) => {
    const p = a.split(".").map(Number);
    return [(p[0]! << 8) | p[1]!, (p[2]! << 8) | p[3]!];
  };
  let sum = ~csum & 0xffff;
  for (const w of words(oldAddr)) sum += ~w & 0xffff;
  for (const w of words(newAddr)) sum += w;
  sum += (~oldPort & 0xffff) + newPort;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
