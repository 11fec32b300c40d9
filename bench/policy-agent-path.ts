/**
 * The agent's own path for a big policy: a Kubernetes NetworkPolicy of N ingress rules (rule k:
 * from one /24, TCP or UDP to one port, shaped like test/policy/large-policy.ts) selecting a
 * local pod goes through PolicySync — resource feed, calculator, IR, compile, BPF_PROG_LOAD,
 * sl_pol_jump slots and the sl_pol_endpoints switch — over the policy harness's maps with the
 * agent's KernelPolicySink. Each repeat changes every rule's port (so the whole policy is rebuilt)
 * and times one pass through PolicySync.syncAsync (what the agent's pass awaits: chunks verified
 * concurrently) and one through PolicySync.sync (chunk by chunk), in ABBA order, each after a
 * pass to a 1-rule policy (the baseline: the same pass for 1 rule). Needs root (BPF).
 */
import { performance } from "node:perf_hooks";
import type { PolicySyncInput } from "../src/agent/policy-sync.ts";
import { ClusterCache } from "../src/datastore/cluster-cache.ts";
import type { Resource } from "../src/model/resource.ts";
import { portOf, srcOf } from "../test/policy/large-policy.ts";
import type { PolicyHarness } from "../test/policy/policy-harness.ts";
import { knp, pod } from "../test/support/policy-resources.ts";
import type { BenchContext } from "./benchmark.ts";
import { harnessPolicySync } from "./harness-policy-sync.ts";
import type { BenchRow } from "./result-table.ts";
import { median } from "./stats.ts";

const NODE = "bench-node";
const NS = "bench";

function bigPolicy(rules: number, shift: number): Resource {
  const ingress = Array.from({ length: rules }, (_, k) => {
    const a = srcOf(k);
    return {
      from: [{ ipBlock: { cidr: `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.0/24` } }],
      ports: [{ protocol: k % 2 === 0 ? "TCP" : "UDP", port: portOf(k) + shift }],
    };
  });
  return knp(NS, "big", { podSelector: { matchLabels: { app: "db" } }, policyTypes: ["Ingress"], ingress });
}

/** AgentPathTimes: per repeat, the pass through syncAsync and through sync, and the 1-rule baseline. */
export interface AgentPathTimes {
  readonly concurrent: number[];
  readonly sequential: number[];
  readonly baseline: number[];
  programs: number;
}

/** policyAgentPath times PolicySync passes for an N-rule NetworkPolicy over the harness's maps. */
export async function policyAgentPath(
  ctx: BenchContext,
  h: PolicyHarness,
  rules: number,
  repeats: number,
): Promise<AgentPathTimes> {
  const { sync, endpoints } = harnessPolicySync(h, NODE);
  const cache = new ClusterCache();
  cache.apply({ type: "synced" });
  const put = (r: Resource): void => {
    const key = {
      group: r.kind === "NetworkPolicy" ? "networking.k8s.io" : "",
      kind: r.kind,
      name: r.metadata.name,
      namespace: NS,
    };
    cache.apply({ type: "added", key, resource: r, source: "bench" });
  };
  put(pod(NS, "db", "198.18.7.2", { app: "db" }, { node: NODE }));
  const input: PolicySyncInput = {
    cache,
    nodeName: NODE,
    workloads: [{ pod: `${NS}/db`, iface: "sldb", ifindex: 7 }],
    hostIfaces: [],
  };
  const times: AgentPathTimes = { concurrent: [], sequential: [], baseline: [], programs: 0 };
  const pass = async (policy: Resource, concurrent: boolean): Promise<number> => {
    put(policy);
    const t0 = performance.now();
    const r = concurrent ? await sync.syncAsync(input) : sync.sync(input);
    const ms = performance.now() - t0;
    if (r.applied !== 1 || r.failed !== 0)
      throw new Error(
        `policy agent path: pass applied ${r.applied}, failed ${r.failed} (want 1, 0): ${[...sync.programmer.errors().values()].map((e) => e.message).join("; ")}`,
      );
    return ms;
  };
  try {
    let shift = 0;
    // Each big pass follows a 1-rule pass (so both replace a small policy by the big one), and
    // the two kinds alternate which goes first (ABBA), for the machine's drift.
    // One untimed pass first: the compiler's and calculator's JIT warm-up is not the agent's steady cost.
    await pass(bigPolicy(rules, ++shift), true);
    for (let i = 0; i < repeats; i++) {
      for (const concurrent of i % 2 === 0 ? [true, false] : [false, true]) {
        times.baseline.push(await pass(bigPolicy(1, ++shift), true));
        (concurrent ? times.concurrent : times.sequential).push(
          await pass(bigPolicy(rules, ++shift), concurrent),
        );
        times.programs = sync.programmer.programsLoaded;
      }
      ctx.progress(
        `policy: agent path ${rules} rules: syncAsync ${Math.round(times.concurrent.at(-1)!)} ms, sync ${Math.round(times.sequential.at(-1)!)} ms (${times.programs} chunks)`,
      );
    }
  } finally {
    sync.programmer.remove(7);
    sync.close();
    endpoints.close();
  }
  return times;
}

/** agentPathRows are the rows for the compile + load table. */
export function agentPathRows(t: AgentPathTimes, k: string, repeats: number): BenchRow[] {
  const base = "agent path: 1-rule policy pass (PolicySync.syncAsync)";
  return [
    { name: base, value: median(t.baseline), unit: "ms (median)" },
    {
      name: `agent path: compile + load ${k}-rule policy (PolicySync.syncAsync, chunks concurrent)`,
      value: median(t.concurrent),
      unit: "ms (median)",
      baseline: base,
      extra: { chunks: t.programs, repeats },
    },
    {
      name: `agent path: compile + load ${k}-rule policy (PolicySync.sync, chunk by chunk)`,
      value: median(t.sequential),
      unit: "ms (median)",
      baseline: base,
    },
  ];
}
