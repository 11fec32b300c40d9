/**
 * policy-label-change: one pod's label change until the generated policy program's verdict flips.
 * N pods in one namespace; a Kubernetes NetworkPolicy selects a server pod (role=db) and allows
 * ingress from pods labelled app=client. The server's ingress program is compiled from that IR
 * once and loaded into the policy maps (test/policy/policy-harness.ts); the rule matches the
 * calculator's IP set for `app == "client"`, so a label change is: PolicyCalculator.upsert(pod)
 * → its IpSetDelta written to sl_ipsets (encodeSlIpsetKey(ipSetMapKey), what PolicySync's
 * IpSetMap writes) → the program, run under BPF_PROG_TEST_RUN for a packet from that pod, gives
 * the new verdict. Each sample flips one pod (client ↔ web, alternating), timed from the upsert
 * to the first run that shows the new verdict. Baseline, same run: compiling and loading the
 * server's program again — what a label change would cost if sets were baked into the program.
 * Not timed: the datastore and watch (change-latency-bench.ts measures those for Services).
 * Needs root (BPF).
 */
import { performance } from "node:perf_hooks";
import { encodeSlIpsetKey, SL_POL_SLOT_FIRST } from "../src/datapath/abi/abi.ts";
import { ipSetMapKey, isIpv4Entry } from "../src/datapath/maps/ipset-map.ts";
import { PolicyCalculator } from "../src/calc/policy/policy-calculator.ts";
import type { IpSetDelta } from "../src/calc/policy/ip-set-types.ts";
import { compilePolicy } from "../src/policy/compile-policy.ts";
import { PolicyMapName } from "../src/policy/policy-maps.ts";
import type { EndpointPolicy, PolicyPacket } from "../src/policy/rule-ir.ts";
import { knp, namespace, pod } from "../test/support/policy-resources.ts";
import { PolicyHarness } from "../test/policy/policy-harness.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { labelChangeThroughPolicySync } from "./policy-label-agent.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { summarize } from "./stats.ts";

/** LabelChangeOptions: the pod counts and label changes per count. */
export type LabelChangeOptions = {
  readonly pods: readonly number[];
  readonly changes: number;
};

const NS = "bench";
const SERVER_IP = 0xc6120001; // 198.18.0.1
const ALLOW = 1;
const DENY = 2;

const podIp = (k: number): string => `10.${(k >> 16) & 0xff}.${(k >> 8) & 0xff}.${k & 0xff}`;
const podAddr = (k: number): number => (0x0a000000 + k) >>> 0;
const client = (k: number, app: string) => pod(NS, `p${k}`, podIp(k), { app });

function packetFrom(k: number): PolicyPacket {
  return {
    srcAddr: podAddr(k),
    dstAddr: SERVER_IP,
    srcPort: 40000,
    dstPort: 5432,
    proto: 6,
    ipVersion: 4,
    icmpType: 0,
    icmpCode: 0,
    hasPorts: true,
  };
}

async function runLabelChange(ctx: BenchContext, o: LabelChangeOptions): Promise<BenchTable[]> {
  const rows: BenchRow[] = [];
  const agentRuns: Array<[number, string, number]> = [];
  for (const n of o.pods) {
    const h = new PolicyHarness();
    const ipsets = h.map(PolicyMapName.ipsets);
    const value = new Uint8Array(ipsets.valueSize);
    const write = (d: IpSetDelta): void => {
      for (const e of d.added) if (isIpv4Entry(e)) ipsets.update(encodeSlIpsetKey(ipSetMapKey(e)), value);
      for (const e of d.removed) if (isIpv4Entry(e)) ipsets.delete(encodeSlIpsetKey(ipSetMapKey(e)));
    };
    try {
      const calc = new PolicyCalculator();
      write(calc.upsert(namespace(NS)).ipSets);
      write(calc.upsert(pod(NS, "server", "198.18.0.1", { role: "db" })).ipSets);
      const t0 = performance.now();
      for (let k = 0; k < n; k++) write(calc.upsert(client(k, "web")).ipSets);
      ctx.progress(
        `policy-label-change: ${n} pods in the calculator in ${(performance.now() - t0).toFixed(0)} ms`,
      );
      const delta = calc.upsert(
        knp(NS, "db", {
          podSelector: { matchLabels: { role: "db" } },
          policyTypes: ["Ingress"],
          ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
        }),
      );
      write(delta.ipSets);
      const created = delta.ipSets.createdSets.find((s) => s.key.includes("client"));
      if (created === undefined)
        throw new Error(
          `policy-label-change: no IP set created for app == "client" (${JSON.stringify(delta.ipSets.createdSets)})`,
        );
      const ir: EndpointPolicy = {
        endpoint: `${NS}/server`,
        direction: "ingress",
        defaultAction: "allow",
        defaultRuleId: 3,
        tiers: [
          {
            name: "default",
            endOfTierRuleId: 2,
            policies: [
              { name: `${NS}/db`, rules: [{ id: 1, action: "allow", match: { srcSets: [created.id] } }] },
            ],
          },
        ],
      };
      const slotBase = SL_POL_SLOT_FIRST + 10;
      const loaded = h.load(compilePolicy(ir, { slotBase }));
      const labels = new Map<number, string>();
      const change: number[] = [];
      const reload: number[] = [];
      let runs = 0;
      for (let i = 0; i < o.changes; i++) {
        const k = (i * 7919) % n;
        const next = labels.get(k) === "client" ? "web" : "client";
        const want = next === "client" ? ALLOW : DENY;
        const before = h.run(loaded, packetFrom(k)).verdict;
        if (before === want) throw new Error(`policy-label-change: pod ${k} already has verdict ${want}`);
        const r = client(k, next);
        const s = performance.now();
        write(calc.upsert(r).ipSets);
        for (;;) {
          runs++;
          if (h.run(loaded, packetFrom(k)).verdict === want) break;
          if (performance.now() - s > 5000)
            throw new Error(`policy-label-change: pod ${k} → app=${next}: verdict not ${want} after 5 s`);
        }
        change.push(performance.now() - s);
        labels.set(k, next);
        // Baseline, interleaved: the same endpoint's program compiled and loaded anew.
        const b = performance.now();
        h.unload(h.load(compilePolicy(ir, { slotBase: slotBase + 4 })));
        reload.push(performance.now() - b);
      }
      const c = summarize(change);
      const b = summarize(reload);
      const at = n.toLocaleString("en-US");
      const base = `program recompile + load, ${at} pods, p50`;
      rows.push(
        { name: base, value: b.p50, unit: "ms", extra: { p99: b.p99.toFixed(2), n: b.n } },
        {
          name: `label change → verdict, ${at} pods, p50`,
          value: c.p50,
          unit: "ms",
          baseline: base,
          extra: { p99: c.p99.toFixed(2), n: c.n, runs: runs },
        },
        {
          name: `label change → verdict, ${at} pods, p99`,
          value: c.p99,
          unit: "ms",
          baseline: `program recompile + load, ${at} pods, p99`,
        },
        { name: `program recompile + load, ${at} pods, p99`, value: b.p99, unit: "ms" },
      );
      agentRuns.push([n, base, b.p99]);
      h.unload(loaded);
    } finally {
      h.close();
    }
  }
  // The agent's own pass for the same change, after the calculator-only runs (not interleaved:
  // each needs its own N-pod calculator).
  for (const [n, base, reloadP99] of agentRuns) {
    const a = summarize(await labelChangeThroughPolicySync(ctx, n, o.changes, podIp, packetFrom));
    const at = n.toLocaleString("en-US");
    rows.push(
      {
        name: `agent path: label change → verdict (cache + PolicySync.syncAsync), ${at} pods, p50`,
        value: a.p50,
        unit: "ms",
        baseline: base,
        extra: { p99: a.p99.toFixed(2), n: a.n },
      },
      {
        name: `agent path: label change → verdict (cache + PolicySync.syncAsync), ${at} pods, p99`,
        value: a.p99,
        unit: "ms",
        baseline: `program recompile + load, ${at} pods, p99`,
        extra: { "recompile p99": reloadP99.toFixed(2) },
      },
    );
  }
  return [
    {
      title: "Policy: one pod label change → the program's verdict (target < 10 ms)",
      rows,
      notes: [
        "change = PolicyCalculator.upsert(pod) + its sl_ipsets writes + BPF_PROG_TEST_RUN until the verdict flips (wall time).",
        "baseline = compiling and loading the server's policy program again (a set baked into code would need that).",
        "agent path = the pod written to a ClusterCache, then one PolicySync.syncAsync pass (feed, calculator, plan, sl_ipsets), run after the rows above; no datastore, no pass debounce.",
      ],
    },
  ];
}

/** policyLabelChangeBench is registered in bench/run.ts as `policy-label-change`. */
export const policyLabelChangeBench: Benchmark<LabelChangeOptions> = {
  name: "policy-label-change",
  summary:
    "one pod label change → the policy program's verdict (calculator + sl_ipsets), p50/p99 at 1k and 10k pods",
  needsRoot: true,
  defaults: { pods: [1000, 10000], changes: 500 },
  small: { pods: [1000, 10000], changes: 100 },
  run: runLabelChange,
};
