/**
 * Policy benchmark: what the generated policy programs (src/policy) cost.
 *   - ns/packet of a new flow's policy evaluation under BPF_PROG_TEST_RUN through a 1,000-rule
 *     policy (the packet allowed by the first rule, by the last rule, and matching none), against
 *     an empty policy (no tiers: straight to the default action) — the baseline, same run, cases
 *     interleaved sample by sample;
 *   - compile + load (verifier included) of a 10,000-rule policy, chunked, against the empty one;
 *     and the same size through the agent's own pass (PolicySync, policy-agent-path.ts);
 *   - from_wep itself with a 1,000-rule egress policy on the sender vs. none, new flows and
 *     established packets (policy-datapath.ts).
 * Each sample is one test_run (repeat=1, kernel-timed) after sl_pol_state is filled, as the
 * datapath does per new flow. Needs root (BPF). The policies are test/policy/large-policy.ts.
 */
import { performance } from "node:perf_hooks";
import { SL_POL_SLOT_FIRST } from "../src/datapath/abi/abi.ts";
import { compilePolicy } from "../src/policy/compile-policy.ts";
import { evaluatePolicy } from "../src/policy/evaluate-policy.ts";
import type { EndpointPolicy, PolicyPacket } from "../src/policy/rule-ir.ts";
import { largePolicy, packetFor } from "../test/policy/large-policy.ts";
import { PolicyHarness, type LoadedPolicy } from "../test/policy/policy-harness.ts";
import type { BenchContext, Benchmark } from "./benchmark.ts";
import { agentPathRows, policyAgentPath } from "./policy-agent-path.ts";
import { policyInDatapath } from "./policy-datapath.ts";
import type { BenchRow, BenchTable } from "./result-table.ts";
import { median, summarize } from "./stats.ts";

/** PolicyOptions: rules in the evaluated policy, rules in the compile+load case, samples, repeats. */
export type PolicyOptions = {
  readonly rules: number;
  readonly bigRules: number;
  readonly samples: number;
  readonly repeats: number;
};

const EMPTY: EndpointPolicy = {
  endpoint: "bench/empty",
  direction: "ingress",
  tiers: [],
  defaultAction: "allow",
  defaultRuleId: 1,
};

interface Case {
  readonly name: string;
  readonly loaded: LoadedPolicy;
  readonly packet: PolicyPacket;
  readonly retval: number;
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

async function runPolicy(ctx: BenchContext, o: PolicyOptions): Promise<BenchTable[]> {
  const h = new PolicyHarness();
  const loadedAll: LoadedPolicy[] = [];
  try {
    h.setIpSets(new Map());
    // Each policy in its own slot range, so they can all be loaded at once.
    const load = (p: EndpointPolicy, slot: number): LoadedPolicy => {
      const l = h.load(compilePolicy(p, { slotBase: slot }));
      loadedAll.push(l);
      return l;
    };
    const big = largePolicy(o.rules);
    const empty = load(EMPTY, SL_POL_SLOT_FIRST);
    const full = load(big, SL_POL_SLOT_FIRST + 40);
    const stranger: PolicyPacket = { ...packetFor(0), srcAddr: 0xc0a80101, dstPort: 1 };
    const retvalOf = (p: PolicyPacket): number =>
      evaluatePolicy(big, p, new Map()).verdict === "allow" ? 0 : 2;
    const base = "empty policy (default action)";
    const cases: Case[] = [
      { name: base, loaded: empty, packet: packetFor(0), retval: 0 },
      {
        name: `${o.rules} rules: allowed by the first rule`,
        loaded: full,
        packet: packetFor(0),
        retval: retvalOf(packetFor(0)),
      },
      {
        name: `${o.rules} rules: allowed by the last rule`,
        loaded: full,
        packet: packetFor(o.rules - 1),
        retval: retvalOf(packetFor(o.rules - 1)),
      },
      {
        name: `${o.rules} rules: no rule matches (end-of-tier deny)`,
        loaded: full,
        packet: stranger,
        retval: retvalOf(stranger),
      },
    ];
    ctx.progress(
      `policy: ${o.samples} samples per case, ${full.programs.length} chunk(s) for ${o.rules} rules`,
    );
    const ns = new Map(cases.map((c) => [c.name, [] as number[]]));
    for (let i = 0; i < o.samples; i++) {
      for (const c of cases) {
        const r = h.time(c.loaded, c.packet);
        if (r.retval !== c.retval)
          throw new Error(`policy bench "${c.name}": returned ${r.retval}, expected ${c.retval}`);
        ns.get(c.name)!.push(r.ns);
      }
    }
    const evalTable: BenchTable = {
      title: "Policy: new-flow evaluation, ns/packet (BPF_PROG_TEST_RUN)",
      rows: cases.map((c, i) => row(c.name, ns.get(c.name)!, i === 0 ? undefined : base)),
      notes: [
        "each sample = fill sl_pol_state, one test_run (repeat=1, kernel-timed); cases interleaved.",
        "the last rule and no-match walk every rule: tier 1 (half the rules, then Pass), tier 2 (the other half).",
      ],
    };

    const bigPolicy = largePolicy(o.bigRules);
    const times = {
      compile: [] as number[],
      load: [] as number[],
      loadParallel: [] as number[],
      emptyTotal: [] as number[],
    };
    let chunks = 0;
    let insns = 0;
    for (let r = 0; r < o.repeats; r++) {
      const e0 = performance.now();
      h.unload(h.load(compilePolicy(EMPTY, { slotBase: SL_POL_SLOT_FIRST + 80 })));
      times.emptyTotal.push(performance.now() - e0);
      const t0 = performance.now();
      const compiled = compilePolicy(bigPolicy, { slotBase: SL_POL_SLOT_FIRST + 80 });
      const t1 = performance.now();
      const loaded = h.load(compiled);
      const t2 = performance.now();
      h.unload(loaded);
      const t3 = performance.now();
      h.unload(await h.loadAsync(compiled));
      times.loadParallel.push(performance.now() - t3);
      times.compile.push(t1 - t0);
      times.load.push(t2 - t1);
      chunks = compiled.chunks.length;
      insns = compiled.chunks.reduce((n, c) => n + c.spec.instructions.length / 8, 0);
      ctx.progress(
        `policy: ${o.bigRules} rules compiled in ${Math.round(t1 - t0)} ms, loaded in ${Math.round(t2 - t1)} ms (${Math.round(times.loadParallel.at(-1)!)} ms in parallel)`,
      );
    }
    const agent = await policyAgentPath(ctx, h, o.bigRules, o.repeats);
    const processed = h.verifierProcessed(compilePolicy(bigPolicy, { slotBase: SL_POL_SLOT_FIRST + 80 }));
    const total = times.compile.map((c, i) => c + times.load[i]!);
    const totalParallel = times.compile.map((c, i) => c + times.loadParallel[i]!);
    const ebase = "empty policy: compile + load";
    const k = o.bigRules.toLocaleString("en-US");
    const buildTable: BenchTable = {
      title: `Policy: compile + load of a ${k}-rule policy (target < 1 s)`,
      rows: [
        { name: ebase, value: median(times.emptyTotal), unit: "ms (median)" },
        {
          name: `${k} rules: compile (TypeScript)`,
          value: median(times.compile),
          unit: "ms (median)",
          baseline: ebase,
        },
        {
          name: `${k} rules: load (verifier + JIT)`,
          value: median(times.load),
          unit: "ms (median)",
          baseline: ebase,
        },
        {
          name: `${k} rules: compile + load`,
          value: median(total),
          unit: "ms (median)",
          baseline: ebase,
          extra: {
            chunks,
            instructions: insns,
            verifierProcessed: processed.reduce((a, b) => a + b, 0),
            repeats: o.repeats,
          },
        },
        {
          name: `${k} rules: load, chunks verified in parallel`,
          value: median(times.loadParallel),
          unit: "ms (median)",
          baseline: ebase,
        },
        {
          name: `${k} rules: compile + parallel load`,
          value: median(totalParallel),
          unit: "ms (median)",
          baseline: ebase,
        },
        ...agentPathRows(agent, k, o.repeats),
      ],
      notes: [
        `wall time in this process, median of ${o.repeats}; the first repeat includes JIT warm-up of the compiler.`,
        `verifierProcessed: the verifier's "processed N insns" summed over the chunks (per chunk: ${processed.join(", ")}).`,
        "parallel: Program.loadAsync per chunk on libuv's worker threads (UV_THREADPOOL_SIZE, default 4), bounded by the machine's cores.",
        "agent path: a NetworkPolicy with that many ingress rules → PolicySync (feed, calculator, IR, compile, load, slots, entry switch), every rule's port changed per pass; its own 1-rule baseline.",
      ],
    };
    return [evalTable, buildTable, await policyInDatapath(ctx, o.rules, o.samples)];
  } finally {
    for (const l of loadedAll) h.unload(l);
    h.close();
  }
}

/** policyBench is the registered benchmark. */
export const policyBench: Benchmark<PolicyOptions> = {
  name: "policy",
  summary:
    "generated policy programs: new-flow ns/packet through 1,000 rules vs. an empty policy; compile + load of 10,000 rules; from_wep new/established with vs. without policy",
  needsRoot: true,
  defaults: { rules: 1000, bigRules: 10000, samples: 5000, repeats: 5 },
  small: { rules: 1000, bigRules: 10000, samples: 500, repeats: 2 },
  run: runPolicy,
};
