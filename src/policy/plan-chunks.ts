/**
 * planPolicyItems flattens an EndpointPolicy into what the generator emits, in order: each rule
 * that can match, each tier's end-of-tier deny, the default; planChunks then cuts that list into
 * chunks small enough for the verifier. Pure.
 */
import { cachedCidrs } from "./match-rule.ts";
import type { EndpointPolicy, PolicyRule, RuleMatch } from "./rule-ir.ts";

/** PolicyItem is one unit of generated code. `startsTier` marks the first item of a tier (or the default). */
export type PolicyItem =
  | {
      readonly kind: "rule";
      readonly tier: number;
      readonly policy: number;
      readonly rule: PolicyRule;
      readonly startsTier?: number;
    }
  | {
      readonly kind: "end-of-tier";
      readonly tier: number;
      readonly ruleId: number;
      readonly startsTier?: number;
    }
  | { readonly kind: "default"; readonly tier: number; readonly ruleId: number; readonly startsTier: number };

// A port criterion that is present but lists nothing matches no packet.
function emptyPos(ranges?: readonly unknown[], named?: readonly unknown[]): boolean {
  return (
    (ranges !== undefined || named !== undefined) && (ranges ?? []).length === 0 && (named ?? []).length === 0
  );
}

/** neverMatches tells whether a rule's criteria exclude every packet (it is left out of the program). */
export function neverMatches(m: RuleMatch): boolean {
  return (
    m.srcNets?.length === 0 ||
    m.dstNets?.length === 0 ||
    (m.notSrcNets !== undefined && cachedCidrs(m.notSrcNets).some((c) => c.prefixLen === 0)) ||
    (m.notDstNets !== undefined && cachedCidrs(m.notDstNets).some((c) => c.prefixLen === 0)) ||
    emptyPos(m.srcPorts, m.srcNamedPortSets) ||
    emptyPos(m.dstPorts, m.dstNamedPortSets) ||
    (m.protocol !== undefined && m.notProtocol === m.protocol)
  );
}

/** planPolicyItems lists the items; the default's `tier` is the position after the last tier. */
export function planPolicyItems(policy: EndpointPolicy): PolicyItem[] {
  const items: PolicyItem[] = [];
  policy.tiers.forEach((tier, t) => {
    if (tier.policies.length === 0) return;
    const first = items.length;
    tier.policies.forEach((p, pi) => {
      for (const rule of p.rules)
        if (!neverMatches(rule.match)) items.push({ kind: "rule", tier: t, policy: pi, rule });
    });
    items.push({ kind: "end-of-tier", tier: t, ruleId: tier.endOfTierRuleId });
    items[first] = { ...items[first]!, startsTier: t };
  });
  const end = policy.tiers.length;
  items.push({ kind: "default", tier: end, ruleId: policy.defaultRuleId, startsTier: end });
  return items;
}

/** ItemCost is what one item adds to a chunk. */
export interface ItemCost {
  readonly insns: number;
  readonly jumps: number;
}

/** ChunkBudget bounds one chunk: instructions (jump offsets are 16 bits) and conditional jumps (verifier states). */
export interface ChunkBudget {
  readonly maxInsns: number;
  readonly maxJumps: number;
}

/** planChunks groups consecutive items greedily; a chunk holds at least one item. Returns item index ranges [start, end). */
export function planChunks(costs: readonly ItemCost[], budget: ChunkBudget): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let insns = 0;
  let jumps = 0;
  costs.forEach((c, i) => {
    if (i > start && (insns + c.insns > budget.maxInsns || jumps + c.jumps > budget.maxJumps)) {
      chunks.push([start, i]);
      start = i;
      insns = 0;
      jumps = 0;
    }
    insns += c.insns;
    jumps += c.jumps;
  });
  chunks.push([start, costs.length]);
  return chunks;
}
