/**
 * normalizeCalicoPolicy: a Calico NetworkPolicy or GlobalNetworkPolicy as a PolicySpec, with
 * Calico's selector scoping (policy-selectors.ts).
 */
import type { CalicoNetworkPolicy, GlobalNetworkPolicy } from "../../model/calico-policy.ts";
import type { CalicoRule, EntityRule } from "../../model/calico-rule.ts";
import { canonicalDomainList } from "../../model/domain-pattern.ts";
import { parseSelector } from "../../model/selector/parse-selector.ts";
import { entitySelector, policySelector, type SelectorScope } from "./policy-selectors.ts";
import { protocolNumber, type EntityMatch, type PolicySpec, type RuleSpec } from "./policy-spec.ts";

function entity(
  e: EntityRule | undefined,
  scope: SelectorScope,
  egressAllowDestination = false,
): EntityMatch {
  const selector = entitySelector(e ?? {}, scope);
  const domains = e?.domains ?? [];
  return {
    ...(domains.length > 0 ? { domains: canonicalDomainList(domains) } : {}),
    ...(egressAllowDestination && selector !== undefined ? { egressDomains: true } : {}),
    nets: e?.nets ?? [],
    notNets: e?.notNets ?? [],
    ...(selector !== undefined ? { selector } : {}),
    ...(e?.notSelector !== undefined ? { notSelector: parseSelector(e.notSelector).text } : {}),
    ports: e?.ports ?? [],
    notPorts: e?.notPorts ?? [],
  };
}

function rule(r: CalicoRule, scope: SelectorScope, direction: "ingress" | "egress"): RuleSpec {
  return {
    action: r.action,
    ...(r.ipVersion !== undefined ? { ipVersion: r.ipVersion } : {}),
    ...(r.protocol !== undefined ? { protocol: protocolNumber(r.protocol) } : {}),
    ...(r.notProtocol !== undefined ? { notProtocol: protocolNumber(r.notProtocol) } : {}),
    ...(r.icmp !== undefined ? { icmp: r.icmp } : {}),
    ...(r.notICMP !== undefined ? { notIcmp: r.notICMP } : {}),
    source: entity(r.source, scope),
    destination: entity(r.destination, scope, direction === "egress" && r.action === "Allow"),
  };
}

/** normalizeCalicoPolicy converts a validated Calico policy. */
export function normalizeCalicoPolicy(p: CalicoNetworkPolicy | GlobalNetworkPolicy): PolicySpec {
  const global = p.kind === "GlobalNetworkPolicy";
  const scope: SelectorScope = global ? {} : { namespace: p.metadata.namespace as string };
  const spec = p.spec;
  const g = global ? (p as GlobalNetworkPolicy).spec : undefined;
  return {
    id: global ? `gnp/${p.metadata.name}` : `np/${p.metadata.namespace}/${p.metadata.name}`,
    kind: global ? "GlobalNetworkPolicy" : "NetworkPolicy",
    name: p.metadata.name,
    ...(global ? {} : { namespace: p.metadata.namespace as string }),
    tier: spec.tier,
    ...(spec.order !== undefined ? { order: spec.order } : {}),
    selector: policySelector(
      {
        selector: spec.selector,
        namespaceSelector: g?.namespaceSelector,
        serviceAccountSelector: spec.serviceAccountSelector,
      },
      scope,
    ),
    ingress: spec.types.includes("Ingress")
      ? (spec.ingress ?? []).map((r) => rule(r, scope, "ingress"))
      : undefined,
    egress: spec.types.includes("Egress")
      ? (spec.egress ?? []).map((r) => rule(r, scope, "egress"))
      : undefined,
    appliesIngress: spec.types.includes("Ingress"),
    appliesEgress: spec.types.includes("Egress"),
    preDNAT: g?.preDNAT ?? false,
    doNotTrack: g?.doNotTrack ?? false,
    applyOnForward: g?.applyOnForward ?? false,
  };
}
