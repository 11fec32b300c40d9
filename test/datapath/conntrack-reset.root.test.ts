/**
 * Flows to a removed backend (SL_CT_F_RESET, set by the agent on the conntrack entries of a TCP
 * flow whose backend left its Service) through bpf/obj/tc.o with BPF_PROG_TEST_RUN: the client's
 * next packet is answered with a RST from the address it talks to, byte for byte, and the pair
 * is gone; a new SYN on the same tuple is a new flow to a live backend; the backend's own packets
 * are not answered; a RST is never answered with a RST. Needs root.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_CT_F_RESET, SlReason } from "../../src/datapath/abi/abi.ts";
import type { DpNode } from "./dp-harness.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { TCP, UDP, W } from "./dp-world.ts";

const world = useNode1();
const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep" });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep" });
const ethA = { src: W.macA, dst: W.hostMacA };

/** flag sets SL_CT_F_RESET on every entry of the flow with client port `cport` (what the agent does). */
function flag(node: DpNode, cport: number): number {
  let n = 0;
  for (const e of [...node.ct.entries()]) {
    if (e.a.port !== cport && e.b.port !== cport) continue;
    node.ct.put({ ...e, flags: e.flags | SL_CT_F_RESET });
    n++;
  }
  return n;
}

async function established(cport: number): Promise<void> {
  const a = await podA();
  const b1 = await podB1();
  runIn(world.ns, a.from_wep, {
    eth: ethA,
    ipv4: { src: W.podA, dst: W.vip },
    tcp: { sport: cport, dport: 80, flags: ["SYN"], seq: 1000 },
  });
  runIn(world.ns, b1.from_wep, {
    ipv4: { src: W.podB1, dst: W.podA },
    tcp: { sport: 8080, dport: cport, flags: ["SYN", "ACK"], seq: 5000, ack: 1001 },
  });
  runIn(world.ns, a.from_wep, {
    eth: ethA,
    ipv4: { src: W.podA, dst: W.vip },
    tcp: { sport: cport, dport: 80, flags: ["ACK"], seq: 1001, ack: 5001 },
  });
}

test(
  "a client's data to a removed backend gets a RST from the ClusterIP (seq = its ACK), sent back out of its veth; the NAT pair is deleted",
  requireRoot,
  async () => {
    await established(47000);
    assert.equal(flag(world.node, 47000), 2, "NAT_FWD and NAT_REV flagged");
    const before = world.node.counters.get(W.ifA, SlReason.SL_R_CT_RESET).packets;
    const r = runIn(world.ns, (await podA()).from_wep, {
      eth: ethA,
      ipv4: { src: W.podA, dst: W.vip, id: 77 },
      tcp: { sport: 47000, dport: 80, flags: ["PSH", "ACK"], seq: 1001, ack: 5001 },
      payload: "GET / HTTP/1.1\r\n",
    });
    expectOut(r, "REDIRECT", {
      eth: { src: W.hostMacA, dst: W.macA },
      ipv4: { src: W.vip, dst: W.podA, ttl: 64, id: 0 },
      tcp: { sport: 80, dport: 47000, flags: ["RST"], seq: 5001, ack: 0, window: 0 },
    });
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.vip, sport: 47000, dport: 80, proto: TCP }),
      undefined,
      "NAT_FWD deleted",
    );
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 47000, dport: 8080, proto: TCP }),
      undefined,
      "NAT_REV deleted",
    );
    assert.equal(world.node.counters.get(W.ifA, SlReason.SL_R_CT_RESET).packets, before + 1n);
  },
);

test(
  "a flagged flow's new SYN on the same tuple is a new flow, DNATed to a live backend",
  requireRoot,
  async () => {
    await established(47001);
    flag(world.node, 47001);
    const syn = {
      eth: ethA,
      ipv4: { src: W.podA, dst: W.vip },
      tcp: { sport: 47001, dport: 80, flags: ["SYN" as const], seq: 9 },
    };
    const r = runIn(world.ns, (await podA()).from_wep, syn);
    assert.equal(r.verdict, "REDIRECT");
    assert.equal(r.packet.ipv4?.dst, W.podB1);
    assert.equal(r.packet.tcp?.flags.includes("RST"), false);
    const rev = world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 47001, dport: 8080, proto: TCP })!;
    assert.equal(rev.flags & SL_CT_F_RESET, 0, "a fresh, unflagged entry");
  },
);

test("the backend's packets and the client's own RST are not answered with a RST", requireRoot, async () => {
  await established(47002);
  flag(world.node, 47002);
  const fromBackend = runIn(world.ns, (await podB1()).from_wep, {
    ipv4: { src: W.podB1, dst: W.podA },
    tcp: { sport: 8080, dport: 47002, flags: ["ACK"], seq: 5001, ack: 1001 },
  });
  assert.equal(fromBackend.packet.tcp?.flags.includes("RST"), false);
  assert.equal(fromBackend.packet.ipv4?.src, W.vip, "still reverse-NATed");
  const rst = runIn(world.ns, (await podA()).from_wep, {
    eth: ethA,
    ipv4: { src: W.podA, dst: W.vip },
    tcp: { sport: 47002, dport: 80, flags: ["RST"], seq: 1001 },
  });
  assert.equal(rst.verdict, "OK", "passed to the stack as a mid-flow packet without conntrack");
  assert.equal(
    world.node.ct.get({ src: W.podA, dst: W.vip, sport: 47002, dport: 80, proto: TCP }),
    undefined,
  );
});

test("a flagged UDP flow is forgotten and starts over to a live backend", requireRoot, async () => {
  const a = await podA();
  runIn(world.ns, a.from_wep, { ipv4: { src: W.podA, dst: W.vip }, udp: { sport: 47003, dport: 53 } });
  flag(world.node, 47003);
  const r = runIn(world.ns, a.from_wep, {
    ipv4: { src: W.podA, dst: W.vip },
    udp: { sport: 47003, dport: 53 },
  });
  assert.equal(r.packet.ipv4?.dst, W.podB1);
  assert.equal(
    world.node.ct.get({ src: W.podA, dst: W.podB1, sport: 47003, dport: 5353, proto: UDP })!.flags &
      SL_CT_F_RESET,
    0,
  );
});
