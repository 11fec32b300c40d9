/**
 * Datapath benchmark: nanoseconds per packet of from_wep (bpf/obj/tc.o) under
 * BPF_PROG_TEST_RUN, inside a throwaway namespace with forwarding on, for
 *   - a packet to a pod IP with no Service (the baseline), new flow and established;
 *   - a packet of an established ClusterIP flow (conntrack fast path);
 *   - the first packet to a ClusterIP with 10, 1,000 and 10,000 Services in sl_nat_fe
 *     (the claim: flat as Services grow, since the frontend lookup is one hash lookup).
 *
 * Each sample is one test_run with repeat=1, and the kernel's own per-run duration is kept:
 * test_run reuses one skb across repeats, so with repeat>1 the 2nd run would see the 1st run's
 * output (already DNATed, TTL-1) and a "first packet" could never be first twice. A fresh source
 * port per sample makes every first packet really first. Cases are interleaved sample by sample
 * so drift on a shared machine hits them alike. Needs root.
 */
import { performance } from "node:perf_hooks";
import type { Program } from "../src/bpf/program.ts";
import { withNetns } from "../src/kernel/netns.ts";
import { packet } from "../test/packet/build-packet.ts";
import type { PacketSpec } from "../test/packet/packet-spec.ts";
import { verdictName } from "../test/support/prog-test-run.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { withBenchNetns } from "./bench-netns.ts";
import { loadBenchNode } from "./bench-node.ts";
import type { BenchNode } from "./bench-node.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { summarize } from "./stats.ts";
import { intToIpv4, ipv4ToInt } from "./synthetic-services.ts";

const TCP = 6;
/** The node, two local pods, and where the Services' ClusterIPs start (all 198.18.0.0/15). */
const W = {
  node: "198.18.0.1",
  podA: "198.19.1.10",
  podB: "198.19.1.11",
  ifA: 101,
  ifB: 102,
  macA: "02:00:00:00:01:0a",
  macB: "02:00:00:00:01:0b",
  hostMacA: "02:00:00:00:ff:0a",
  hostMacB: "02:00:00:00:ff:0b",
  vipBase: "198.18.128.0",
  port: 80,
  targetPort: 8080,
} as const;

/** DatapathOptions: the Service counts to step through and the samples per case. */
export type DatapathOptions = {
  readonly services: readonly number[];
  readonly samples: number;
};

/** Case is one kind of packet: it makes the packet for sample i and names the expected verdict. */
interface Case {
  readonly name: string;
  readonly prog: Program;
  make(i: number): Uint8Array;
  readonly verdict: string;
}

/** Sports for first packets start here and grow by one per sample, so no tuple repeats. */
class PortSource {
  #next = 1024;
  take(): number {
    if (this.#next > 65535) throw new RangeError("datapath bench: out of source ports (lower --samples)");
    return this.#next++;
  }
}

const vip = (i: number): string => intToIpv4(ipv4ToInt(W.vipBase) + i);

function fillServices(node: BenchNode, from: number, to: number): void {
  // Every Service leads to pod B: only the frontend table grows, the packet's path stays the same.
  for (let i = from; i < to; i++) {
    node.fe.set(
      { addr: vip(i), port: W.port, proto: TCP },
      { svcId: i + 1, count: 1, localCount: 1, flags: 0, affinityTimeoutS: 0 },
    );
    node.be.set(i + 1, 0, { addr: W.podB, port: W.targetPort });
  }
}

/** clearConntrack empties sl_ct between scales, so each scale starts from the same table size. */
function clearConntrack(node: BenchNode): void {
  const keys = [...node.ctRaw.keys()];
  for (const k of keys) node.ctRaw.delete(k);
}

function runOnce(prog: Program, data: Uint8Array): { ns: number; verdict: string } {
  const r = prog.testRun({ data, dataSizeOut: data.length + 256 });
  return { ns: r.duration, verdict: verdictName("tc", r.retval) };
}

/** measure interleaves the cases sample by sample inside the namespace and returns ns samples per case. */
function measure(netns: string, cases: readonly Case[], samples: number): Map<string, number[]> {
  const out = new Map(cases.map((c) => [c.name, [] as number[]]));
  withNetns(netns, () => {
    for (let i = 0; i < samples; i++) {
      for (const c of cases) {
        const r = runOnce(c.prog, c.make(i));
        if (r.verdict !== c.verdict)
          throw new Error(`datapath bench "${c.name}": verdict ${r.verdict}, expected ${c.verdict}`);
        out.get(c.name)!.push(r.ns);
      }
    }
  });
  return out;
}

/** established brings one flow (podA:sport → dst:dport) through the handshake and returns its ACK packet. */
function established(netns: string, node: BenchNode, dst: string, dport: number, sport: number): Uint8Array {
  const a = node.fromWep(W.ifA);
  const b = node.fromWep(W.ifB);
  const syn: PacketSpec = { ipv4: { src: W.podA, dst }, tcp: { sport, dport, flags: ["SYN"], seq: 1000 } };
  withNetns(netns, () => {
    runOnce(a, packet(syn));
    runOnce(
      b,
      packet({
        ipv4: { src: W.podB, dst: W.podA },
        tcp: { sport: W.targetPort, dport: sport, flags: ["SYN", "ACK"], seq: 5000, ack: 1001 },
      }),
    );
    runOnce(
      a,
      packet({ ipv4: { src: W.podA, dst }, tcp: { sport, dport, flags: ["ACK"], seq: 1001, ack: 5001 } }),
    );
  });
  return packet({
    ipv4: { src: W.podA, dst },
    tcp: { sport, dport, flags: ["ACK", "PSH"], seq: 1001, ack: 5001 },
    payload: "x".repeat(64),
  });
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

async function runDatapath(ctx: BenchContext, o: DatapathOptions): Promise<BenchTable[]> {
  const scales = [...o.services].sort((a, b) => a - b);
  if (scales.length === 0 || scales[0]! < 1)
    throw new RangeError("datapath bench: --services needs counts >= 1");
  return withBenchNetns(async (netns) => {
    const node = await loadBenchNode(W.node);
    try {
      node.routes.set(`${W.podA}/32`, {
        kind: "local-workload",
        ifindex: W.ifA,
        mac: W.macA,
        hostMac: W.hostMacA,
      });
      node.routes.set(`${W.podB}/32`, {
        kind: "local-workload",
        ifindex: W.ifB,
        mac: W.macB,
        hostMac: W.hostMacB,
      });
      node.routes.set(`${W.node}/32`, { kind: "local-host" });
      const a = node.fromWep(W.ifA);
      node.fromWep(W.ifB);
      const ports = new PortSource();
      const synTo = (dst: string, dport: number) => (): Uint8Array =>
        packet({
          ipv4: { src: W.podA, dst },
          tcp: { sport: ports.take(), dport, flags: ["SYN"], seq: 1 },
          payload: "x".repeat(64),
        });
      const target = vip(0); // the same Service at every scale: only the table around it grows
      const pooledNoSvc: number[] = [];
      const firstByScale = new Map<number, number[]>();
      let estNoSvc: number[] = [];
      let estSvc: number[] = [];
      let filled = 0;
      for (const n of scales) {
        fillServices(node, filled, n);
        filled = n;
        clearConntrack(node);
        ctx.progress(
          `datapath: ${n.toLocaleString("en-US")} Services in sl_nat_fe, ${o.samples} samples per case`,
        );
        const cases: Case[] = [
          { name: "no-svc", prog: a, make: synTo(W.podB, W.targetPort), verdict: "REDIRECT" },
          { name: "first", prog: a, make: synTo(target, W.port), verdict: "REDIRECT" },
        ];
        if (n === scales[0]) {
          // Established flows once, at the smallest scale: conntrack does not look at sl_nat_fe.
          const noSvcAck = established(netns, node, W.podB, W.targetPort, ports.take());
          const svcAck = established(netns, node, target, W.port, ports.take());
          cases.push({ name: "est-no-svc", prog: a, make: () => noSvcAck, verdict: "REDIRECT" });
          cases.push({ name: "est-svc", prog: a, make: () => svcAck, verdict: "REDIRECT" });
        }
        const t0 = performance.now();
        const got = measure(netns, cases, o.samples);
        ctx.progress(`datapath: ${n} Services measured in ${Math.round(performance.now() - t0)} ms`);
        pooledNoSvc.push(...got.get("no-svc")!);
        firstByScale.set(n, got.get("first")!);
        if (got.has("est-svc")) {
          estNoSvc = got.get("est-no-svc")!;
          estSvc = got.get("est-svc")!;
        }
      }
      const base = "pod IP, no Service: new flow";
      const k = (n: number): string => n.toLocaleString("en-US");
      const main: BenchTable = {
        title: "Datapath: from_wep ns/packet (BPF_PROG_TEST_RUN)",
        rows: [
          row(base, pooledNoSvc),
          row("pod IP, no Service: established", estNoSvc, base),
          row("ClusterIP: established (conntrack)", estSvc, base),
          ...scales.map((n) => row(`ClusterIP: first packet, ${k(n)} Services`, firstByScale.get(n)!, base)),
        ],
        notes: [
          "each sample = one test_run (repeat=1, kernel-timed); first packets use a fresh source port; cases interleaved.",
          `baseline pooled over all ${scales.length} scales (it does not touch sl_nat_fe).`,
        ],
      };
      const smallest = `first packet, ${k(scales[0]!)} Services`;
      const flat: BenchTable = {
        title: "Datapath: first packet to a ClusterIP as Services grow",
        rows: scales.map((n, i) => ({
          ...row(`first packet, ${k(n)} Services`, firstByScale.get(n)!),
          ...(i > 0 ? { baseline: smallest } : {}),
        })),
        notes: [`flat means every ratio ≈ 1 (the frontend is one hash lookup, whatever the table holds).`],
      };
      return [main, flat];
    } finally {
      node.close();
    }
  });
}

/** datapathBench is the registered benchmark. */
export const datapathBench: Benchmark<DatapathOptions> = {
  name: "datapath",
  summary:
    "from_wep ns/packet under BPF_PROG_TEST_RUN: established, first packet to a ClusterIP with 10/1k/10k Services, vs. no Service",
  needsRoot: true,
  defaults: { services: [10, 1000, 10000], samples: 5000 },
  small: { services: [10, 1000, 10000], samples: 500 },
  run: runDatapath,
};
