/**
 * Hairpin through bpf/obj/tc.o with BPF_PROG_TEST_RUN: pod A calls a Service whose backend is pod
 * A itself. The request is DNATed to A and SNATed to the service loopback address (the .rodata
 * default SL_HAIRPIN_IP_DEFAULT) and goes straight back into A; A's reply to that address is
 * reverse-translated both ways, so A sees the Service answer. Exact output bytes (checksums by
 * test/packet's oracle), the flagged NAT_FWD/NAT_REV pair, ICMP errors and fragments of such a
 * flow, and what is not hairpin (another backend, a NodePort client from outside).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_CT_F_HAIRPIN, SL_CT_F_INIT_A, SlReason } from "../../src/datapath/abi/abi.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { loadNode, runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { fillNode1, TCP, UDP, W } from "./dp-world.ts";

const world = useNode1();

const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep" });
const hep = () => world.node.iface({ ifindex: 1, role: "hep" });
/** Back into pod A: its MAC from the route, TTL - 1, peer-redirected. */
const toA = { eth: { dst: W.macA, src: W.hostMacA } };
const LB = W.loopback;
const hairpins = () => world.node.counters.get(W.ifA, SlReason.SL_R_NAT_HAIRPIN).packets;

test("hairpin is SNATed to 169.254.42.1, a link-local address no node or pod has", () => {
  assert.equal(LB, "169.254.42.1");
});

test(
  "hairpin ClusterIP TCP: the SYN comes back into the pod from the loopback address, with a flagged NAT_FWD/NAT_REV pair",
  requireRoot,
  async () => {
    const before = hairpins();
    const r = runIn(world.ns, (await podA()).from_wep, {
      ipv4: { src: W.podA, dst: W.vip, id: 7 },
      tcp: { sport: 41000, dport: W.hairpinPort, flags: ["SYN"], seq: 1000 },
      payload: "hello",
    });
    expectOut(r, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, id: 7, ttl: 63 },
      tcp: { sport: 41000, dport: 8080, flags: ["SYN"], seq: 1000 },
      payload: "hello",
    });
    const fwd = world.node.ct.get({
      src: W.podA,
      dst: W.vip,
      sport: 41000,
      dport: W.hairpinPort,
      proto: TCP,
    });
    assert.equal(fwd?.type, "nat-fwd");
    assert.deepEqual(fwd?.nat, { addr: W.podA, port: 8080 });
    assert.equal(
      fwd!.flags,
      SL_CT_F_HAIRPIN | SL_CT_F_INIT_A,
      "pod A (lower than the ClusterIP) initiated a hairpin flow",
    );
    const rev = world.node.ct.get({ src: LB, dst: W.podA, sport: 41000, dport: 8080, proto: TCP });
    assert.equal(rev?.type, "nat-rev", "NAT_REV is keyed by the tuple the pod sees as server");
    assert.deepEqual(rev?.nat, { addr: W.vip, port: W.hairpinPort });
    assert.equal(
      rev!.flags,
      SL_CT_F_HAIRPIN | SL_CT_F_INIT_A,
      "the loopback address (lower) is the initiator",
    );
    assert.equal(rev!.legA, 0x11, "SYN seen from the client side");
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podA, sport: 41000, dport: 8080, proto: TCP }),
      undefined,
      "no entry for the martian tuple",
    );
    assert.equal(hairpins(), before + 1n);
  },
);

test(
  "hairpin ClusterIP TCP: the reply is reverse-translated both ways (from the ClusterIP, to the pod) and the handshake completes",
  requireRoot,
  async () => {
    const a = await podA();
    const synAck = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB, id: 8 },
      tcp: { sport: 8080, dport: 41000, flags: ["SYN", "ACK"], seq: 5000, ack: 1006 },
    });
    expectOut(synAck, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, id: 8, ttl: 63 },
      tcp: { sport: W.hairpinPort, dport: 41000, flags: ["SYN", "ACK"], seq: 5000, ack: 1006 },
    });
    const ack = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip, id: 9 },
      tcp: { sport: 41000, dport: W.hairpinPort, flags: ["ACK"], seq: 1006, ack: 5001 },
      payload: "GET /",
    });
    expectOut(ack, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, id: 9, ttl: 63 },
      tcp: { sport: 41000, dport: 8080, flags: ["ACK"], seq: 1006, ack: 5001 },
      payload: "GET /",
    });
    const rev = world.node.ct.get({ src: LB, dst: W.podA, sport: 41000, dport: 8080, proto: TCP })!;
    assert.equal(rev.legA & 0x3, 0x3, "client side sent SYN and ACK");
    assert.equal(rev.legB & 0x3, 0x3, "server side sent SYN and ACK");
    const data = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB, id: 10 },
      tcp: { sport: 8080, dport: 41000, flags: ["PSH", "ACK"], seq: 5001, ack: 1011 },
      payload: "200 OK",
    });
    expectOut(data, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, id: 10, ttl: 63 },
      tcp: { sport: W.hairpinPort, dport: 41000, flags: ["PSH", "ACK"], seq: 5001, ack: 1011 },
      payload: "200 OK",
    });
  },
);

test(
  "hairpin ClusterIP UDP: request and reply translated, with a real checksum and with checksum 0 kept 0",
  requireRoot,
  async () => {
    const a = await podA();
    const q = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 42000, dport: W.hairpinUdpPort },
      payload: "query",
    });
    expectOut(q, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, ttl: 63 },
      udp: { sport: 42000, dport: 5353 },
      payload: "query",
    });
    const rev = world.node.ct.get({ src: LB, dst: W.podA, sport: 42000, dport: 5353, proto: UDP });
    assert.equal(rev?.type, "nat-rev");
    assert.deepEqual(rev?.nat, { addr: W.vip, port: W.hairpinUdpPort });
    assert.equal(rev!.flags & SL_CT_F_HAIRPIN, SL_CT_F_HAIRPIN);
    const fwd = world.node.ct.get({
      src: W.podA,
      dst: W.vip,
      sport: 42000,
      dport: W.hairpinUdpPort,
      proto: UDP,
    });
    assert.equal(fwd?.type, "nat-fwd");
    assert.equal(fwd!.flags & SL_CT_F_HAIRPIN, SL_CT_F_HAIRPIN);
    const reply = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB },
      udp: { sport: 5353, dport: 42000 },
      payload: "answer",
    });
    expectOut(reply, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: W.hairpinUdpPort, dport: 42000 },
      payload: "answer",
    });
    const zero = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 42001, dport: W.hairpinUdpPort, checksum: 0 },
      payload: "nocsum",
    });
    expectOut(zero, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, ttl: 63 },
      udp: { sport: 42001, dport: 5353, checksum: 0 },
      payload: "nocsum",
    });
    const zeroReply = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB },
      udp: { sport: 5353, dport: 42001, checksum: 0 },
      payload: "r",
    });
    expectOut(zeroReply, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: W.hairpinUdpPort, dport: 42001, checksum: 0 },
      payload: "r",
    });
  },
);

test(
  "hairpin NodePort via the pod's own node: SNATed the same way, and the reply comes from the node's address",
  requireRoot,
  async () => {
    const a = await podA();
    const syn = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.node1 },
      tcp: { sport: 43000, dport: W.nodePortHairpin, flags: ["SYN"], seq: 1 },
    });
    expectOut(syn, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, ttl: 63 },
      tcp: { sport: 43000, dport: 8080, flags: ["SYN"], seq: 1 },
    });
    assert.deepEqual(
      world.node.ct.get({ src: LB, dst: W.podA, sport: 43000, dport: 8080, proto: TCP })?.nat,
      { addr: W.node1, port: W.nodePortHairpin },
    );
    const synAck = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB },
      tcp: { sport: 8080, dport: 43000, flags: ["SYN", "ACK"], seq: 9, ack: 2 },
    });
    expectOut(synAck, "REDIRECT", {
      ...toA,
      ipv4: { src: W.node1, dst: W.podA, ttl: 63 },
      tcp: { sport: W.nodePortHairpin, dport: 43000, flags: ["SYN", "ACK"], seq: 9, ack: 2 },
    });
  },
);

test(
  "not hairpin: another pod's backend and an outside NodePort client keep their source",
  requireRoot,
  async () => {
    const a = await podA();
    const before = hairpins();
    const other = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 44000, dport: 80, flags: ["SYN"] },
    });
    expectOut(other, "REDIRECT", {
      eth: { dst: W.macB1, src: W.hostMacB1 },
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      tcp: { sport: 44000, dport: 8080, flags: ["SYN"] },
    });
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 44000, dport: 8080, proto: TCP })!.flags &
        SL_CT_F_HAIRPIN,
      0,
    );
    const outside = runIn(world.ns, (await hep()).from_hep, {
      ipv4: { src: W.client, dst: W.node1 },
      tcp: { sport: 44001, dport: W.nodePortHairpin, flags: ["SYN"] },
    });
    expectOut(outside, "REDIRECT", {
      ...toA,
      ipv4: { src: W.client, dst: W.podA, ttl: 63 },
      tcp: { sport: 44001, dport: 8080, flags: ["SYN"] },
    });
    assert.equal(
      world.node.ct.get({ src: W.client, dst: W.podA, sport: 44001, dport: 8080, proto: TCP })!.flags &
        SL_CT_F_HAIRPIN,
      0,
    );
    assert.equal(hairpins(), before);
  },
);

test(
  "hairpin ICMP errors: the pod's port unreachable about the SNATed request reaches it as the frontend's, about its own packet",
  requireRoot,
  async () => {
    const a = await podA();
    runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 45000, dport: W.hairpinUdpPort },
      payload: "q",
    });
    // as server, pod A's kernel answers the request it got (loopback → A) with port unreachable
    const quoted = {
      ipv4: { src: LB, dst: W.podA, ttl: 63 },
      udp: { sport: 45000, dport: 5353 },
      payload: "q",
    };
    const err = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB },
      icmp: { type: "dest-unreachable", code: 3, inner: quoted },
    });
    expectOut(err, "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      icmp: {
        type: "dest-unreachable",
        code: 3,
        inner: {
          ipv4: { src: W.podA, dst: W.vip, ttl: 63 },
          udp: { sport: 45000, dport: W.hairpinUdpPort },
          payload: "q",
        },
      },
    });
    // as client, pod A's kernel bounces the reverse-NATed reply (frontend → A): it goes to A as server
    const replyQuoted = {
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: W.hairpinUdpPort, dport: 45000 },
      payload: "r",
    };
    const err2 = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip },
      icmp: { type: "dest-unreachable", code: 3, inner: replyQuoted },
    });
    expectOut(err2, "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, ttl: 63 },
      icmp: {
        type: "dest-unreachable",
        code: 3,
        inner: { ipv4: { src: W.podA, dst: LB, ttl: 63 }, udp: { sport: 5353, dport: 45000 }, payload: "r" },
      },
    });
  },
);

test(
  "hairpin IPv4 fragments: later fragments get both rewrites of their first, in each direction",
  requireRoot,
  async () => {
    const a = await podA();
    const first = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.vip, id: 0x5151, flags: ["MF"] },
      udp: { sport: 46000, dport: W.hairpinUdpPort, length: 8 + 32, checksum: 0 },
      payload: "0123456789abcdef",
    });
    // a first fragment's UDP length covers bytes it does not carry: the checksum oracle cannot
    // parse it, so its bytes are compared with the builder's (which sets a valid IP checksum)
    assert.equal(first.verdict, "REDIRECT");
    assertPacketEqual(first.data, {
      ...toA,
      ipv4: { src: LB, dst: W.podA, id: 0x5151, flags: ["MF"], ttl: 63 },
      udp: { sport: 46000, dport: 5353, length: 8 + 32, checksum: 0 },
      payload: "0123456789abcdef",
    });
    const later: PacketSpec = {
      ipv4: { src: W.podA, dst: W.vip, id: 0x5151, fragOffset: 2, protocol: UDP },
      payload: "0123456789abcdef",
    };
    expectOut(runIn(world.ns, a.from_wep, later), "REDIRECT", {
      ...toA,
      ipv4: { src: LB, dst: W.podA, id: 0x5151, fragOffset: 2, protocol: UDP, ttl: 63 },
      payload: "0123456789abcdef",
    });
    const rFirst = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB, id: 0x5252, flags: ["MF"] },
      udp: { sport: 5353, dport: 46000, length: 8 + 32, checksum: 0 },
      payload: "fedcba9876543210",
    });
    assert.equal(rFirst.verdict, "REDIRECT");
    assertPacketEqual(rFirst.data, {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, id: 0x5252, flags: ["MF"], ttl: 63 },
      udp: { sport: W.hairpinUdpPort, dport: 46000, length: 8 + 32, checksum: 0 },
      payload: "fedcba9876543210",
    });
    const rLater: PacketSpec = {
      ipv4: { src: W.podA, dst: LB, id: 0x5252, fragOffset: 2, protocol: UDP },
      payload: "fedcba9876543210",
    };
    expectOut(runIn(world.ns, a.from_wep, rLater), "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, id: 0x5252, fragOffset: 2, protocol: UDP, ttl: 63 },
      payload: "fedcba9876543210",
    });
  },
);

test(
  "the loopback address is a load-time constant: an interface loaded with another uses it both ways",
  requireRoot,
  async () => {
    const other = await loadNode(W.node1);
    try {
      fillNode1(other);
      const a = await other.iface({ ifindex: W.ifA, role: "wep", hairpinIp: "169.254.7.7" });
      const syn = runIn(world.ns, a.from_wep, {
        ipv4: { src: W.podA, dst: W.vip },
        tcp: { sport: 47000, dport: W.hairpinPort, flags: ["SYN"] },
      });
      expectOut(syn, "REDIRECT", {
        ...toA,
        ipv4: { src: "169.254.7.7", dst: W.podA, ttl: 63 },
        tcp: { sport: 47000, dport: 8080, flags: ["SYN"] },
      });
      const synAck = runIn(world.ns, a.from_wep, {
        ipv4: { src: W.podA, dst: "169.254.7.7" },
        tcp: { sport: 8080, dport: 47000, flags: ["SYN", "ACK"] },
      });
      expectOut(synAck, "REDIRECT", {
        ...toA,
        ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
        tcp: { sport: W.hairpinPort, dport: 47000, flags: ["SYN", "ACK"] },
      });
    } finally {
      other.close();
    }
  },
);
