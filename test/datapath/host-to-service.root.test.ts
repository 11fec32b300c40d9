/**
 * Host interfaces and the node's own traffic through bpf/obj/tc.o with BPF_PROG_TEST_RUN. For
 * now the hardening: from_hep drops a packet from the service loopback address (cfg_hairpin_ip,
 * which exists only between a pod and its own host veth) as spoofed.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { useNode1 } from "./node1-fixture.ts";
import { TCP, W } from "./dp-world.ts";

const world = useNode1();

const hep = () => world.node.iface({ ifindex: 1, role: "hep" });
const count = (ifindex: number, reason: number): bigint => world.node.counters.get(ifindex, reason).packets;

test("from_hep drops a packet from the service loopback address as spoofed, to the node or to a pod", requireRoot, async () => {
  const h = await hep();
  const before = count(1, SlReason.SL_R_DROP_SPOOFED);
  const syn = runIn(world.ns, h.from_hep, { ipv4: { src: W.loopback, dst: W.node1 }, tcp: { sport: 40700, dport: W.nodePort, flags: ["SYN"] } });
  assert.equal(syn.verdict, "SHOT");
  const toPod = runIn(world.ns, h.from_hep, { ipv4: { src: W.loopback, dst: W.podB1 }, udp: { sport: 40701, dport: 5353 }, payload: "x" });
  assert.equal(toPod.verdict, "SHOT");
  assert.equal(count(1, SlReason.SL_R_DROP_SPOOFED), before + 2n);
  assert.equal(world.node.ct.get({ src: W.loopback, dst: W.node1, sport: 40700, dport: W.nodePort, proto: TCP }), undefined);
});
