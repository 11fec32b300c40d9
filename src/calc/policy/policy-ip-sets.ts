/**
 * policyIpSets: the IP sets a policy's rules refer to — each side's selector and notSelector,
 * and for each named port a named-port set over that side's selector (all() when it has none:
 * on the destination of an ingress rule the address is the endpoint itself anyway). The
 * translator to the rule IR asks the index for these same specs' ids (ruleSideSets).
 */
import type { IpSetSpec } from "./ip-set-types.ts";
import { ipSetKey } from "./ip-set-types.ts";
import type { EntityMatch, PolicySpec, RuleSpec } from "./policy-spec.ts";

/** SideSets are the IP sets one rule side uses. */
export interface SideSets {
  readonly selector?: IpSetSpec;
  readonly notSelector?: IpSetSpec;
  /** Named ports of `ports`, by name. */
  readonly namedPorts: ReadonlyArray<{ readonly name: string; readonly set: IpSetSpec }>;
  /** Named ports of `notPorts`, by name. */
  readonly notNamedPorts: ReadonlyArray<{ readonly name: string; readonly set: IpSetSpec }>;
}

function named(
  side: EntityMatch,
  list: EntityMatch["ports"],
  protocol: number | undefined,
): Array<{ name: string; set: IpSetSpec }> {
  return list.flatMap((p) =>
    "name" in p && protocol !== undefined
      ? [{ name: p.name, set: { selector: side.selector ?? "all()", namedPort: { name: p.name, protocol } } }]
      : [],
  );
}

/** ruleSideSets lists the sets one side of a rule uses. */
export function ruleSideSets(rule: RuleSpec, side: "source" | "destination"): SideSets {
  const e = rule[side];
  const selector: IpSetSpec | undefined =
    e.domains !== undefined && e.domains.length > 0
      ? { selector: "all()", domains: e.domains }
      : e.selector === undefined
        ? undefined
        : e.egressDomains === true
          ? { selector: e.selector, egressDomains: true }
          : { selector: e.selector };
  return {
    ...(selector !== undefined ? { selector } : {}),
    ...(e.notSelector !== undefined ? { notSelector: { selector: e.notSelector } } : {}),
    namedPorts: named(e, e.ports, rule.protocol),
    notNamedPorts: named(e, e.notPorts, rule.protocol),
  };
}

/** policyIpSets lists every set a policy uses, each once. */
export function policyIpSets(policy: PolicySpec): IpSetSpec[] {
  const out = new Map<string, IpSetSpec>();
  for (const rule of [...(policy.ingress ?? []), ...(policy.egress ?? [])]) {
    for (const side of ["source", "destination"] as const) {
      const s = ruleSideSets(rule, side);
      for (const spec of [
        s.selector,
        s.notSelector,
        ...s.namedPorts.map((n) => n.set),
        ...s.notNamedPorts.map((n) => n.set),
      ]) {
        if (spec !== undefined) out.set(ipSetKey(spec), spec);
      }
    }
  }
  return [...out.values()];
}
