/**
 * Conntrack's per-side counters (flow logs) through bpf/obj/tc.o with BPF_PROG_TEST_RUN: a
 * hairpin UDP flow through a ClusterIP (every packet crosses one hook, pod A's from_wep, once) —
 * the NAT_REV entry counts what each side sent, packets and IP bytes, from the first packet
 * (ct_create) through the established path (ct_touch); the NAT_FWD entry keeps no counts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { UDP, W } from "./dp-world.ts";

const world = useNode1();
const LB = W.loopback;
const toA = { eth: { dst: W.macA, src: W.hostMacA } };

test(
  "the NAT_REV entry counts each side's packets and IP bytes; NAT_FWD counts nothing",
  requireRoot,
  async () => {
    const a = await world.node.iface({ ifindex: W.ifA, role: "wep" });
    const query = {
      ipv4: { src: W.podA, dst: W.vip },
      udp: { sport: 42900, dport: W.hairpinUdpPort },
      payload: "query",
    };
    for (let i = 0; i < 2; i++)
      expectOut(runIn(world.ns, a.from_wep, query), "REDIRECT", {
        ...toA,
        ipv4: { src: LB, dst: W.podA, ttl: 63 },
        udp: { sport: 42900, dport: 5353 },
        payload: "query",
      });
    const reply = { ipv4: { src: W.podA, dst: LB }, udp: { sport: 5353, dport: 42900 }, payload: "answer" };
    expectOut(runIn(world.ns, a.from_wep, reply), "REDIRECT", {
      ...toA,
      ipv4: { src: W.vip, dst: W.podA, ttl: 63 },
      udp: { sport: W.hairpinUdpPort, dport: 42900 },
      payload: "answer",
    });
    const rev = world.node.ct.get({ src: LB, dst: W.podA, sport: 42900, dport: 5353, proto: UDP });
    assert.equal(rev?.type, "nat-rev");
    // the loopback address (169.254.42.1) is below pod A: the client is side a
    assert.deepEqual(rev!.sent, {
      a: { packets: 2n, bytes: 2n * (20n + 8n + 5n) },
      b: { packets: 1n, bytes: 20n + 8n + 6n },
    });
    const fwd = world.node.ct.get({
      src: W.podA,
      dst: W.vip,
      sport: 42900,
      dport: W.hairpinUdpPort,
      proto: UDP,
    });
    assert.equal(fwd?.type, "nat-fwd");
    assert.deepEqual(fwd!.sent, { a: { packets: 0n, bytes: 0n }, b: { packets: 0n, bytes: 0n } });
  },
);
