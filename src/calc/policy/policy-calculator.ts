/**
 * PolicyCalculator: resources in, what the datapath must change out. It owns the LabelIndex
 * (IP sets) and the policies and tiers, and answers, for every pod and host endpoint, the
 * ordered policies per direction. Each change returns the IP set entries to write or delete and
 * the endpoints whose policy programs must be rebuilt — only those a change touches: a label
 * change touches the endpoint itself (when its policies differ); a policy change the endpoints
 * its old or new selector matches; a tier change the endpoints with a policy in it. Pure.
 */
import type { CalicoNetworkPolicy, GlobalNetworkPolicy } from "../../model/calico-policy.ts";
import type { NetworkPolicy } from "../../model/network-policy.ts";
import { DomainMatcher } from "../../model/domain-pattern.ts";
import type { Resource } from "../../model/resource.ts";
import { parseSelector } from "../../model/selector/parse-selector.ts";
import { evaluateSelectorNode, type SelectorNode } from "../../model/selector/selector-node.ts";
import { namespaceLabels } from "./endpoint-labels.ts";
import {
  dnsNameInput,
  dnsNameKey,
  hostEndpointInput,
  networkSetInput,
  podEndpoint,
  podEndpointKey,
} from "./endpoint-inputs.ts";
import type { EndpointInput, IpSetDelta, IpSetMember } from "./ip-set-types.ts";
import { LabelIndex, type LabelIndexOptions } from "./label-index.ts";
import { normalizeCalicoPolicy } from "./normalize-calico-policy.ts";
import { normalizeK8sPolicy } from "./normalize-k8s-policy.ts";
import { policyIpSets } from "./policy-ip-sets.ts";
import { orderPolicies, type TierInfo, type TierPolicies } from "./policy-order.ts";
import type { PolicySpec } from "./policy-spec.ts";

/**
 * EndpointPolicies is every ordered policy list of one endpoint; host-endpoint-only lists are
 * empty for pods. How a list is enforced (Calico's semantics, for the rule IR):
 * - a tier in a list has at least one policy for that direction; when none of its policies
 *   decides (a policy with no rules decides nothing), the tier's defaultAction applies (Deny, or
 *   Pass to the next tier); `Pass` in a rule jumps to the next tier;
 * - an empty `ingress`/`egress` list on a pod allows (no policy selects it: Kubernetes' default);
 *   on a host endpoint it denies, failsafe ports excepted;
 * - empty preDNAT, untracked and forward lists leave the packet to the next stage.
 */
export interface EndpointPolicies {
  readonly ingress: readonly TierPolicies[];
  readonly egress: readonly TierPolicies[];
  /** Host endpoints: preDNAT policies, before Service NAT (ingress only). */
  readonly preDnatIngress: readonly TierPolicies[];
  /** Host endpoints: doNotTrack policies (XDP / raw, untracked). */
  readonly untrackedIngress: readonly TierPolicies[];
  readonly untrackedEgress: readonly TierPolicies[];
  /** Host endpoints: applyOnForward policies for traffic through the host. */
  readonly forwardIngress: readonly TierPolicies[];
  readonly forwardEgress: readonly TierPolicies[];
}

/** PolicyDelta is what one change requires of the datapath. */
export interface PolicyDelta {
  readonly ipSets: IpSetDelta;
  /** Endpoint keys whose policy lists (or the policies in them) changed, sorted. */
  readonly endpoints: readonly string[];
}

interface PolicyState {
  readonly spec: PolicySpec;
  readonly root: SelectorNode;
  readonly text: string;
}

const EMPTY_SETS: IpSetDelta = { added: [], removed: [], createdSets: [], deletedSets: [] };

function mergeDeltas(deltas: readonly IpSetDelta[]): IpSetDelta {
  // Net out an entry removed by one step and re-added by the next (and vice versa).
  const net = new Map<string, { m: IpSetMember; n: number }>();
  const key = (m: IpSetMember): string => `${m.setId}|${m.cidr}|${m.port ?? ""}|${m.protocol ?? ""}`;
  for (const d of deltas) {
    for (const m of d.added) net.set(key(m), { m, n: (net.get(key(m))?.n ?? 0) + 1 });
    for (const m of d.removed) net.set(key(m), { m, n: (net.get(key(m))?.n ?? 0) - 1 });
  }
  const entries = [...net.values()];
  return {
    added: entries.filter((e) => e.n > 0).map((e) => e.m),
    removed: entries.filter((e) => e.n < 0).map((e) => e.m),
    createdSets: deltas.flatMap((d) => d.createdSets),
    deletedSets: deltas.flatMap((d) => d.deletedSets),
  };
}

/** policyOfResource normalises a policy resource, or undefined for other kinds. */
export function policyOfResource(r: Resource): PolicySpec | undefined {
  if (r.kind === "NetworkPolicy" && r.apiVersion === "networking.k8s.io/v1")
    return normalizeK8sPolicy(r as NetworkPolicy);
  if (r.kind === "NetworkPolicy" || r.kind === "GlobalNetworkPolicy")
    return normalizeCalicoPolicy(r as CalicoNetworkPolicy | GlobalNetworkPolicy);
  return undefined;
}

/** PolicyCalculator keeps the policy state of a cluster, incrementally. */
export class PolicyCalculator {
  readonly index: LabelIndex;
  readonly #policies = new Map<string, PolicyState>();
  readonly #tiers = new Map<string, TierInfo>();
  /** endpoint key → ids of the policies whose selector matches it (pods and host endpoints). */
  readonly #applied = new Map<string, Set<string>>();

  constructor(options: LabelIndexOptions = {}) {
    this.index = new LabelIndex(options);
  }

  /** upsert applies a created or updated resource; kinds without policy meaning are ignored. */
  upsert(r: Resource): PolicyDelta {
    switch (r.kind) {
      case "Pod": {
        const e = podEndpoint(r);
        return e === undefined
          ? this.#deleteEndpoint(podEndpointKey(r.metadata.namespace as string, r.metadata.name))
          : this.#upsertEndpoint(e);
      }
      case "HostEndpoint":
        return this.#upsertEndpoint(hostEndpointInput(r));
      case "NetworkSet":
      case "GlobalNetworkSet":
        return this.#upsertEndpoint(networkSetInput(r));
      case "Namespace":
        return this.#namespaceChanged(
          r.metadata.name,
          this.index.upsertNamespace(r.metadata.name, namespaceLabels(r.metadata.name, r.metadata.labels)),
        );
      case "Tier":
        return this.#setTier(r.metadata.name, {
          name: r.metadata.name,
          ...(r.spec.order !== undefined ? { order: r.spec.order } : {}),
          defaultAction: r.spec.defaultAction,
        });
      default: {
        const spec = policyOfResource(r);
        return spec === undefined ? { ipSets: EMPTY_SETS, endpoints: [] } : this.upsertPolicy(spec);
      }
    }
  }

  /**
   * learnDomainName records what DNS answers for a name now (DNS policy): its live addresses, or
   * none when they all expired. The domain sets whose patterns match change; no program does.
   */
  learnDomainName(name: string, addresses: readonly string[]): PolicyDelta {
    const ipSets =
      addresses.length === 0
        ? this.index.deleteEndpoint(dnsNameKey(name))
        : this.index.upsertEndpoint(dnsNameInput(name, addresses));
    return { ipSets, endpoints: [] };
  }

  /**
   * policiesUsingDomain names the policies with an egress rule whose destination.domains match
   * `name` (for `sluice dump dns`); domains reached through network sets' allowedEgressDomains
   * are not listed.
   */
  policiesUsingDomain(name: string): string[] {
    const out: string[] = [];
    for (const { spec } of this.#policies.values()) {
      const uses = (spec.egress ?? []).some(
        (r) =>
          (r.destination.domains?.length ?? 0) > 0 && new DomainMatcher(r.destination.domains!).matches(name),
      );
      if (uses) out.push(spec.namespace === undefined ? spec.name : `${spec.namespace}/${spec.name}`);
    }
    return out.sort();
  }

  /** remove applies a deletion (pass the last known resource). */
  remove(r: Resource): PolicyDelta {
    switch (r.kind) {
      case "Pod":
        return this.#deleteEndpoint(podEndpointKey(r.metadata.namespace as string, r.metadata.name));
      case "HostEndpoint":
        return this.#deleteEndpoint(hostEndpointInput(r).key);
      case "NetworkSet":
      case "GlobalNetworkSet":
        return this.#deleteEndpoint(networkSetInput(r).key);
      case "Namespace":
        return this.#namespaceChanged(r.metadata.name, this.index.deleteNamespace(r.metadata.name));
      case "Tier":
        return this.#setTier(r.metadata.name, undefined);
      default: {
        const spec = policyOfResource(r);
        return spec === undefined ? { ipSets: EMPTY_SETS, endpoints: [] } : this.deletePolicy(spec.id);
      }
    }
  }

  /** upsertPolicy adds or replaces a normalised policy. */
  upsertPolicy(spec: PolicySpec): PolicyDelta {
    const old = this.#policies.get(spec.id);
    const text = JSON.stringify(spec);
    if (old?.text === text) return { ipSets: EMPTY_SETS, endpoints: [] };
    const state: PolicyState = { spec, root: parseSelector(spec.selector).root, text };
    // Retain the new sets before releasing the old: a set both versions use keeps its id.
    const ipSets = this.index.batch((ops) => {
      for (const s of policyIpSets(spec)) ops.retain(s);
      if (old !== undefined) for (const s of policyIpSets(old.spec)) ops.release(s);
    });
    this.#policies.set(spec.id, state);
    const touched = new Set<string>();
    for (const [key, ids] of this.#applied) {
      const had = ids.has(spec.id);
      const has = this.#matches(state, key);
      if (has) ids.add(spec.id);
      else ids.delete(spec.id);
      if (had || has) touched.add(key);
    }
    return { ipSets, endpoints: [...touched].sort() };
  }

  /** deletePolicy removes a policy by id (no-op when unknown). */
  deletePolicy(id: string): PolicyDelta {
    const old = this.#policies.get(id);
    if (old === undefined) return { ipSets: EMPTY_SETS, endpoints: [] };
    this.#policies.delete(id);
    const ipSets = this.index.batch((ops) => policyIpSets(old.spec).forEach((s) => ops.release(s)));
    const touched: string[] = [];
    for (const [key, ids] of this.#applied) if (ids.delete(id)) touched.push(key);
    return { ipSets, endpoints: touched.sort() };
  }

  /**
   * usesDomains says whether an endpoint's egress can allow by DNS name (a rule's domains, or a
   * selector that takes in network sets' allowedEgressDomains while such sets exist): then its DNS
   * answers must be learned before it gets them.
   */
  usesDomains(key: string): boolean {
    const lists = this.policiesFor(key);
    if (lists === undefined) return false;
    const viaSets = this.index.hasDomainNetworkSets();
    return lists.egress.some((t) =>
      t.policies.some((p) =>
        (p.egress ?? []).some(
          (r) =>
            (r.destination.domains?.length ?? 0) > 0 || (viaSets && r.destination.egressDomains === true),
        ),
      ),
    );
  }

  /** policy returns a policy by id. */
  policy(id: string): PolicySpec | undefined {
    return this.#policies.get(id)?.spec;
  }

  /** policyEndpoints lists the endpoints (pods, host endpoints) a policy applies to. */
  policyEndpoints(id: string): string[] {
    return [...this.#applied]
      .filter(([, ids]) => ids.has(id))
      .map(([k]) => k)
      .sort();
  }

  /** endpointsWithPolicy lists every pod and host endpoint key. */
  endpointsWithPolicy(): string[] {
    return [...this.#applied.keys()].sort();
  }

  /** policiesFor returns an endpoint's ordered policy lists, or undefined for an unknown endpoint. */
  policiesFor(key: string): EndpointPolicies | undefined {
    const ids = this.#applied.get(key);
    if (ids === undefined) return undefined;
    const all = [...ids].map((id) => this.#policies.get(id)!.spec);
    const hep = this.index.endpoint(key)?.kind === "hostEndpoint";
    const normal = all.filter((p) => !p.preDNAT && !p.doNotTrack);
    const order = (list: PolicySpec[], dir: "ingress" | "egress"): TierPolicies[] =>
      orderPolicies(
        list.filter((p) => (dir === "ingress" ? p.appliesIngress : p.appliesEgress)),
        this.#tiers,
      );
    const onlyHep = (list: PolicySpec[]): PolicySpec[] => (hep ? list : []);
    return {
      ingress: order(normal, "ingress"),
      egress: order(normal, "egress"),
      preDnatIngress: order(onlyHep(all.filter((p) => p.preDNAT)), "ingress"),
      untrackedIngress: order(onlyHep(all.filter((p) => p.doNotTrack)), "ingress"),
      untrackedEgress: order(onlyHep(all.filter((p) => p.doNotTrack)), "egress"),
      forwardIngress: order(onlyHep(normal.filter((p) => p.applyOnForward)), "ingress"),
      forwardEgress: order(onlyHep(normal.filter((p) => p.applyOnForward)), "egress"),
    };
  }

  #matches(state: PolicyState, endpointKey: string): boolean {
    const labels = this.index.labelsOf(endpointKey);
    return labels !== undefined && evaluateSelectorNode(state.root, labels);
  }

  #matchingPolicies(endpointKey: string): Set<string> {
    const out = new Set<string>();
    for (const [id, state] of this.#policies) if (this.#matches(state, endpointKey)) out.add(id);
    return out;
  }

  /** #refresh recomputes an endpoint's policies; true when they changed. */
  #refresh(key: string): boolean {
    const next = this.#matchingPolicies(key);
    const prev = this.#applied.get(key);
    this.#applied.set(key, next);
    return prev === undefined || prev.size !== next.size || [...next].some((id) => !prev.has(id));
  }

  #upsertEndpoint(e: EndpointInput): PolicyDelta {
    const ipSets = this.index.upsertEndpoint(e);
    if (e.kind !== "pod" && e.kind !== "hostEndpoint") return { ipSets, endpoints: [] };
    return { ipSets, endpoints: this.#refresh(e.key) ? [e.key] : [] };
  }

  #deleteEndpoint(key: string): PolicyDelta {
    const ipSets = this.index.deleteEndpoint(key);
    return { ipSets, endpoints: this.#applied.delete(key) ? [key] : [] };
  }

  #namespaceChanged(name: string, ipSets: IpSetDelta): PolicyDelta {
    const touched = this.index
      .endpointsInNamespace(name)
      .filter((k) => this.#applied.has(k) && this.#refresh(k));
    return { ipSets, endpoints: touched.sort() };
  }

  #setTier(name: string, info: TierInfo | undefined): PolicyDelta {
    if (info === undefined) this.#tiers.delete(name);
    else this.#tiers.set(name, info);
    const touched = [...this.#applied]
      .filter(([, ids]) => [...ids].some((id) => this.#policies.get(id)?.spec.tier === name))
      .map(([k]) => k);
    return { ipSets: EMPTY_SETS, endpoints: touched.sort() };
  }
}

/** mergePolicyDeltas combines consecutive deltas into one (entries netted out). */
export function mergePolicyDeltas(deltas: readonly PolicyDelta[]): PolicyDelta {
  return {
    ipSets: mergeDeltas(deltas.map((d) => d.ipSets)),
    endpoints: [...new Set(deltas.flatMap((d) => d.endpoints))].sort(),
  };
}
