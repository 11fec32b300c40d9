/**
 * Policy inside the real datapath: ns/packet of from_wep (bpf/obj/tc.o) for pod A → pod B on one
 * node, under BPF_PROG_TEST_RUN in a throwaway namespace, with pod A's egress policed by a
 * 1,000-rule policy (every rule walked, the last one allows: the worst case) against the same
 * node with no policy on pod A. New flows (a SYN with a fresh source port each sample) pay the
 * policy; established packets (an ACK of a flow approved by its SYN) must not — conntrack holds
 * the approval, so their ratio should be ≈ 1. Cases interleaved sample by sample. Needs root.
 */
import { SL_POL_SLOT_FIRST, encodeSlPolEndpoint } from "../src/datapath/abi/abi.ts";
import { Program } from "../src/bpf/program.ts";
import { withNetns } from "../src/kernel/netns.ts";
import { compilePolicy } from "../src/policy/compile-policy.ts";
import type { EndpointPolicy } from "../src/policy/rule-ir.ts";
import { packet } from "../test/packet/build-packet.ts";
import { largePolicy } from "../test/policy/large-policy.ts";
import { verdictName } from "../test/support/prog-test-run.ts";
import type { BenchContext } from "./benchmark.ts";
import { withBenchNetns } from "./bench-netns.ts";
import { loadBenchNode } from "./bench-node.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { summarize } from "./stats.ts";

const W = {
  node: "198.18.0.1",
  podA: "198.19.1.10",
  podB: "198.19.1.11",
  podC: "198.19.1.12",
  ifA: 101,
  ifB: 102,
  ifC: 103,
  port: 8080,
} as const;
const DONE_A = 1;
const DONE_B = 2;
const DONE_C = 3;

const u32 = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/** walkAll is `rules` rules that never match pod A's packets, then one that allows everything. */
function walkAll(rules: number): EndpointPolicy {
  const p = largePolicy(rules);
  const last = p.tiers.at(-1)!;
  const lastPolicy = last.policies.at(-1)!;
  const allow = { id: p.defaultRuleId + 10, action: "allow" as const, match: {} };
  return {
    ...p,
    direction: "egress",
    tiers: [
      ...p.tiers.slice(0, -1),
      {
        ...last,
        policies: [...last.policies.slice(0, -1), { ...lastPolicy, rules: [...lastPolicy.rules, allow] }],
      },
    ],
  };
}

function row(name: string, ns: readonly number[], baseline?: string): BenchRow {
  const s = summarize(ns);
  return {
    name,
    value: s.p50,
    unit: "ns/pkt (p50)",
    ...(baseline !== undefined ? { baseline } : {}),
    extra: { p90: s.p90, p99: s.p99, n: s.n },
  };
}

/** policyInDatapath measures from_wep with and without a `rules`-rule egress policy on the sender. */
export async function policyInDatapath(
  ctx: BenchContext,
  rules: number,
  samples: number,
): Promise<BenchTable> {
  return withBenchNetns(async (netns) => {
    const node = await loadBenchNode(W.node);
    const loaded: Program[] = [];
    try {
      for (const [ip, ifindex, n] of [
        [W.podA, W.ifA, 0x0a],
        [W.podB, W.ifB, 0x0b],
        [W.podC, W.ifC, 0x0c],
      ] as const)
        node.routes.set(`${ip}/32`, {
          kind: "local-workload",
          ifindex,
          mac: `02:00:00:00:01:${n.toString(16)}`,
          hostMac: `02:00:00:00:ff:${n.toString(16)}`,
        });
      node.routes.set(`${W.node}/32`, { kind: "local-host" });
      // A sends under policy, C (the baseline) without: same program, same path, same node.
      const a = node.fromWep(W.ifA, { polDoneSlot: DONE_A });
      node.fromWep(W.ifB, { polDoneSlot: DONE_B });
      const c = node.fromWep(W.ifC, { polDoneSlot: DONE_C });
      const compiled = compilePolicy(walkAll(rules), { slotBase: SL_POL_SLOT_FIRST });
      const fds = new Map([...node.maps].map(([name, m]) => [name, m.fd] as const));
      for (const chunk of compiled.chunks) {
        const p = Program.load(chunk.spec, { mapFds: fds });
        loaded.push(p);
        node.maps.get("sl_pol_jump")!.update(u32(chunk.slot), u32(p.fd));
      }
      node.maps.get("sl_pol_endpoints")!.update(
        u32(W.ifA),
        encodeSlPolEndpoint({
          ingressSlot: 0,
          egressSlot: compiled.chunks[0]!.slot,
          preDnatSlot: 0,
          fwdIngressSlot: 0,
          fwdEgressSlot: 0,
          untrackedIngressSlot: 0,
          untrackedEgressSlot: 0,
          flags: 0,
        }),
      );
      let sport = 1024;
      const syn = (src: string) => (): Uint8Array =>
        packet({
          ipv4: { src, dst: W.podB },
          tcp: { sport: sport++, dport: W.port, flags: ["SYN"], seq: 1 },
          payload: "x".repeat(64),
        });
      const run = (prog: Program, data: Uint8Array): { ns: number; verdict: string } => {
        const r = prog.testRun({ data, dataSizeOut: data.length + 256 });
        return { ns: r.duration, verdict: verdictName("tc", r.retval) };
      };
      // One flow each, approved by its SYN; its ACKs are the established packets.
      const estAck = (prog: Program, src: string): Uint8Array => {
        const port = sport++;
        withNetns(netns, () => {
          const r = run(
            prog,
            packet({
              ipv4: { src, dst: W.podB },
              tcp: { sport: port, dport: W.port, flags: ["SYN"], seq: 1000 },
            }),
          );
          if (r.verdict !== "REDIRECT")
            throw new Error(`policy datapath bench: SYN from ${src}: ${r.verdict}`);
        });
        return packet({
          ipv4: { src, dst: W.podB },
          tcp: { sport: port, dport: W.port, flags: ["ACK", "PSH"], seq: 1001, ack: 5001 },
          payload: "x".repeat(64),
        });
      };
      const ackA = estAck(a, W.podA);
      const ackC = estAck(c, W.podC);
      const k = rules.toLocaleString("en-US");
      const cases = [
        { name: "no policy: new flow", prog: c, make: syn(W.podC) },
        { name: `${k}-rule egress policy, all walked: new flow`, prog: a, make: syn(W.podA) },
        { name: "no policy: established", prog: c, make: () => ackC },
        { name: `${k}-rule egress policy: established`, prog: a, make: () => ackA },
      ];
      ctx.progress(`policy: from_wep with and without a ${k}-rule policy, ${samples} samples per case`);
      const ns = new Map(cases.map((x) => [x.name, [] as number[]]));
      withNetns(netns, () => {
        for (let i = 0; i < samples; i++)
          for (const x of cases) {
            const r = run(x.prog, x.make());
            if (r.verdict !== "REDIRECT")
              throw new Error(`policy datapath bench "${x.name}": verdict ${r.verdict}, expected REDIRECT`);
            ns.get(x.name)!.push(r.ns);
          }
      });
      const [newBase, newPol, estBase, estPol] = cases.map((x) => x.name) as [string, string, string, string];
      return {
        title: "Policy in the datapath: from_wep ns/packet, pod → pod (BPF_PROG_TEST_RUN)",
        rows: [
          row(newBase, ns.get(newBase)!),
          row(newPol, ns.get(newPol)!, newBase),
          row(estBase, ns.get(estBase)!),
          row(estPol, ns.get(estPol)!, estBase),
        ],
        notes: [
          "each sample = one test_run (repeat=1, kernel-timed); new flows use a fresh source port; cases interleaved.",
          "established: conntrack holds the approval, so policy is skipped — target ratio ≈ 1.",
        ],
      };
    } finally {
      for (const p of loaded) p.close();
      node.close();
    }
  });
}
