/**
 * loadBalancerSourceRanges through bpf/obj/tc.o with BPF_PROG_TEST_RUN: a LoadBalancer IP whose
 * frontend carries SL_NAT_FE_SRC_RANGES admits new flows only from CIDRs of its svc_id in
 * sl_nat_src; other clients are dropped and counted as SL_R_DROP_SRC_RANGE, while the same
 * Service's ClusterIP and NodePort stay open (kube-proxy filters only the LB IPs).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SL_NAT_FE_EXTERNAL, SL_NAT_FE_SRC_RANGES, SlReason } from "../../src/datapath/abi/abi.ts";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { runIn } from "./dp-harness.ts";
import { expectOut, useNode1 } from "./node1-fixture.ts";
import { TCP, W } from "./dp-world.ts";

const world = useNode1();

const HEP = 1;
const hep = () => world.node.iface({ ifindex: HEP, role: "hep" });
const podA = () => world.node.iface({ ifindex: W.ifA, role: "wep" });
const podB1 = () => world.node.iface({ ifindex: W.ifB1, role: "wep" });
const toB1 = { eth: { dst: W.macB1, src: W.hostMacB1 } };
const outsider = "198.18.101.7"; // next /24 over from the admitted one
const dropped = (ifindex: number) => world.node.counters.get(ifindex, SlReason.SL_R_DROP_SRC_RANGE).packets;

interface Case {
  name: string;
  iface: () => ReturnType<typeof hep>;
  ifindex: number;
  prog: "from_hep" | "from_wep";
  input: PacketSpec;
  /** Expected output; undefined = dropped under SL_R_DROP_SRC_RANGE. */
  out?: PacketSpec;
}

const cases: Case[] = [
  {
    name: "a client inside the range reaches the restricted LB IP, DNATed to the backend",
    iface: hep,
    ifindex: HEP,
    prog: "from_hep",
    input: {
      ipv4: { src: W.client, dst: W.lbIpRanged },
      tcp: { sport: 51000, dport: 443, flags: ["SYN"], seq: 100 },
      payload: "hi",
    },
    out: {
      ...toB1,
      ipv4: { src: W.client, dst: W.podB1, ttl: 63 },
      tcp: { sport: 51000, dport: 8443, flags: ["SYN"], seq: 100 },
      payload: "hi",
    },
  },
  {
    name: "a client outside the range is dropped at the restricted LB IP",
    iface: hep,
    ifindex: HEP,
    prog: "from_hep",
    input: { ipv4: { src: outsider, dst: W.lbIpRanged }, tcp: { sport: 51001, dport: 443, flags: ["SYN"] } },
  },
  {
    name: "a pod outside the range is dropped at the restricted LB IP too (kube-proxy filters every sender)",
    iface: podA,
    ifindex: W.ifA,
    prog: "from_wep",
    input: { ipv4: { src: W.podA, dst: W.lbIpRanged }, tcp: { sport: 51002, dport: 443, flags: ["SYN"] } },
  },
  {
    name: "the same Service's NodePort from the outside client is not restricted",
    iface: hep,
    ifindex: HEP,
    prog: "from_hep",
    input: {
      ipv4: { src: outsider, dst: W.node1 },
      tcp: { sport: 51003, dport: W.nodePortRanged, flags: ["SYN"], seq: 7 },
    },
    out: {
      ...toB1,
      ipv4: { src: outsider, dst: W.podB1, ttl: 63 },
      tcp: { sport: 51003, dport: 8443, flags: ["SYN"], seq: 7 },
    },
  },
  {
    name: "the same Service's ClusterIP from a pod outside the range is not restricted",
    iface: podA,
    ifindex: W.ifA,
    prog: "from_wep",
    input: { ipv4: { src: W.podA, dst: W.vip }, tcp: { sport: 51004, dport: 443, flags: ["SYN"], seq: 9 } },
    out: {
      ...toB1,
      ipv4: { src: W.podA, dst: W.podB1, ttl: 63 },
      tcp: { sport: 51004, dport: 8443, flags: ["SYN"], seq: 9 },
    },
  },
];

for (const c of cases) {
  test(`source ranges: ${c.name}`, requireRoot, async () => {
    const before = dropped(c.ifindex);
    const r = runIn(world.ns, (await c.iface())[c.prog], c.input);
    const t = {
      src: c.input.ipv4!.src,
      dst: c.input.ipv4!.dst,
      sport: c.input.tcp!.sport,
      dport: c.input.tcp!.dport,
      proto: TCP,
    };
    if (c.out === undefined) {
      assert.equal(r.verdict, "SHOT");
      assert.equal(dropped(c.ifindex), before + 1n, "counted as SL_R_DROP_SRC_RANGE");
      assert.equal(world.node.ct.get(t), undefined, "a dropped flow leaves no conntrack entry");
      return;
    }
    expectOut(r, "REDIRECT", c.out);
    assert.equal(dropped(c.ifindex), before);
    assert.equal(world.node.ct.get(t)?.type, "nat-fwd");
  });
}

test(
  "source ranges: the admitted flow's reply is reverse-NATed to the LB IP and later packets take the fast path",
  requireRoot,
  async () => {
    const h = await hep();
    runIn(world.ns, h.from_hep, {
      ipv4: { src: W.client, dst: W.lbIpRanged },
      tcp: { sport: 51100, dport: 443, flags: ["SYN"], seq: 1 },
    });
    const reply = runIn(world.ns, (await podB1()).from_wep, {
      ipv4: { src: W.podB1, dst: W.client },
      tcp: { sport: 8443, dport: 51100, flags: ["SYN", "ACK"], seq: 50, ack: 2 },
    });
    assert.equal(reply.verdict, "OK", "no FIB route in the test netns: handed to the stack");
    assertChecksumsValid(reply.data);
    assertPacketEqual(
      reply.data,
      {
        ipv4: { src: W.lbIpRanged, dst: W.client },
        tcp: { sport: 443, dport: 51100, flags: ["SYN", "ACK"], seq: 50, ack: 2 },
      },
      { message: "reply" },
    );
    const ack = runIn(world.ns, h.from_hep, {
      ipv4: { src: W.client, dst: W.lbIpRanged },
      tcp: { sport: 51100, dport: 443, flags: ["ACK"], seq: 2, ack: 51 },
    });
    expectOut(ack, "REDIRECT", {
      ...toB1,
      ipv4: { src: W.client, dst: W.podB1, ttl: 63 },
      tcp: { sport: 51100, dport: 8443, flags: ["ACK"], seq: 2, ack: 51 },
    });
  },
);

test(
  "source ranges: a range of another svc_id admits nobody here, and a flag without ranges admits no one",
  requireRoot,
  async () => {
    const h = await hep();
    world.node.src.allow({ svcId: W.svcRanged + 1, cidr: "198.18.101.0/24" });
    world.node.src.allow({ svcId: W.svcRanged - 1, cidr: "0.0.0.0/0" });
    try {
      const r = runIn(world.ns, h.from_hep, {
        ipv4: { src: outsider, dst: W.lbIpRanged },
        tcp: { sport: 51200, dport: 443, flags: ["SYN"] },
      });
      assert.equal(r.verdict, "SHOT", "svc_id is matched whole before the client's bits");
    } finally {
      world.node.src.delete({ svcId: W.svcRanged + 1, cidr: "198.18.101.0/24" });
      world.node.src.delete({ svcId: W.svcRanged - 1, cidr: "0.0.0.0/0" });
    }
    const empty = { addr: "198.18.200.3", port: 443, proto: TCP };
    world.node.fe.set(empty, {
      svcId: 99,
      count: 1,
      localCount: 1,
      flags: SL_NAT_FE_EXTERNAL | SL_NAT_FE_SRC_RANGES,
      affinityTimeoutS: 0,
    });
    world.node.be.set(99, 0, { addr: W.podB1, port: 8443 });
    try {
      const r = runIn(world.ns, h.from_hep, {
        ipv4: { src: W.client, dst: empty.addr },
        tcp: { sport: 51201, dport: 443, flags: ["SYN"] },
      });
      assert.equal(r.verdict, "SHOT", "fail closed");
    } finally {
      world.node.fe.delete(empty);
      world.node.be.delete(99, 0);
    }
  },
);

test(
  "source ranges: changes apply to new flows live — a widened range admits, a cleared flag opens, established flows stay",
  requireRoot,
  async () => {
    const h = await hep();
    const syn = (sport: number): PacketSpec => ({
      ipv4: { src: outsider, dst: W.lbIpRanged },
      tcp: { sport, dport: 443, flags: ["SYN"] },
    });
    world.node.src.allow({ svcId: W.svcRanged, cidr: `${outsider}/32` });
    const admitted = runIn(world.ns, h.from_hep, syn(51300));
    assert.equal(admitted.verdict, "REDIRECT");
    world.node.src.delete({ svcId: W.svcRanged, cidr: `${outsider}/32` });
    const established = runIn(world.ns, h.from_hep, {
      ipv4: { src: outsider, dst: W.lbIpRanged },
      tcp: { sport: 51300, dport: 443, flags: ["ACK"] },
    });
    assert.equal(
      established.verdict,
      "REDIRECT",
      "conntrack keeps a flow admitted when it began (as kube-proxy's ctstate NEW rule)",
    );
    assert.equal(runIn(world.ns, h.from_hep, syn(51301)).verdict, "SHOT");
    const fe = { addr: W.lbIpRanged, port: 443, proto: TCP };
    const value = world.node.fe.get(fe)!;
    world.node.fe.set(fe, { ...value, flags: SL_NAT_FE_EXTERNAL });
    try {
      assert.equal(runIn(world.ns, h.from_hep, syn(51302)).verdict, "REDIRECT");
    } finally {
      world.node.fe.set(fe, value);
    }
  },
);
