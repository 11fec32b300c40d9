/**
 * Host to Service through bpf/obj/tc.o with BPF_PROG_TEST_RUN: a process on node 1 itself
 * (source the node's address) opens a flow to a ClusterIP; to_hep, on the host interface's
 * egress, DNATs it — into a local backend through the pod's host veth, or toward a remote one
 * where the FIB routes it — and leaves an SL_CT_F_HOST conntrack pair, by which the replies are
 * reverse-NATed in from_wep (local backend) and from_hep (remote). Exact output bytes, the
 * entries, REJECT / traffic policy / source ranges for host flows, what stays untouched, and the
 * hardening: from_hep drops a packet from the service loopback address as spoofed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_CT_F_HOST, SL_CT_F_INIT_A, SL_NAT_FE_ITP_LOCAL, SlReason } from "../../src/datapath/abi/abi.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import { ipPacket, packet } from "../packet/build-packet.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { makeNetns, runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { TCP, UDP, W } from "./dp-world.ts";

const world = useNode1();

const hep = () => world.node.iface({ ifindex: 1, role: "hep" });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep" });
/** Into pod B1 through its host veth: the route's MACs, TTL kept (the host originated it). */
const toB1 = { eth: { dst: W.macB1, src: W.hostMacB1 } };
const hostFlag = SL_CT_F_HOST | SL_CT_F_INIT_A; // node 1 (198.18.0.1) is below every Service address
const count = (ifindex: number, reason: number): bigint => world.node.counters.get(ifindex, reason).packets;

/** Services only this file adds to node 1: backends on node 2, and ITP Local with none here. */
const remoteTcpPort = 8090;
const remoteUdpPort = 8053;
const itpLocalPort = 8091;
function addServices(): void {
  const svc = (svcId: number, n: number, local: number, flags = 0) => ({
    svcId,
    count: n,
    localCount: local,
    flags,
    affinityTimeoutS: 0,
  });
  world.node.fe.set({ addr: W.vip, port: remoteTcpPort, proto: TCP }, svc(40, 1, 0));
  world.node.be.set(40, 0, { addr: W.podB2, port: 8080 });
  world.node.fe.set({ addr: W.vip, port: remoteUdpPort, proto: UDP }, svc(41, 1, 0));
  world.node.be.set(41, 0, { addr: W.podB2, port: 5353 });
  world.node.fe.set({ addr: W.vip, port: itpLocalPort, proto: TCP }, svc(42, 1, 0, SL_NAT_FE_ITP_LOCAL));
  world.node.be.set(42, 0, { addr: W.podB2, port: 8080 });
}

test(
  "host → ClusterIP TCP, local backend: the SYN is DNATed and redirected into pod B1, with a NAT_FWD/NAT_REV pair flagged HOST",
  requireRoot,
  async () => {
    addServices();
    const before = count(1, SlReason.SL_R_NAT_HOST);
    const r = runIn(world.ns, (await hep()).to_hep, {
      ipv4: { src: W.node1, dst: W.vip, id: 3 },
      tcp: { sport: 40000, dport: 80, flags: ["SYN"], seq: 100 },
      payload: "hi",
    });
    expectOut(r, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.node1, dst: W.podB1, id: 3 },
      tcp: { sport: 40000, dport: 8080, flags: ["SYN"], seq: 100 },
      payload: "hi",
    });
    const fwd = world.node.ct.get({ src: W.node1, dst: W.vip, sport: 40000, dport: 80, proto: TCP });
    assert.equal(fwd?.type, "nat-fwd");
    assert.deepEqual(fwd?.nat, { addr: W.podB1, port: 8080 });
    assert.equal(fwd!.flags, hostFlag);
    const rev = world.node.ct.get({ src: W.node1, dst: W.podB1, sport: 40000, dport: 8080, proto: TCP });
    assert.equal(rev?.type, "nat-rev");
    assert.deepEqual(rev?.nat, { addr: W.vip, port: 80 });
    assert.equal(rev!.flags, hostFlag);
    assert.equal(rev!.legA, 0x11, "SYN seen from the host");
    assert.equal(count(1, SlReason.SL_R_NAT_HOST), before + 1n);
  },
);

test(
  "host → ClusterIP TCP, local backend: B1's reply is reverse-NATed in from_wep and handed to the host stack; the host's ACK follows the flow",
  requireRoot,
  async () => {
    const synAck = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.node1, id: 4 },
      tcp: { sport: 8080, dport: 40000, flags: ["SYN", "ACK"], seq: 900, ack: 103 },
    });
    expectOut(synAck, "OK", {
      ipv4: { src: W.vip, dst: W.node1, id: 4 },
      tcp: { sport: 80, dport: 40000, flags: ["SYN", "ACK"], seq: 900, ack: 103 },
    });
    const ack = runIn(world.ns, (await hep()).to_hep, {
      ipv4: { src: W.node1, dst: W.vip, id: 5 },
      tcp: { sport: 40000, dport: 80, flags: ["ACK"], seq: 103, ack: 901 },
      payload: "GET /",
    });
    expectOut(ack, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.node1, dst: W.podB1, id: 5 },
      tcp: { sport: 40000, dport: 8080, flags: ["ACK"], seq: 103, ack: 901 },
      payload: "GET /",
    });
    const rev = world.node.ct.get({ src: W.node1, dst: W.podB1, sport: 40000, dport: 8080, proto: TCP })!;
    assert.equal(rev.legA & 0x3, 0x3, "host sent SYN and ACK");
    assert.equal(rev.legB & 0x3, 0x3, "backend sent SYN and ACK");
  },
);

test(
  "host → ClusterIP UDP, local backend: request and reply, with a real checksum and with checksum 0 kept 0",
  requireRoot,
  async () => {
    const h = await hep();
    const b1 = await podB1();
    const q = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.vip },
      udp: { sport: 40100, dport: 53 },
      payload: "query",
    });
    expectOut(q, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.node1, dst: W.podB1 },
      udp: { sport: 40100, dport: 5353 },
      payload: "query",
    });
    const a = runIn(world.ns, b1.from_wep, {
      ipv4: { src: W.podB1, dst: W.node1 },
      udp: { sport: 5353, dport: 40100 },
      payload: "answer",
    });
    expectOut(a, "OK", {
      ipv4: { src: W.vip, dst: W.node1 },
      udp: { sport: 53, dport: 40100 },
      payload: "answer",
    });
    const q0 = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.vip },
      udp: { sport: 40101, dport: 53, checksum: 0 },
      payload: "nocsum",
    });
    expectOut(q0, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.node1, dst: W.podB1 },
      udp: { sport: 40101, dport: 5353, checksum: 0 },
      payload: "nocsum",
    });
    const a0 = runIn(world.ns, b1.from_wep, {
      ipv4: { src: W.podB1, dst: W.node1 },
      udp: { sport: 5353, dport: 40101, checksum: 0 },
      payload: "r",
    });
    expectOut(a0, "OK", {
      ipv4: { src: W.vip, dst: W.node1 },
      udp: { sport: 53, dport: 40101, checksum: 0 },
      payload: "r",
    });
    assert.equal(
      world.node.ct.get({ src: W.node1, dst: W.podB1, sport: 40100, dport: 5353, proto: UDP })?.flags,
      hostFlag,
    );
  },
);

test(
  "host → ClusterIP, remote backend: DNATed and sent where the FIB routes node 2's pods (neighbour's MAC); node 2's reply is reverse-NATed in from_hep",
  requireRoot,
  async () => {
    const ns = makeNetns();
    try {
      ns.sysctl("net.ipv4.conf.all.forwarding", "1"); // bpf_fib_lookup answers NOT_FWDED otherwise
      ns.ip("link", "set", "lo", "up");
      ns.ip("link", "add", "sl-t-dp-v0", "type", "veth", "peer", "name", "sl-t-dp-v1");
      ns.ip("link", "set", "sl-t-dp-v0", "address", "02:00:00:00:00:a0");
      ns.ip("link", "set", "sl-t-dp-v0", "up");
      ns.ip("link", "set", "sl-t-dp-v1", "up");
      ns.ip("addr", "add", "198.18.0.1/24", "dev", "sl-t-dp-v0");
      ns.ip(
        "neigh",
        "replace",
        W.node2,
        "lladdr",
        "02:00:00:00:00:b0",
        "dev",
        "sl-t-dp-v0",
        "nud",
        "permanent",
      );
      ns.ip("route", "add", "198.19.2.0/24", "via", W.node2, "dev", "sl-t-dp-v0");
      const h = await hep();
      const toNode2 = { eth: { dst: "02:00:00:00:00:b0", src: "02:00:00:00:00:a0" } };
      const syn = runIn(ns, h.to_hep, {
        ipv4: { src: W.node1, dst: W.vip, id: 6 },
        tcp: { sport: 40200, dport: remoteTcpPort, flags: ["SYN"], seq: 1 },
      });
      expectOut(syn, "REDIRECT", {
        ...toNode2,
        ipv4: { src: W.node1, dst: W.podB2, id: 6 },
        tcp: { sport: 40200, dport: 8080, flags: ["SYN"], seq: 1 },
      });
      const rev = world.node.ct.get({ src: W.node1, dst: W.podB2, sport: 40200, dport: 8080, proto: TCP });
      assert.equal(rev?.type, "nat-rev");
      assert.deepEqual(rev?.nat, { addr: W.vip, port: remoteTcpPort });
      assert.equal(
        rev!.flags,
        hostFlag,
        "no tunnel, no NodePort forwarding: the node's source routes back by itself",
      );
      const synAck = runIn(ns, h.from_hep, {
        ipv4: { src: W.podB2, dst: W.node1, id: 7, ttl: 63 },
        tcp: { sport: 8080, dport: 40200, flags: ["SYN", "ACK"], seq: 50, ack: 2 },
      });
      expectOut(synAck, "OK", {
        ipv4: { src: W.vip, dst: W.node1, id: 7, ttl: 63 },
        tcp: { sport: remoteTcpPort, dport: 40200, flags: ["SYN", "ACK"], seq: 50, ack: 2 },
      });
      const q = runIn(ns, h.to_hep, {
        ipv4: { src: W.node1, dst: W.vip },
        udp: { sport: 40201, dport: remoteUdpPort },
        payload: "q",
      });
      expectOut(q, "REDIRECT", {
        ...toNode2,
        ipv4: { src: W.node1, dst: W.podB2 },
        udp: { sport: 40201, dport: 5353 },
        payload: "q",
      });
      const a = runIn(ns, h.from_hep, {
        ipv4: { src: W.podB2, dst: W.node1 },
        udp: { sport: 5353, dport: 40201 },
        payload: "a",
      });
      expectOut(a, "OK", {
        ipv4: { src: W.vip, dst: W.node1 },
        udp: { sport: remoteUdpPort, dport: 40201 },
        payload: "a",
      });
    } finally {
      ns.remove();
    }
  },
);

test(
  "host → a Service without endpoints: RST / port unreachable from the ClusterIP, redirected back (into the host: BPF_F_INGRESS on egress)",
  requireRoot,
  async () => {
    const h = await hep();
    const before = count(1, SlReason.SL_R_REJECT_NO_BACKEND);
    const rst = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.vip },
      tcp: { sport: 40300, dport: 81, flags: ["SYN"], seq: 7000 },
    });
    expectOut(rst, "REDIRECT", {
      eth: { src: "02:00:00:00:00:02", dst: "02:00:00:00:00:01" },
      ipv4: { src: W.vip, dst: W.node1, ttl: 64 },
      tcp: { sport: 81, dport: 40300, flags: ["RST", "ACK"], seq: 0, ack: 7001, window: 0 },
    });
    const l3 = {
      ipv4: { src: W.node1, dst: W.vip, id: 78 },
      udp: { sport: 40301, dport: 82 },
      payload: "hello world",
    };
    const udp: PacketSpec = l3;
    const unreach = runIn(world.ns, h.to_hep, udp);
    expectOut(unreach, "REDIRECT", {
      eth: { src: "02:00:00:00:00:02", dst: "02:00:00:00:00:01" },
      ipv4: { src: W.vip, dst: W.node1, ttl: 64 },
      icmp: { type: "dest-unreachable", code: 3, inner: ipPacket(l3).slice(0, 28) },
    });
    assert.equal(count(1, SlReason.SL_R_REJECT_NO_BACKEND), before + 2n);
    assert.equal(
      world.node.ct.get({ src: W.node1, dst: W.vip, sport: 40300, dport: 81, proto: TCP }),
      undefined,
      "a refused flow leaves no entry",
    );
    // the answer comes back in through from_hep and reaches the socket untouched
    const back = runIn(world.ns, h.from_hep, rst.data);
    assert.equal(back.verdict, "OK");
    assertPacketEqual(back.data, rst.data);
  },
);

test(
  "host flows obey internalTrafficPolicy Local and loadBalancerSourceRanges (the node's address must be in a range, as with kube-proxy)",
  requireRoot,
  async () => {
    const h = await hep();
    const local = count(1, SlReason.SL_R_DROP_NO_LOCAL_BACKEND);
    const itp = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.vip },
      tcp: { sport: 40400, dport: itpLocalPort, flags: ["SYN"] },
    });
    assert.equal(itp.verdict, "SHOT");
    assert.equal(count(1, SlReason.SL_R_DROP_NO_LOCAL_BACKEND), local + 1n);
    const ranged = count(1, SlReason.SL_R_DROP_SRC_RANGE);
    const lb = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.lbIpRanged },
      tcp: { sport: 40401, dport: 443, flags: ["SYN"] },
    });
    assert.equal(lb.verdict, "SHOT", `${W.node1} is outside ${W.clientRange}`);
    assert.equal(count(1, SlReason.SL_R_DROP_SRC_RANGE), ranged + 1n);
    const open = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.lbIp },
      tcp: { sport: 40402, dport: 443, flags: ["SYN"] },
    });
    expectOut(open, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.node1, dst: W.podB1 },
      tcp: { sport: 40402, dport: 8443, flags: ["SYN"] },
    });
  },
);

test(
  "to_hep leaves alone what the host does not send to a Service: forwarded traffic, the host's other flows, mid-flow TCP",
  requireRoot,
  async () => {
    const h = await hep();
    for (const spec of [
      { ipv4: { src: W.client, dst: W.vip }, tcp: { sport: 40500, dport: 80, flags: ["SYN"] } },
      { ipv4: { src: W.podA, dst: W.vip }, udp: { sport: 40501, dport: 53 }, payload: "x" },
      { ipv4: { src: W.node1, dst: W.podB2 }, tcp: { sport: 40502, dport: 8080, flags: ["SYN"] } },
      { ipv4: { src: W.node1, dst: W.vip }, tcp: { sport: 40503, dport: 80, flags: ["ACK"] } },
    ] as PacketSpec[]) {
      const input = packet(spec);
      const r = runIn(world.ns, h.to_hep, input);
      assert.equal(r.verdict, "OK");
      assertPacketEqual(r.data, input);
    }
    assert.equal(
      world.node.ct.get({ src: W.node1, dst: W.podB2, sport: 40502, dport: 8080, proto: TCP }),
      undefined,
      "no entry for a host flow to no Service",
    );
  },
);

test("host IPv4 fragments: the first is DNATed and later ones follow it", requireRoot, async () => {
  const h = await hep();
  const first = runIn(world.ns, h.to_hep, {
    ipv4: { src: W.node1, dst: W.vip, id: 0x4242, flags: ["MF"] },
    udp: { sport: 40600, dport: 53, length: 8 + 32, checksum: 0 },
    payload: "0123456789abcdef",
  });
  assert.equal(first.verdict, "REDIRECT");
  assertPacketEqual(first.data, {
    ...toB1,
    ipv4: { src: W.node1, dst: W.podB1, id: 0x4242, flags: ["MF"] },
    udp: { sport: 40600, dport: 5353, length: 8 + 32, checksum: 0 },
    payload: "0123456789abcdef",
  });
  const later: PacketSpec = {
    ipv4: { src: W.node1, dst: W.vip, id: 0x4242, fragOffset: 2, protocol: UDP },
    payload: "0123456789abcdef",
  };
  expectOut(runIn(world.ns, h.to_hep, later), "REDIRECT", {
    ...toB1,
    ipv4: { src: W.node1, dst: W.podB1, id: 0x4242, fragOffset: 2, protocol: UDP },
    payload: "0123456789abcdef",
  });
});

test(
  "from_hep drops a packet from the service loopback address as spoofed, to the node or to a pod",
  requireRoot,
  async () => {
    const h = await hep();
    const before = count(1, SlReason.SL_R_DROP_SPOOFED);
    const syn = runIn(world.ns, h.from_hep, {
      ipv4: { src: W.loopback, dst: W.node1 },
      tcp: { sport: 40700, dport: W.nodePort, flags: ["SYN"] },
    });
    assert.equal(syn.verdict, "SHOT");
    const toPod = runIn(world.ns, h.from_hep, {
      ipv4: { src: W.loopback, dst: W.podB1 },
      udp: { sport: 40701, dport: 5353 },
      payload: "x",
    });
    assert.equal(toPod.verdict, "SHOT");
    assert.equal(count(1, SlReason.SL_R_DROP_SPOOFED), before + 2n);
    assert.equal(
      world.node.ct.get({ src: W.loopback, dst: W.node1, sport: 40700, dport: W.nodePort, proto: TCP }),
      undefined,
    );
  },
);
