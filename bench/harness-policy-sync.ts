/**
 * harnessPolicySync wires the agent's PolicySync over a PolicyHarness's maps the way the agent
 * does (KernelPolicySink writing sl_pol_jump slots and an sl_pol_endpoints switch), so the policy
 * benches time the agent's own path without a node. The caller closes `endpoints`.
 */
import { createAgentLogger } from "../src/agent/agent-logger.ts";
import { AgentMetrics } from "../src/agent/agent-metrics.ts";
import { PolicySync } from "../src/agent/policy-sync.ts";
import { BpfMap } from "../src/bpf/map.ts";
import { MapType } from "../src/bpf/map-type.ts";
import { KernelPolicySink } from "../src/datapath/policy/kernel-policy-sink.ts";
import { PolicyMapName } from "../src/policy/policy-maps.ts";
import type { PolicyHarness } from "../test/policy/policy-harness.ts";

/** HarnessPolicySync: the PolicySync and the endpoint map it switches. */
export interface HarnessPolicySync {
  readonly sync: PolicySync;
  readonly endpoints: BpfMap;
}

/** harnessPolicySync builds a silent PolicySync over `h`'s maps for node `node`. */
export function harnessPolicySync(h: PolicyHarness, node: string): HarnessPolicySync {
  const endpoints = BpfMap.create({
    name: "sl_pol_endpoints",
    type: MapType.Hash,
    keySize: 4,
    valueSize: 32,
    maxEntries: 8,
    flags: 0,
    pinning: "none",
  });
  const mapFds = new Map([...h.maps].map(([name, m]) => [name, m.fd] as const));
  const sync = new PolicySync({
    sink: new KernelPolicySink(h.map(PolicyMapName.jump), endpoints, mapFds),
    ipsets: h.map(PolicyMapName.ipsets),
    log: createAgentLogger(node, "silent"),
    metrics: new AgentMetrics(),
  });
  return { sync, endpoints };
}
