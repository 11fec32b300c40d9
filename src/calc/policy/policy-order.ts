/**
 * Policy ordering, as Felix sorts it: tiers by order (a tier without one goes last), then by
 * name; within a tier, policies by order (unset goes last), then by name — a namespaced policy's
 * name being "<namespace>/<name>", as in Felix's model. The `default` tier has order 1,000,000
 * and defaultAction Deny unless a Tier resource named `default` says otherwise; a policy whose
 * tier does not exist sorts as a tier without order, with defaultAction Deny.
 */
import { DEFAULT_TIER } from "../../model/calico-policy.ts";
import { DEFAULT_TIER_ORDER } from "../../model/tier.ts";
import type { PolicySpec } from "./policy-spec.ts";

/** TierInfo is what ordering needs of a tier. */
export interface TierInfo {
  readonly name: string;
  readonly order?: number;
  readonly defaultAction: "Deny" | "Pass";
}

/** TierPolicies is one tier's policies that apply to an endpoint in one direction, in order. */
export interface TierPolicies {
  readonly tier: TierInfo;
  readonly policies: readonly PolicySpec[];
}

/** DEFAULT_TIER_INFO is the implicit default tier. */
export const DEFAULT_TIER_INFO: TierInfo = {
  name: DEFAULT_TIER,
  order: DEFAULT_TIER_ORDER,
  defaultAction: "Deny",
};

function compareOrder(a: number | undefined, b: number | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a - b;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** policySortName is the name Felix sorts a policy by. */
export function policySortName(p: PolicySpec): string {
  return p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`;
}

/** compareTiers orders tiers: order (unset last), then name. */
export function compareTiers(a: TierInfo, b: TierInfo): number {
  return compareOrder(a.order, b.order) || compareText(a.name, b.name);
}

/** comparePolicies orders policies within a tier: order (unset last), then name, then id. */
export function comparePolicies(a: PolicySpec, b: PolicySpec): number {
  return (
    compareOrder(a.order, b.order) ||
    compareText(policySortName(a), policySortName(b)) ||
    compareText(a.id, b.id)
  );
}

/** tierInfo finds a tier by name among the known ones, falling back as described above. */
export function tierInfo(name: string, tiers: ReadonlyMap<string, TierInfo>): TierInfo {
  const known = tiers.get(name);
  if (known !== undefined) return name === DEFAULT_TIER ? { ...known, order: DEFAULT_TIER_ORDER } : known;
  return name === DEFAULT_TIER ? DEFAULT_TIER_INFO : { name, defaultAction: "Deny" };
}

/** orderPolicies groups policies into tiers and sorts both; tiers without policies are left out. */
export function orderPolicies(
  policies: Iterable<PolicySpec>,
  tiers: ReadonlyMap<string, TierInfo>,
): TierPolicies[] {
  const byTier = new Map<string, PolicySpec[]>();
  for (const p of policies) {
    let list = byTier.get(p.tier);
    if (list === undefined) byTier.set(p.tier, (list = []));
    list.push(p);
  }
  return [...byTier.entries()]
    .map(([name, list]) => ({ tier: tierInfo(name, tiers), policies: list.sort(comparePolicies) }))
    .sort((a, b) => compareTiers(a.tier, b.tier));
}
