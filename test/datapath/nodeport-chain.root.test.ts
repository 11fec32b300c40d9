/**
 * NodePort to a backend on another node, walked program by program: the bytes one program
 * outputs are the next program's input (client node from_hep → backend node from_hep → backend
 * pod's from_wep → client node from_hep), for TCP and UDP, in Tunnel and DSR mode. Also the MTU
 * answer before encapsulation and a FIB route that turns the tunnel output into a redirect.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  SL_CT_F_DSR,
  SL_CT_F_DSR_FWD,
  SL_CT_F_NODEPORT_FWD,
  SL_CT_F_TUNNEL,
  SL_DSR_OPT_TYPE,
  SlReason,
} from "../../src/datapath/abi/abi.ts";
import { ipv4ToNumber } from "../../src/model/ipv4.ts";
import { assertChecksumsValid } from "../packet/assert-checksums.ts";
import { ipPacket, packet } from "../packet/build-packet.ts";
import { assertPacketEqual } from "../packet/packet-diff.ts";
import type { L3PacketSpec, PacketSpec } from "../packet/packet-spec.ts";
import { requireRoot } from "../support/root.ts";
import { loadNode, makeNetns, runIn, type DpNode, type TestNetns } from "./dp-harness.ts";
import { fillNode1, fillNode2, TCP, UDP, W } from "./dp-world.ts";

const CLIENT_PORT = 52000;
const clientEth = { src: "02:00:00:00:aa:01", dst: "02:00:00:00:00:11" };

/** vxlanSport mirrors bpf/include/vxlan.h's flow hash (inner tuple after NAT). */
function vxlanSport(src: string, dst: string, sport: number, dport: number, proto: number): number {
  let h = (ipv4ToNumber(src) ^ ipv4ToNumber(dst) ^ (((sport << 16) | dport) >>> 0) ^ proto) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  return 0xc000 | (h & 0x3fff);
}

function l4(
  proto: number,
  sport: number,
  dport: number,
  flags: ("SYN" | "ACK")[],
): Pick<L3PacketSpec, "tcp" | "udp"> {
  return proto === TCP ? { tcp: { sport, dport, flags, seq: 100 } } : { udp: { sport, dport } };
}

async function withCluster(fn: (n1: DpNode, n2: DpNode, ns: TestNetns) => Promise<void>): Promise<void> {
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

for (const proto of [TCP, UDP]) {
  const name = proto === TCP ? "TCP" : "UDP";
  const bport = proto === TCP ? 8080 : 5353;

  test(
    `NodePort ${name}, Tunnel: client node encapsulates, backend node decapsulates, the reply returns through the tunnel`,
    requireRoot,
    async () => {
      await withCluster(async (n1, n2, ns) => {
        const h1 = await n1.iface({ ifindex: 1, role: "hep" });
        const h2 = await n2.iface({ ifindex: 1, role: "hep" });
        const b2 = await n2.iface({ ifindex: W.ifB2, role: "wep" });
        const input: PacketSpec = {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.node1 },
          ...l4(proto, CLIENT_PORT, W.nodePort, ["SYN"]),
          payload: "ping",
        };

        // 1. client node: DNAT to B2, VXLAN to node2 (no FIB route in the netns: to the stack)
        const s1 = runIn(ns, h1.from_hep, input);
        const inner1: PacketSpec = {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.podB2 },
          ...l4(proto, CLIENT_PORT, bport, ["SYN"]),
          payload: "ping",
        };
        assert.equal(s1.verdict, "OK");
        assertChecksumsValid(s1.data);
        assertPacketEqual(s1.data, {
          eth: clientEth,
          ipv4: { src: W.node1, dst: W.node2, ttl: 64, flags: ["DF"] },
          udp: { sport: vxlanSport(W.client, W.podB2, CLIENT_PORT, bport, proto), dport: 4789, checksum: 0 },
          vxlan: { vni: 4096, inner: inner1 },
        });
        const rev1 = n1.ct.get({ src: W.client, dst: W.podB2, sport: CLIENT_PORT, dport: bport, proto })!;
        assert.equal(rev1.type, "nat-rev");
        assert.equal(rev1.flags & SL_CT_F_NODEPORT_FWD, SL_CT_F_NODEPORT_FWD);
        assert.equal(rev1.tunIp, W.node2);
        assert.deepEqual(rev1.nat, { addr: W.node1, port: W.nodePort });
        assert.equal(
          n1.ct.get({ src: W.client, dst: W.node1, sport: CLIENT_PORT, dport: W.nodePort, proto })?.type,
          "nat-fwd",
        );

        // 2. backend node: decapsulate, track with the tunnel as return path, deliver to B2
        const s2 = runIn(ns, h2.from_hep, s1.data);
        assert.equal(s2.verdict, "REDIRECT");
        assertChecksumsValid(s2.data);
        assertPacketEqual(s2.data, {
          ...inner1,
          eth: { dst: W.macB2, src: W.hostMacB2 },
          ipv4: { src: W.client, dst: W.podB2, ttl: 63 },
        });
        const e2 = n2.ct.get({ src: W.client, dst: W.podB2, sport: CLIENT_PORT, dport: bport, proto })!;
        assert.equal(e2.type, "normal");
        assert.equal(e2.flags & SL_CT_F_TUNNEL, SL_CT_F_TUNNEL);
        assert.equal(e2.tunIp, W.node1);

        // 3. B2 replies to the client's own address: back into the tunnel to node1
        const reply: PacketSpec = {
          eth: { src: W.macB2, dst: W.hostMacB2 },
          ipv4: { src: W.podB2, dst: W.client },
          ...l4(proto, bport, CLIENT_PORT, ["SYN", "ACK"]),
          payload: "pong",
        };
        const s3 = runIn(ns, b2.from_wep, reply);
        assert.equal(s3.verdict, "OK");
        assertChecksumsValid(s3.data);
        assertPacketEqual(s3.data, {
          eth: reply.eth!,
          ipv4: { src: W.node2, dst: W.node1, ttl: 64, flags: ["DF"] },
          udp: { sport: vxlanSport(W.podB2, W.client, bport, CLIENT_PORT, proto), dport: 4789, checksum: 0 },
          vxlan: { vni: 4096, inner: reply },
        });

        // 4. client node: decapsulate, reverse NAT to the NodePort, toward the client
        const s4 = runIn(ns, h1.from_hep, s3.data);
        assert.equal(s4.verdict, "OK");
        assertChecksumsValid(s4.data);
        assertPacketEqual(s4.data, {
          ...reply,
          ipv4: { src: W.node1, dst: W.client },
          ...l4(proto, W.nodePort, CLIENT_PORT, ["SYN", "ACK"]),
        });
        assert.equal(n1.counters.get(1, SlReason.SL_R_VXLAN_ENCAP).packets, 1n);
        assert.equal(n1.counters.get(1, SlReason.SL_R_VXLAN_DECAP).packets, 1n);
        assert.equal(n1.counters.get(1, SlReason.SL_R_NAT_REVERSE).packets, 1n);
      });
    },
  );

  test(
    `NodePort ${name}, DSR: client node adds the frontend option, backend node strips it and replies straight to the client`,
    requireRoot,
    async () => {
      await withCluster(async (n1, n2, ns) => {
        n1.globals.set({ externalServiceMode: "DSR", ctTimeouts: {} });
        const h1 = await n1.iface({ ifindex: 1, role: "hep" });
        const h2 = await n2.iface({ ifindex: 1, role: "hep" });
        const b2 = await n2.iface({ ifindex: W.ifB2, role: "wep" });
        const input: PacketSpec = {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.node1 },
          ...l4(proto, CLIENT_PORT, W.nodePort, ["SYN"]),
          payload: "ping",
        };
        const opt = Uint8Array.from([
          SL_DSR_OPT_TYPE,
          8,
          W.nodePort >> 8,
          W.nodePort & 255,
          ...W.node1.split(".").map(Number),
        ]);

        const s1 = runIn(ns, h1.from_hep, input);
        assert.equal(s1.verdict, "OK");
        assertChecksumsValid(s1.data);
        assertPacketEqual(s1.data, {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.podB2, options: opt },
          ...l4(proto, CLIENT_PORT, bport, ["SYN"]),
          payload: "ping",
        });
        const rev1 = n1.ct.get({ src: W.client, dst: W.podB2, sport: CLIENT_PORT, dport: bport, proto })!;
        assert.equal(
          rev1.flags & (SL_CT_F_NODEPORT_FWD | SL_CT_F_DSR_FWD),
          SL_CT_F_NODEPORT_FWD | SL_CT_F_DSR_FWD,
        );

        const s2 = runIn(ns, h2.from_hep, s1.data);
        assert.equal(s2.verdict, "REDIRECT");
        assertChecksumsValid(s2.data);
        assertPacketEqual(s2.data, {
          eth: { dst: W.macB2, src: W.hostMacB2 },
          ipv4: { src: W.client, dst: W.podB2, ttl: 63 },
          ...l4(proto, CLIENT_PORT, bport, ["SYN"]),
          payload: "ping",
        });
        const e2 = n2.ct.get({ src: W.client, dst: W.podB2, sport: CLIENT_PORT, dport: bport, proto })!;
        assert.equal(e2.type, "nat-rev");
        assert.equal(e2.flags & SL_CT_F_DSR, SL_CT_F_DSR);
        assert.deepEqual(e2.nat, { addr: W.node1, port: W.nodePort });

        const reply: PacketSpec = {
          eth: { src: W.macB2, dst: W.hostMacB2 },
          ipv4: { src: W.podB2, dst: W.client },
          ...l4(proto, bport, CLIENT_PORT, ["SYN", "ACK"]),
          payload: "pong",
        };
        const s3 = runIn(ns, b2.from_wep, reply);
        assert.equal(s3.verdict, "OK", "no FIB route in the netns: handed to the stack, not tunnelled");
        assertChecksumsValid(s3.data);
        assertPacketEqual(s3.data, {
          ...reply,
          ipv4: { src: W.node1, dst: W.client },
          ...l4(proto, W.nodePort, CLIENT_PORT, ["SYN", "ACK"]),
        });
        assert.equal(n2.counters.get(1, SlReason.SL_R_DSR_ACCEPT).packets, 1n);
      });
    },
  );
}

test("DSR option from an unknown frontend is ignored (no reply-source spoofing)", requireRoot, async () => {
  await withCluster(async (_n1, n2, ns) => {
    const h2 = await n2.iface({ ifindex: 1, role: "hep" });
    const opt = Uint8Array.from([SL_DSR_OPT_TYPE, 8, 0, 99, 8, 8, 8, 8]);
    const input: PacketSpec = {
      ipv4: { src: W.client, dst: W.podB2, options: opt },
      tcp: { sport: 1234, dport: 8080, flags: ["SYN"] },
    };
    const r = runIn(ns, h2.from_hep, input);
    assert.equal(r.verdict, "REDIRECT");
    assert.deepEqual(r.packet.ipv4?.options, opt, "option left in place");
    assert.equal(
      n2.ct.get({ src: W.client, dst: W.podB2, sport: 1234, dport: 8080, proto: TCP })?.type,
      "normal",
    );
  });
});

test("VXLAN from an address that is not a known node is dropped", requireRoot, async () => {
  await withCluster(async (_n1, n2, ns) => {
    const h2 = await n2.iface({ ifindex: 1, role: "hep" });
    const inner: PacketSpec = {
      ipv4: { src: W.client, dst: W.podB2 },
      tcp: { sport: 1, dport: 8080, flags: ["SYN"] },
    };
    const r = runIn(ns, h2.from_hep, {
      ipv4: { src: W.client, dst: W.node2 },
      udp: { sport: 50000, dport: 4789 },
      vxlan: { vni: 4096, inner },
    });
    assert.equal(r.verdict, "SHOT");
    assert.equal(n2.counters.get(1, SlReason.SL_R_DROP_TUNNEL_SOURCE).packets, 1n);
  });
});

test(
  "too big for the tunnel: DF gets ICMP fragmentation-needed with the tunnel MTU, no DF is dropped",
  requireRoot,
  async () => {
    await withCluster(async (n1, _n2, ns) => {
      const h1 = await n1.iface({ ifindex: 1, role: "hep" });
      const big: PacketSpec = {
        eth: clientEth,
        ipv4: { src: W.client, dst: W.node1, flags: ["DF"] },
        tcp: { sport: 53000, dport: W.nodePort, flags: ["SYN"] },
        payload: new Uint8Array(1420),
      };
      const r = runIn(ns, h1.from_hep, big);
      assert.equal(r.verdict, "REDIRECT");
      assertChecksumsValid(r.data);
      const { eth: _e, ...l3 } = big;
      assertPacketEqual(r.data, {
        eth: { src: clientEth.dst, dst: clientEth.src },
        ipv4: { src: W.node1, dst: W.client, ttl: 64 },
        icmp: { type: "dest-unreachable", code: 4, mtu: 1450, inner: ipPacket(l3).slice(0, 40) }, // IP + TCP header: see icmp.h
      });
      assert.equal(
        n1.ct.get({ src: W.client, dst: W.node1, sport: 53000, dport: W.nodePort, proto: TCP }),
        undefined,
        "no state for a refused packet",
      );
      const noDf = runIn(ns, h1.from_hep, { ...big, ipv4: { src: W.client, dst: W.node1 } });
      assert.equal(noDf.verdict, "SHOT");
      assert.equal(n1.counters.get(1, SlReason.SL_R_DROP_TOO_BIG).packets, 1n);
      const fits = runIn(ns, h1.from_hep, { ...big, payload: new Uint8Array(1410) });
      assert.equal(fits.verdict, "OK", "1450-byte inner packet fits");
      assert.equal(fits.packet.ipv4?.totalLength, 1500);
    });
  },
);

test(
  "with a FIB route and neighbour for node2, the tunnel output is redirected with the neighbour's MAC",
  requireRoot,
  async () => {
    await withCluster(async (n1, _n2, ns) => {
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
      const h1 = await n1.iface({ ifindex: 1, role: "hep" });
      const r = runIn(
        ns,
        h1.from_hep,
        packet({
          eth: clientEth,
          ipv4: { src: W.client, dst: W.node1 },
          tcp: { sport: 54000, dport: W.nodePort, flags: ["SYN"] },
        }),
      );
      assert.equal(r.verdict, "REDIRECT");
      assert.equal(r.packet.eth?.dst, "02:00:00:00:00:b0");
      assert.equal(r.packet.eth?.src, "02:00:00:00:00:a0");
      assert.equal(r.packet.vxlan?.inner.ipv4?.dst, W.podB2);
    });
  },
);
