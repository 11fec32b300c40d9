/**
 * kube-proxy's externalTrafficPolicy: Local short-circuit through bpf/obj/tc.o with
 * BPF_PROG_TEST_RUN (issue 8): a pod of this node (from_wep) or the node itself (to_hep, source
 * a node address) reaching an ETP-Local LoadBalancer IP or NodePort is balanced over all ready
 * backends — here the only one is on node 2, so Local alone would drop — while the same SYN from
 * outside (from_hep) keeps the local-only rule and is dropped. Exact output bytes and counters.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_NAT_FE_ETP_LOCAL, SL_NAT_FE_EXTERNAL, SlReason } from "../../src/datapath/abi/abi.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { TCP, W } from "./dp-world.ts";

const world = useNode1();
const LB_IP = "198.18.200.9";
const SVC_ID = 50;

/** An ETP-Local LB IP (this file's) and the world's ETP-Local NodePort node1:30090, both backed only by pod B2 on node 2. */
function addLbService(): void {
  world.node.fe.set(
    { addr: LB_IP, port: 80, proto: TCP },
    {
      svcId: SVC_ID,
      count: 1,
      localCount: 0,
      flags: SL_NAT_FE_EXTERNAL | SL_NAT_FE_ETP_LOCAL,
      affinityTimeoutS: 0,
    },
  );
  world.node.be.set(SVC_ID, 0, { addr: W.podB2, port: 8080 });
}

const count = (ifindex: number, reason: number): bigint => world.node.counters.get(ifindex, reason).packets;

test(
  "pod → LoadBalancer IP with ETP Local and no local backend: DNATed to the remote backend, not dropped",
  requireRoot,
  async () => {
    addLbService();
    const a = await world.node.iface({ ifindex: W.ifA, role: "wep" });
    const r = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: LB_IP, id: 9 },
      tcp: { sport: 41000, dport: 80, flags: ["SYN"], seq: 1 },
    });
    // no FIB route in the test netns: handed to the stack, DNATed
    expectOut(r, "OK", {
      ipv4: { src: W.podA, dst: W.podB2, id: 9 },
      tcp: { sport: 41000, dport: 8080, flags: ["SYN"], seq: 1 },
    });
    assert.equal(
      world.node.ct.get({ src: W.podA, dst: LB_IP, sport: 41000, dport: 80, proto: TCP })?.type,
      "nat-fwd",
    );
    assert.equal(count(W.ifA, SlReason.SL_R_DROP_NO_LOCAL_BACKEND), 0n);
  },
);

test(
  "pod → NodePort with ETP Local and no local backend: DNATed to the remote backend",
  requireRoot,
  async () => {
    const a = await world.node.iface({ ifindex: W.ifA, role: "wep" });
    const r = runIn(world.ns, a.from_wep, {
      ipv4: { src: W.podA, dst: W.node1, id: 10 },
      tcp: { sport: 41001, dport: 30090, flags: ["SYN"], seq: 1 },
    });
    expectOut(r, "OK", {
      ipv4: { src: W.podA, dst: W.podB2, id: 10 },
      tcp: { sport: 41001, dport: 8080, flags: ["SYN"], seq: 1 },
    });
    assert.deepEqual(
      world.node.ct.get({ src: W.podA, dst: W.node1, sport: 41001, dport: 30090, proto: TCP })?.nat,
      { addr: W.podB2, port: 8080 },
    );
  },
);

test(
  "host → NodePort with ETP Local and no local backend: DNATed on egress to the remote backend",
  requireRoot,
  async () => {
    const h = await world.node.iface({ ifindex: 1, role: "hep" });
    const r = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: W.node1, id: 11 },
      tcp: { sport: 41002, dport: 30090, flags: ["SYN"], seq: 1 },
    });
    expectOut(r, "OK", {
      ipv4: { src: W.node1, dst: W.podB2, id: 11 },
      tcp: { sport: 41002, dport: 8080, flags: ["SYN"], seq: 1 },
    });
    assert.equal(count(1, SlReason.SL_R_NAT_HOST) > 0n, true);
  },
);

test(
  "host → LoadBalancer IP with ETP Local: DNATed; the same SYN from outside is still dropped (local-only rule)",
  requireRoot,
  async () => {
    addLbService();
    const h = await world.node.iface({ ifindex: 1, role: "hep" });
    const host = runIn(world.ns, h.to_hep, {
      ipv4: { src: W.node1, dst: LB_IP, id: 12 },
      tcp: { sport: 41003, dport: 80, flags: ["SYN"], seq: 1 },
    });
    expectOut(host, "OK", {
      ipv4: { src: W.node1, dst: W.podB2, id: 12 },
      tcp: { sport: 41003, dport: 8080, flags: ["SYN"], seq: 1 },
    });
    const before = count(1, SlReason.SL_R_DROP_NO_LOCAL_BACKEND);
    for (const [dst, dport] of [
      [LB_IP, 80],
      [W.node1, 30090],
    ] as const) {
      const out = runIn(world.ns, h.from_hep, {
        ipv4: { src: W.client, dst },
        tcp: { sport: 41004, dport, flags: ["SYN"] },
      });
      assert.equal(out.verdict, "SHOT", `from outside to ${dst}:${dport}`);
    }
    assert.equal(count(1, SlReason.SL_R_DROP_NO_LOCAL_BACKEND), before + 2n);
  },
);
