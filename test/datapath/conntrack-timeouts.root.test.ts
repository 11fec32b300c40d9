/**
 * Conntrack lifetimes through bpf/obj/tc.o with BPF_PROG_TEST_RUN, on every node that holds
 * conntrack for a flow: pod → ClusterIP, NodePort in Tunnel mode (ingress node and backend
 * node), NodePort in DSR mode (ingress node — it sees the client only — and backend node), host →
 * Service, and a one-sided entry (client → pod, replies routed around this node). For each state
 * (SYN sent, established, FIN seen, RST seen, UDP, ICMP, generic) and for the creation grace
 * period, a flow is driven into the state with real packets, its entries are aged by rewriting
 * last_seen_ns / created_ns, and the client's next packet shows whether the datapath still used
 * them: 1 s short of the timeout it must, 1 s past it it must not. Once with Calico's defaults,
 * once with other values written live into sl_globals. The TypeScript twin of the rule
 * (src/calc/conntrack-lifetime.ts) must judge every aged entry the same. Needs root.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ctLifetime,
  ctState,
  resolveCtTimeouts,
  type CtState,
  type CtTimeoutsResolved,
} from "../../src/calc/conntrack-lifetime.ts";
import type { CtTimeouts } from "../../src/datapath/maps/globals-map.ts";
import type { CtTuple } from "../../src/datapath/maps/index.ts";
import type { Program } from "../../src/bpf/program.ts";
import type { L3PacketSpec } from "../packet/packet-spec.ts";
import type { TcpFlagName } from "../packet/protocol-numbers.ts";
import { isRoot, requireRoot } from "../support/root.ts";
import { loadNode, makeNetns, runIn, type DpNode, type ProgramName, type TestNetns } from "./dp-harness.ts";
import { fillNode1, fillNode2, SCTP, TCP, UDP, W } from "./dp-world.ts";

const ICMP = 1;
const S = 1_000_000_000n;
const clientEth = { src: "02:00:00:00:aa:01", dst: "02:00:00:00:00:11" };

let n1: DpNode;
let n2: DpNode;
let ns: TestNetns;
type Progs = Record<ProgramName, Program>;
let h1: Progs, h2: Progs, a1: Progs, b1: Progs, b2: Progs;

before(async () => {
  if (!isRoot) return;
  ns = makeNetns();
  n1 = await loadNode(W.node1);
  n2 = await loadNode(W.node2);
  fillNode1(n1);
  fillNode2(n2);
  h1 = await n1.iface({ ifindex: 1, role: "hep" });
  a1 = await n1.iface({ ifindex: W.ifA, role: "wep" });
  b1 = await n1.iface({ ifindex: W.ifB1, role: "wep" });
  h2 = await n2.iface({ ifindex: 1, role: "hep" });
  b2 = await n2.iface({ ifindex: W.ifB2, role: "wep" });
});
after(() => {
  n1?.close();
  n2?.close();
  ns?.remove();
});

/** One packet of a flow: who sends it and, for TCP, its flags. */
type Side = "C" | "S";
type Step = [Side, readonly TcpFlagName[]];

/** l4 builds a packet's transport section for the client (C) or server (S) direction. */
function l4(
  proto: number,
  from: Side,
  cport: number,
  sport: number,
  flags: readonly TcpFlagName[],
): L3PacketSpec {
  const [s, d] = from === "C" ? [cport, sport] : [sport, cport];
  if (proto === TCP)
    return { tcp: { sport: s, dport: d, flags, seq: 1000, ack: flags.includes("ACK") ? 2000 : 0 } };
  if (proto === UDP) return { udp: { sport: s, dport: d } };
  if (proto === SCTP) return { sctp: { sport: s, dport: d } };
  return { icmp: { type: from === "C" ? "echo-request" : "echo-reply", id: cport, seq: 1 } };
}

/** Scenario is one place a flow's conntrack lives: how its packets travel and which entries hold it there. */
interface Scenario {
  readonly name: string;
  readonly protos: readonly number[];
  readonly dsr?: boolean;
  /** The node under test. */
  node(): DpNode;
  /** Drives one packet of the flow through every program on its path. */
  send(proto: number, from: Side, cport: number, flags: readonly TcpFlagName[]): void;
  /** The entry holding the flow's state on the node under test. */
  state(proto: number, cport: number): CtTuple;
  /** The NAT_FWD entry, where there is one. */
  fwd?(proto: number, cport: number): CtTuple;
  /** The node sees the client's packets only. */
  readonly oneSided?: boolean;
}

const svcPort = (proto: number): number => (proto === TCP ? 80 : proto === UDP ? 53 : 3868);
const b1Port = (proto: number): number => (proto === TCP ? 8080 : proto === UDP ? 5353 : 3868);
const b2Port = (proto: number): number => (proto === TCP ? 8080 : 5353);
const icmpTuple = (src: string, dst: string, cport: number): CtTuple => ({
  src,
  dst,
  sport: cport,
  dport: cport,
  proto: ICMP,
});

function nodePortChain(backendNode: boolean, dsr: boolean): Scenario {
  return {
    name: `NodePort ${dsr ? "DSR" : "Tunnel"}, ${backendNode ? "backend node" : "ingress node"}`,
    protos: [TCP, UDP],
    dsr,
    oneSided: dsr && !backendNode,
    node: () => (backendNode ? n2 : n1),
    send(proto, from, cport, flags) {
      if (from === "C") {
        const out = runIn(ns, h1.from_hep, {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.node1 },
          ...l4(proto, "C", cport, W.nodePort, flags),
        });
        runIn(ns, h2.from_hep, out.data);
        return;
      }
      const out = runIn(ns, b2.from_wep, {
        eth: { src: W.macB2, dst: W.hostMacB2 },
        ipv4: { src: W.podB2, dst: W.client },
        ...l4(proto, "S", cport, b2Port(proto), flags),
      });
      if (!dsr) runIn(ns, h1.from_hep, out.data); // DSR replies go straight to the client
    },
    state: (proto, cport) => ({ src: W.client, dst: W.podB2, sport: cport, dport: b2Port(proto), proto }),
    ...(backendNode
      ? {}
      : {
          fwd: (proto: number, cport: number) => ({
            src: W.client,
            dst: W.node1,
            sport: cport,
            dport: W.nodePort,
            proto,
          }),
        }),
  };
}

const SCENARIOS: Scenario[] = [
  {
    name: "pod → ClusterIP",
    protos: [TCP, UDP, SCTP],
    node: () => n1,
    send(proto, from, cport, flags) {
      if (from === "C")
        runIn(ns, a1.from_wep, {
          ipv4: { src: W.podA, dst: W.vip },
          ...l4(proto, "C", cport, svcPort(proto), flags),
        });
      else
        runIn(ns, b1.from_wep, {
          ipv4: { src: W.podB1, dst: W.podA },
          ...l4(proto, "S", cport, b1Port(proto), flags),
        });
    },
    state: (proto, cport) => ({ src: W.podA, dst: W.podB1, sport: cport, dport: b1Port(proto), proto }),
    fwd: (proto, cport) => ({ src: W.podA, dst: W.vip, sport: cport, dport: svcPort(proto), proto }),
  },
  nodePortChain(false, false),
  nodePortChain(true, false),
  nodePortChain(false, true),
  nodePortChain(true, true),
  {
    name: "host → ClusterIP",
    protos: [TCP, UDP, SCTP],
    node: () => n1,
    send(proto, from, cport, flags) {
      if (from === "C")
        runIn(ns, h1.to_hep, {
          ipv4: { src: W.node1, dst: W.vip },
          ...l4(proto, "C", cport, svcPort(proto), flags),
        });
      else
        runIn(ns, b1.from_wep, {
          ipv4: { src: W.podB1, dst: W.node1 },
          ...l4(proto, "S", cport, b1Port(proto), flags),
        });
    },
    state: (proto, cport) => ({ src: W.node1, dst: W.podB1, sport: cport, dport: b1Port(proto), proto }),
    fwd: (proto, cport) => ({ src: W.node1, dst: W.vip, sport: cport, dport: svcPort(proto), proto }),
  },
  {
    name: "one-sided entry (client → pod B1; its replies take another path)",
    protos: [TCP, UDP, SCTP, ICMP],
    oneSided: true,
    node: () => n1,
    send(proto, from, cport, flags) {
      if (from === "C")
        runIn(ns, h1.from_hep, {
          eth: clientEth,
          ipv4: { src: W.client, dst: W.podB1 },
          ...l4(proto, "C", cport, b1Port(proto), flags),
        });
    },
    state: (proto, cport) =>
      proto === ICMP
        ? icmpTuple(W.client, W.podB1, cport)
        : { src: W.client, dst: W.podB1, sport: cport, dport: b1Port(proto), proto },
  },
];

/** A state to drive a flow into: its packets, protocol, and the timeout slot it lives by. */
interface StateCase {
  readonly state: CtState;
  readonly proto: number;
  readonly steps: readonly Step[];
  readonly slot: keyof CtTimeoutsResolved;
}

const EST: Step[] = [
  ["C", ["SYN"]],
  ["S", ["SYN", "ACK"]],
  ["C", ["ACK"]],
];
const STATES: StateCase[] = [
  { state: "SYN_SENT", proto: TCP, steps: [["C", ["SYN"]]], slot: "tcpSynSent" },
  { state: "ESTABLISHED", proto: TCP, steps: EST, slot: "tcpEstablished" },
  {
    state: "FIN_WAIT",
    proto: TCP,
    steps: [...EST, ["C", ["FIN", "ACK"]], ["S", ["FIN", "ACK"]]],
    slot: "tcpFinsSeen",
  },
  { state: "CLOSED_RST", proto: TCP, steps: [...EST, ["C", ["RST", "ACK"]]], slot: "tcpResetSeen" },
  {
    state: "UDP",
    proto: UDP,
    steps: [
      ["C", []],
      ["S", []],
    ],
    slot: "udp",
  },
  {
    state: "ICMP",
    proto: ICMP,
    steps: [
      ["C", []],
      ["S", []],
    ],
    slot: "icmp",
  },
  {
    state: "GENERIC",
    proto: SCTP,
    steps: [
      ["C", []],
      ["S", []],
    ],
    slot: "generic",
  },
];

let nextPort = 41000;

/** ageFlow moves every entry of the flow on `node` back in time. */
function ageFlow(node: DpNode, cport: number, idleS: number, ageS: number): void {
  for (const e of [...node.ct.entries()]) {
    if (e.a.port !== cport && e.b.port !== cport) continue;
    node.ct.put({
      ...e,
      lastSeenNs: e.lastSeenNs - BigInt(idleS) * S,
      createdNs: e.createdNs - BigInt(ageS) * S,
    });
  }
}

/**
 * runCase drives a fresh flow into `c`'s state, ages it (idle `idleS`, created `ageS` ago),
 * sends the client's next packet and asserts the datapath's decision is `expired`.
 */
function runCase(
  sc: Scenario,
  c: StateCase,
  t: CtTimeoutsResolved,
  idleS: number,
  ageS: number,
  expired: boolean,
): boolean {
  // bpf_ktime_get_ns counts from boot: a machine up for less than the age cannot show it
  if (BigInt(Math.max(idleS, ageS) + 60) * S > process.hrtime.bigint()) return false;
  const cport = nextPort++;
  const label = `${sc.name}, ${c.state}, idle ${idleS} s, created ${ageS} s ago`;
  for (const [from, flags] of c.steps) sc.send(c.proto, from, cport, flags);
  const node = sc.node();
  const stateKey = sc.state(c.proto, cport);
  const fwdKey = sc.fwd?.(c.proto, cport);
  const entry = node.ct.get(stateKey);
  assert.ok(entry, `${label}: no state entry`);
  assert.equal(
    ctState(entry),
    c.state,
    `${label}: entry is ${ctState(entry)} (legs ${entry.legA}/${entry.legB})`,
  );
  if (fwdKey) assert.equal(node.ct.get(fwdKey)?.type, "nat-fwd", `${label}: no NAT_FWD entry`);
  ageFlow(node, cport, idleS, ageS);
  const aged = node.ct.get(stateKey)!;
  const agedFwd = fwdKey ? node.ct.get(fwdKey)! : undefined;
  const now = aged.lastSeenNs + BigInt(idleS) * S; // the moment the entries were aged, near enough
  assert.equal(ctLifetime(aged, t, now).expired, expired, `${label}: the TypeScript rule disagrees`);

  sc.send(c.proto, "C", cport, c.proto === TCP ? ["ACK"] : []);
  const after = node.ct.get(stateKey);
  const used = after !== undefined && after.createdNs === aged.createdNs;
  assert.equal(used, !expired, `${label}: the datapath ${used ? "still used" : "dropped"} the entry`);
  if (fwdKey && agedFwd) {
    const f = node.ct.get(fwdKey);
    assert.equal(
      f !== undefined && f.createdNs === agedFwd.createdNs,
      !expired,
      `${label}: NAT_FWD must live exactly as long as its NAT_REV`,
    );
  }
  return true;
}

const CUSTOM: CtTimeouts = {
  creationGrace: 3,
  tcpSynSent: 7,
  tcpEstablished: 50,
  tcpFinsSeen: 11,
  tcpResetSeen: 13,
  udp: 17,
  icmp: 2,
  generic: 23,
};

for (const [setName, written] of [
  ["Calico's defaults", {}],
  ["values set live in sl_globals", CUSTOM],
] as const) {
  describe(`conntrack lifetimes, ${setName}`, requireRoot, () => {
    const t = resolveCtTimeouts(written);
    for (const sc of SCENARIOS) {
      test(`${sc.name}: every state lives its timeout and not 1 s longer; nothing expires within the creation grace`, async (tc) => {
        const mode = sc.dsr ? "DSR" : "Tunnel";
        n1.globals.set({ externalServiceMode: mode, ctTimeouts: written });
        n2.globals.set({ externalServiceMode: mode, ctTimeouts: written });
        let cases = 0;
        for (const c of STATES) {
          if (!sc.protos.includes(c.proto)) continue;
          const timeout = t[c.slot];
          const age = (idle: number): number => Math.max(idle, t.creationGrace + 1);
          const ran =
            runCase(sc, c, t, timeout - 1, age(timeout - 1), false) &&
            runCase(sc, c, t, timeout + 1, age(timeout + 1), true);
          if (ran) cases += 2;
          else if (
            c.state === "ESTABLISHED" &&
            runCase(
              sc,
              c,
              t,
              Number(process.hrtime.bigint() / S) - 61,
              Number(process.hrtime.bigint() / S) - 61,
              false,
            )
          )
            cases += 1;
          if (!ran)
            tc.diagnostic(
              `${c.state} (${timeout} s) not checked: the machine booted less than ${timeout + 61} s ago (CLOCK_MONOTONIC cannot go back that far)`,
            );
        }
        // creation grace: a SYN idle past its timeout survives while younger than the grace period
        const syn = STATES[0]!;
        runCase(sc, syn, t, t.tcpSynSent + 1, t.creationGrace - 1, false);
        runCase(sc, syn, t, t.tcpSynSent + 1, t.creationGrace + 1, true);
        assert.ok(cases >= 6, `${sc.name}: only ${cases} state cases could run`);
      });
    }
  });
}
