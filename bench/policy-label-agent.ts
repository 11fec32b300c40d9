/**
 * The agent's path for one pod label change, without the datastore: the change lands in a
 * ClusterCache (as the watch delivers it) and one PolicySync.syncAsync pass — resource feed,
 * calculator, plan, sl_ipsets writes — makes it effective; timed from the cache write to the
 * first BPF_PROG_TEST_RUN of the program PolicySync installed for the server that returns the new
 * verdict. Same shape as policy-label-change.ts (N pods, a server selected by role=db, ingress
 * from app=client). Not included: the agent's pass debounce (100 ms unless the policy fast path
 * runs the pass at once, see DataplaneSync.syncPolicyChanges). Needs root (BPF).
 */
import { performance } from "node:perf_hooks";
import type { PolicySyncInput } from "../src/agent/policy-sync.ts";
import type { Program } from "../src/bpf/program.ts";
import { ClusterCache } from "../src/datastore/cluster-cache.ts";
import type { Resource } from "../src/model/resource.ts";
import type { PolicyPacket } from "../src/policy/rule-ir.ts";
import { PolicyHarness } from "../test/policy/policy-harness.ts";
import { knp, namespace, pod } from "../test/support/policy-resources.ts";
import type { BenchContext } from "./benchmark.ts";
import { harnessPolicySync } from "./harness-policy-sync.ts";

const NODE = "bench-node";
const NS = "bench";
const SERVER_IFINDEX = 7;

/** labelChangeThroughPolicySync returns the per-change wall times (ms) at `n` pods. */
export async function labelChangeThroughPolicySync(
  ctx: BenchContext,
  n: number,
  changes: number,
  podIp: (k: number) => string,
  packetFrom: (k: number) => PolicyPacket,
): Promise<number[]> {
  const h = new PolicyHarness();
  const { sync, endpoints } = harnessPolicySync(h, NODE);
  const cache = new ClusterCache();
  const put = (r: Resource): void => {
    const ns = (r.metadata as { namespace?: string }).namespace;
    const group = r.kind === "NetworkPolicy" ? "networking.k8s.io" : "";
    const key = {
      group,
      kind: r.kind,
      name: r.metadata.name,
      ...(ns !== undefined ? { namespace: ns } : {}),
    };
    cache.apply({ type: "added", key, resource: r, source: "bench" });
  };
  try {
    cache.apply({ type: "synced" });
    put(namespace(NS));
    put(pod(NS, "server", "198.18.0.1", { role: "db" }, { node: NODE }));
    const clients = Array.from({ length: n }, (_, k) =>
      pod(NS, `p${k}`, podIp(k), { app: "web" }, { node: "other" }),
    );
    for (const c of clients) put(c);
    put(
      knp(NS, "db", {
        podSelector: { matchLabels: { role: "db" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "client" } } }] }],
      }),
    );
    const input: PolicySyncInput = {
      cache,
      nodeName: NODE,
      workloads: [{ pod: `${NS}/server`, iface: "slsrv", ifindex: SERVER_IFINDEX }],
      hostIfaces: [],
    };
    const t0 = performance.now();
    const first = await sync.syncAsync(input);
    if (first.applied !== 1)
      throw new Error(`policy-label-change (agent): first pass applied ${first.applied}`);
    ctx.progress(
      `policy-label-change: PolicySync first pass at ${n} pods in ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const hook = sync.programmer.installed(SERVER_IFINDEX)!.hooks.get("ingress")!;
    const programs = hook.programs as Program[];
    const loaded = { programs, slots: programs.map((_, i) => hook.base + i) };
    const labels = new Map<number, string>();
    const out: number[] = [];
    for (let i = 0; i < changes; i++) {
      const k = (i * 7919) % n;
      const next = labels.get(k) === "client" ? "web" : "client";
      const want = next === "client" ? 1 : 2;
      if (h.run(loaded, packetFrom(k)).verdict === want)
        throw new Error(`policy-label-change (agent): pod ${k} already has verdict ${want}`);
      const r = pod(NS, `p${k}`, podIp(k), { app: next }, { node: "other" });
      const s = performance.now();
      put(r);
      await sync.syncAsync(input);
      for (;;) {
        if (h.run(loaded, packetFrom(k)).verdict === want) break;
        if (performance.now() - s > 5000)
          throw new Error(
            `policy-label-change (agent): pod ${k} → app=${next}: verdict not ${want} after 5 s`,
          );
      }
      out.push(performance.now() - s);
      labels.set(k, next);
    }
    return out;
  } finally {
    sync.programmer.remove(SERVER_IFINDEX);
    sync.close();
    endpoints.close();
    h.close();
  }
}
