/**
 * GSO super-packets through a NodePort to a remote backend (issue 8). A TCP sender on a veth
 * hands over one packet of many segments (skb->gso_size set: TSO, or GRO of a sender's
 * segments); its IP total length is far above the MTU, but each segment on the wire is headers +
 * gso_size. Run with gso_size/gso_segs in ctx_in: a super-packet whose segments fit the wire
 * passes the MTU stage (no frag-needed) where the same bytes without gso_size are refused; only
 * a segment that is really too big on the wire gets frag-needed, byte by byte, with the MTU that
 * accounts for the VXLAN (50 B) or DSR-option (8 B) overhead.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SlReason } from "../../src/datapath/abi/abi.ts";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { ipPacket } from "../packet/build-packet.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { loadNode, makeNetns, runIn, type DpNode, type DpRun, type TestNetns } from "./dp-harness.ts";
import { fillNode1, fillNode2, W } from "./dp-world.ts";

const CLIENT_PORT = 52100;
const clientEth = { src: "02:00:00:00:aa:01", dst: "02:00:00:00:00:11" };
/** Two segments (test_run takes at most a page of data) of the client's TCP at the tunnel MTU (1450 − 20 − 20). */
const MSS = 1410;
const SEGS = 2;

async function withNode1(fn: (n1: DpNode, n2: DpNode, ns: TestNetns) => Promise<void>): Promise<void> {
  const ns = makeNetns();
  const n1 = await loadNode(W.node1);
  const n2 = await loadNode(W.node2);
  try {
    fillNode1(n1);
    fillNode2(n2);
    await fn(n1, n2, ns);
  } finally {
    n1.close();
    n2.close();
    ns.remove();
  }
}

function payload(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
}

const syn: PacketSpec = {
  eth: clientEth,
  ipv4: { src: W.client, dst: W.node1, flags: ["DF"] },
  tcp: { sport: CLIENT_PORT, dport: W.nodePort, flags: ["SYN"], seq: 100 },
};

function data(mss: number): PacketSpec {
  return {
    eth: clientEth,
    ipv4: { src: W.client, dst: W.node1, flags: ["DF"] },
    tcp: { sport: CLIENT_PORT, dport: W.nodePort, flags: ["ACK"], seq: 101, ack: 5000 },
    payload: payload(mss * SEGS),
  };
}

/** fragNeeded is the byte-exact ICMP answer to `sent` from node1: the IP header and TCP header quoted. */
function fragNeeded(sent: PacketSpec, mtu: number): PacketSpec {
  const { eth: _e, ...l3 } = sent;
  return {
    eth: { src: clientEth.dst, dst: clientEth.src },
    ipv4: { src: W.node1, dst: W.client, ttl: 64 },
    icmp: { type: "dest-unreachable", code: 4, mtu, inner: ipPacket(l3).slice(0, 40) },
  };
}

/**
 * test_run builds its skb with gso_size from ctx_in but no gso_type, and bpf_skb_adjust_room
 * refuses to grow a GSO packet that is not TCP (-ENOTSUPP), so the encapsulation itself of a
 * GSO packet is proved by the lab (test/e2e/nodeport-bulk.root.test.ts, real TSO packets);
 * here, byte by byte, the MTU decision: the same bytes are refused without gso_size and let on
 * with it, and a segment really too big on the wire gets frag-needed with the right MTU.
 */
function passedMtu(n1: DpNode, r: DpRun): void {
  assert.notEqual(r.packet.icmp?.type, "dest-unreachable", "no ICMP answer");
  assert.equal(n1.counters.get(1, SlReason.SL_R_ICMP_FRAG_NEEDED).packets, 0n, "no frag-needed");
  assert.equal(n1.counters.get(1, SlReason.SL_R_DROP_TOO_BIG).packets, 0n);
}

test(
  "GSO through a NodePort, Tunnel: segments that fit the tunnel pass; the same bytes without gso_size get frag-needed",
  requireRoot,
  async () => {
    await withNode1(async (n1, _n2, ns) => {
      const h1 = await n1.iface({ ifindex: 1, role: "hep" });
      assert.equal(runIn(ns, h1.from_hep, syn).verdict, "OK");
      const big = data(MSS);
      passedMtu(n1, runIn(ns, h1.from_hep, big, { gsoSize: MSS, gsoSegs: SEGS }));
      // 1500-byte segments fit the underlay, not the tunnel: the segments give up 50 bytes (no ICMP)
      passedMtu(n1, runIn(ns, h1.from_hep, data(1460), { gsoSize: 1460, gsoSegs: SEGS }));
      const plain = runIn(ns, h1.from_hep, big);
      assert.equal(plain.verdict, "REDIRECT");
      assertChecksumsValid(plain.data);
      assertPacketEqual(plain.data, fragNeeded(big, 1450));
    });
  },
);

test(
  "GSO through a NodePort, Tunnel: segments too big for the underlay get frag-needed with the tunnel MTU",
  requireRoot,
  async () => {
    await withNode1(async (n1, _n2, ns) => {
      const h1 = await n1.iface({ ifindex: 1, role: "hep" });
      assert.equal(runIn(ns, h1.from_hep, syn).verdict, "OK");
      const big = data(1461); // 1501-byte segments
      const r = runIn(ns, h1.from_hep, big, { gsoSize: 1461, gsoSegs: SEGS });
      assert.equal(r.verdict, "REDIRECT");
      assertChecksumsValid(r.data);
      assertPacketEqual(r.data, fragNeeded(big, 1450));
      assert.equal(n1.counters.get(1, SlReason.SL_R_ICMP_FRAG_NEEDED).packets, 1n);
    });
  },
);

test(
  "GSO through a NodePort, DSR: segments that fit with the option pass; too big gets the underlay MTU less 8",
  requireRoot,
  async () => {
    await withNode1(async (n1, _n2, ns) => {
      n1.globals.set({ externalServiceMode: "DSR", ctTimeouts: {} });
      const h1 = await n1.iface({ ifindex: 1, role: "hep" });
      assert.equal(runIn(ns, h1.from_hep, syn).verdict, "OK");
      const mss = 1500 - 8 - 40; // the largest segment that fits with the option
      passedMtu(n1, runIn(ns, h1.from_hep, data(mss), { gsoSize: mss, gsoSegs: SEGS }));
      passedMtu(n1, runIn(ns, h1.from_hep, data(1460), { gsoSize: 1460, gsoSegs: SEGS }));
      const tooBig = data(1461);
      const t = runIn(ns, h1.from_hep, tooBig, { gsoSize: 1461, gsoSegs: SEGS });
      assert.equal(t.verdict, "REDIRECT");
      assertChecksumsValid(t.data);
      assertPacketEqual(t.data, fragNeeded(tooBig, 1492));
    });
  },
);
