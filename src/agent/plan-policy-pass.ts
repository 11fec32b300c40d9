/**
 * planPolicyPass is the pure half of PolicySync: from what the PolicyResourceFeed fed this pass
 * and this node's endpoints, it decides which endpoints get new specs (EndpointPolicySpec, an IR
 * per hook with policy), which interfaces lose their entry, and what sl_ipsets must gain and lose.
 * It touches no map: PolicySync writes the plan in the order that keeps every flow judged by a
 * complete program (members in, programs switched, stale entries out, members out).
 */
import type { PolicyCalculator, PolicyDelta } from "../calc/policy/policy-calculator.ts";
import { SL_POL_EP_F_DNS } from "../datapath/abi/abi.ts";
import type { EndpointPolicySpec } from "../datapath/policy/policy-programmer.ts";
import { isIpv4Entry, type IpSetEntry } from "../datapath/maps/ipset-map.ts";
import { endpointPolicyIr } from "../policy/endpoint-policy-ir.ts";
import type { PolicyHook, RuleIdAllocator } from "../policy/rule-ids.ts";
import type { EndpointPolicy } from "../policy/rule-ir.ts";
import type { LocalPolicyEndpoint } from "./local-policy-endpoints.ts";

/** IpSetPlan: on a first pass the whole desired membership (the map is reconciled to it), else the delta. */
export type IpSetPlan =
  | { readonly kind: "full"; readonly desired: readonly IpSetEntry[] }
  | {
      readonly kind: "delta";
      readonly added: readonly IpSetEntry[];
      readonly removed: readonly IpSetEntry[];
    };

/** PlannedEndpoint is a spec to apply, or an IR that could not be built (the error names the policy). */
export type PlannedEndpoint =
  | { readonly kind: "spec"; readonly spec: EndpointPolicySpec; readonly key: string }
  | {
      readonly kind: "error";
      readonly spec: EndpointPolicySpec;
      readonly key: string;
      readonly error: Error;
    };

/** PolicyPassPlan is one pass's writes, to be done in order. */
export interface PolicyPassPlan {
  readonly ipSets: IpSetPlan;
  readonly apply: readonly PlannedEndpoint[];
  /** Interfaces whose entry goes (no longer local, or no longer an endpoint). */
  readonly remove: readonly number[];
}

/** PolicyPassInput is what planPolicyPass reads. */
export interface PolicyPassInput {
  readonly calc: PolicyCalculator;
  readonly ids: RuleIdAllocator;
  readonly delta: PolicyDelta;
  /** Everything is planned (a first pass, or after adoption). */
  readonly full: boolean;
  readonly local: ReadonlyMap<number, LocalPolicyEndpoint>;
  readonly previous: ReadonlyMap<number, LocalPolicyEndpoint>;
  /** Interfaces with an entry now (this agent's or adopted). */
  readonly installed: Iterable<number>;
}

function sameEndpoint(a: LocalPolicyEndpoint | undefined, b: LocalPolicyEndpoint): boolean {
  return a !== undefined && a.key === b.key && a.flags === b.flags && a.hooks.join() === b.hooks.join();
}

/** fullIpSetMembership lists every IPv4 member of every set the calculator holds. */
export function fullIpSetMembership(calc: PolicyCalculator): IpSetEntry[] {
  return calc.index
    .sets()
    .flatMap(({ spec }) => calc.index.members(spec))
    .filter(isIpv4Entry);
}

/** ruleIdsOf lists every rule id an IR uses (rules, ends of tiers, the default). */
export function ruleIdsOf(ir: EndpointPolicy): number[] {
  return [
    ir.defaultRuleId,
    ...ir.tiers.flatMap((t) => [t.endOfTierRuleId, ...t.policies.flatMap((p) => p.rules.map((r) => r.id))]),
  ];
}

/** endpointSpec builds one endpoint's spec; an IR that cannot be built is an error naming the endpoint. */
export function endpointSpec(
  calc: PolicyCalculator,
  ids: RuleIdAllocator,
  ep: LocalPolicyEndpoint,
): PlannedEndpoint {
  const hooks: Partial<Record<PolicyHook, EndpointPolicy>> = {};
  // An endpoint that may connect by DNS name has its DNS answers held until learned (dns_hold.h).
  const flags = ep.flags | (calc.usesDomains(ep.key) ? SL_POL_EP_F_DNS : 0);
  const spec: EndpointPolicySpec = { ifindex: ep.ifindex, name: ep.name, flags, hooks };
  try {
    for (const hook of ep.hooks) {
      const ir = endpointPolicyIr(calc, ep.key, hook, ids);
      if (ir !== undefined) hooks[hook] = ir;
    }
  } catch (e) {
    const error = new Error(
      `build policy for endpoint ${ep.name} (ifindex ${ep.ifindex}): ${(e as Error).message}`,
      { cause: e },
    );
    return { kind: "error", spec, key: ep.key, error };
  }
  return { kind: "spec", spec, key: ep.key };
}

/** planPolicyPass plans one pass (see the header). */
export function planPolicyPass(input: PolicyPassInput): PolicyPassPlan {
  const { calc, ids, delta, full, local, previous } = input;
  const dirty = new Set(delta.endpoints);
  const apply: PlannedEndpoint[] = [];
  for (const ep of local.values()) {
    if (!full && !dirty.has(ep.key) && sameEndpoint(previous.get(ep.ifindex), ep)) continue;
    apply.push(endpointSpec(calc, ids, ep));
  }
  const remove = [...new Set([...input.installed, ...previous.keys()])].filter((i) => !local.has(i));
  // Rule ids of endpoints that left the node (or the calculator) go back to the allocator.
  const keys = new Set([...local.values()].map((e) => e.key));
  for (const ep of previous.values())
    if (!keys.has(ep.key)) for (const hook of ep.hooks) ids.release(`${ep.key}|${hook}`);
  const ipSets: IpSetPlan = full
    ? { kind: "full", desired: fullIpSetMembership(calc) }
    : {
        kind: "delta",
        added: delta.ipSets.added.filter(isIpv4Entry),
        removed: delta.ipSets.removed.filter(isIpv4Entry),
      };
  return { ipSets, apply, remove: remove.sort((a, b) => a - b) };
}
