/**
 * endpointPolicyIr: the PolicyCalculator's ordered policy lists for one endpoint and hook,
 * translated into the rule IR that compilePolicy and evaluatePolicy read. Selectors become the
 * IP-set ids the LabelIndex allocated (the calculator retains every set a rule uses, see
 * policyIpSets); named ports become named-port set ids; a tier whose defaultAction is Pass ends
 * in a synthetic pass rule (the IR's end of tier is a deny).
 *
 * Defaults (Calico's): a pod that no policy selects in a direction has no program (allow); a pod
 * with policies falls to its profile (allow) only when the last tier passes. A host endpoint's
 * ingress/egress without policy denies (failsafe ports are the datapath's business); with
 * policies, past the last tier it denies too. preDNAT, untracked and forward hooks with no policy
 * have no program; when all their tiers pass, the packet goes on to the next stage (allow here).
 *
 * A preDNAT tier ends in pass, not deny, whatever its defaultAction: Calico's pre-DNAT policy has
 * no default deny (a packet none of its rules match continues to the normal policy, which
 * decides; Felix renders no end-of-tier drop for preDNAT chains), so a preDNAT policy decides only
 * what it matches.
 *
 * An untracked tier's end passes (Calico's end-of-tier drop is for normal and forward policy), so
 * an untracked program's default allow means "no doNotTrack rule decided" (untracked.h).
 */
import type {
  EndpointPolicies,
  LabelIndex,
  PolicyCalculator,
  PolicySpec,
  RuleSpec,
} from "../calc/policy/index.ts";
import { ruleSideSets } from "../calc/policy/index.ts";
import type { EntityMatch, TierPolicies } from "../calc/policy/index.ts";
import type { PolicyHook, RuleIdAllocator, RuleInfo } from "./rule-ids.ts";
import { parseCidr } from "./cidr.ts";
import type { IpSetContents, IpSetMember } from "./ip-set.ts";
import type { Direction, EndpointPolicy, PolicyIr, PortRange, RuleAction, RuleMatch } from "./rule-ir.ts";

const HOOK_LIST: Readonly<Record<PolicyHook, keyof EndpointPolicies>> = {
  ingress: "ingress",
  egress: "egress",
  preDnatIngress: "preDnatIngress",
  untrackedIngress: "untrackedIngress",
  untrackedEgress: "untrackedEgress",
  forwardIngress: "forwardIngress",
  forwardEgress: "forwardEgress",
};

/** hookDirection is the direction a hook's rules are taken from. */
export function hookDirection(hook: PolicyHook): Direction {
  return hook.toLowerCase().endsWith("egress") ? "egress" : "ingress";
}

function isV4(cidr: string): boolean {
  return !cidr.includes(":");
}

interface SideIr {
  nets?: string[];
  notNets?: string[];
  sets?: number[];
  notSets?: number[];
  ports?: PortRange[];
  namedPortSets?: number[];
  notPorts?: PortRange[];
  notNamedPortSets?: number[];
}

function setIdOf(index: LabelIndex, spec: Parameters<LabelIndex["setId"]>[0], where: string): number {
  const id = index.setId(spec);
  if (id === undefined)
    throw new Error(`${where}: no IP set for selector "${spec.selector}" (the calculator did not retain it)`);
  return id;
}

function side(index: LabelIndex, rule: RuleSpec, which: "source" | "destination", where: string): SideIr {
  const e: EntityMatch = rule[which];
  const sets = ruleSideSets(rule, which);
  const out: SideIr = {};
  // The datapath is IPv4: an IPv6 net never contains the packet's address.
  if (e.nets.length > 0) out.nets = e.nets.filter(isV4);
  const notNets = e.notNets.filter(isV4);
  if (notNets.length > 0) out.notNets = notNets;
  if (sets.selector !== undefined) out.sets = [setIdOf(index, sets.selector, where)];
  if (sets.notSelector !== undefined) out.notSets = [setIdOf(index, sets.notSelector, where)];
  // A named port without a protocol resolves to nothing (Calico requires a protocol with ports).
  const ranges = (list: EntityMatch["ports"]): PortRange[] =>
    list.flatMap((p) => ("name" in p ? [] : [{ first: p.min, last: p.max }]));
  if (e.ports.length > 0) {
    out.ports = ranges(e.ports);
    out.namedPortSets = sets.namedPorts.map((n) => setIdOf(index, n.set, where));
  }
  if (e.notPorts.length > 0) {
    out.notPorts = ranges(e.notPorts);
    out.notNamedPortSets = sets.notNamedPorts.map((n) => setIdOf(index, n.set, where));
  }
  return out;
}

/** ruleMatch translates one RuleSpec's criteria. */
export function ruleMatch(index: LabelIndex, rule: RuleSpec, where: string): RuleMatch {
  const s = side(index, rule, "source", where);
  const d = side(index, rule, "destination", where);
  const m: { -readonly [K in keyof RuleMatch]: RuleMatch[K] } = {};
  if (rule.protocol !== undefined) m.protocol = rule.protocol;
  if (rule.notProtocol !== undefined) m.notProtocol = rule.notProtocol;
  if (rule.ipVersion !== undefined) m.ipVersion = rule.ipVersion;
  if (rule.icmp?.type !== undefined)
    m.icmp = { type: rule.icmp.type, ...(rule.icmp.code !== undefined ? { code: rule.icmp.code } : {}) };
  if (rule.notIcmp?.type !== undefined)
    m.notIcmp = {
      type: rule.notIcmp.type,
      ...(rule.notIcmp.code !== undefined ? { code: rule.notIcmp.code } : {}),
    };
  if (s.nets) m.srcNets = s.nets;
  if (s.notNets) m.notSrcNets = s.notNets;
  if (d.nets) m.dstNets = d.nets;
  if (d.notNets) m.notDstNets = d.notNets;
  if (s.sets) m.srcSets = s.sets;
  if (s.notSets) m.notSrcSets = s.notSets;
  if (d.sets) m.dstSets = d.sets;
  if (d.notSets) m.notDstSets = d.notSets;
  if (s.ports) {
    m.srcPorts = s.ports;
    m.srcNamedPortSets = s.namedPortSets ?? [];
  }
  if (s.notPorts) {
    m.notSrcPorts = s.notPorts;
    m.notSrcNamedPortSets = s.notNamedPortSets ?? [];
  }
  if (d.ports) {
    m.dstPorts = d.ports;
    m.dstNamedPortSets = d.namedPortSets ?? [];
  }
  if (d.notPorts) {
    m.notDstPorts = d.notPorts;
    m.notDstNamedPortSets = d.notNamedPortSets ?? [];
  }
  return m;
}

const ACTION: Readonly<Record<RuleSpec["action"], RuleAction>> = {
  Allow: "allow",
  Deny: "deny",
  Pass: "pass",
  Log: "log",
};

function endpointName(key: string): string {
  return key.replace(/^(pod|hep)\//, "");
}

/**
 * endpointPolicyIr builds one endpoint's program IR for one hook, or undefined when no program
 * is needed (see the header). Rule ids come from `ids`, owned by "<key>|<hook>"; when undefined
 * is returned the owner's ids are released.
 */
export function endpointPolicyIr(
  calc: PolicyCalculator,
  key: string,
  hook: PolicyHook,
  ids: RuleIdAllocator,
): EndpointPolicy | undefined {
  const owner = `${key}|${hook}`;
  const lists = calc.policiesFor(key);
  const isHep = calc.index.endpoint(key)?.kind === "hostEndpoint";
  const tiers: readonly TierPolicies[] = lists?.[HOOK_LIST[hook]] ?? [];
  const normal = hook === "ingress" || hook === "egress";
  if (lists === undefined || (tiers.length === 0 && !(isHep && normal))) {
    ids.release(owner);
    return undefined;
  }
  const direction = hookDirection(hook);
  const defaultAction = isHep && normal ? "deny" : "allow";
  const entries: Array<{ key: string; info: RuleInfo }> = [];
  const want = (k: string, info: RuleInfo): number => entries.push({ key: k, info }) - 1;

  type Draft = {
    name: string;
    policies: Array<{ name: string; rules: Array<{ slot: number; action: RuleAction; match: RuleMatch }> }>;
    eot: number;
  };
  const drafts: Draft[] = tiers.map(({ tier, policies }) => {
    const draftPolicies = policies.map((p: PolicySpec) => {
      const rules = (direction === "ingress" ? p.ingress : p.egress) ?? [];
      const label = p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`;
      return {
        name: `${tier.name}.${label}`,
        rules: rules.map((r, i) => {
          const action = ACTION[r.action];
          const where = `policy ${p.id} ${direction} rule ${i}`;
          const slot = want(`rule|${p.id}|${hook}|${i}|${JSON.stringify(r)}`, {
            kind: "rule",
            hook,
            tier: tier.name,
            policy: p.name,
            ...(p.namespace !== undefined ? { namespace: p.namespace } : {}),
            policyId: p.id,
            ruleIndex: i,
            action,
          });
          return { slot, action, match: ruleMatch(calc.index, r, where) };
        }),
      };
    });
    // Calico drops at a tier's end only for normal and forward policy: a preDNAT or doNotTrack tier
    // that no rule decided leaves the packet to the next stage.
    const passesAtEnd =
      hook === "preDnatIngress" || hook === "untrackedIngress" || hook === "untrackedEgress";
    const eotAction: RuleAction = tier.defaultAction === "Pass" || passesAtEnd ? "pass" : "deny";
    const eot = want(`eot|${hook}|${tier.name}|${eotAction}`, {
      kind: "endOfTier",
      hook,
      tier: tier.name,
      policy: "",
      policyId: "",
      ruleIndex: -1,
      action: eotAction,
    });
    // The IR's end of tier denies; a Pass tier ends in a catch-all pass rule instead.
    if (eotAction === "pass")
      draftPolicies.push({
        name: `${tier.name}.end-of-tier`,
        rules: [{ slot: eot, action: "pass", match: {} }],
      });
    return { name: tier.name, policies: draftPolicies, eot };
  });
  const def = want(`default|${hook}|${defaultAction}`, {
    kind: "default",
    hook,
    tier: "",
    policy: "",
    policyId: "",
    ruleIndex: -1,
    action: defaultAction,
  });
  const assigned = ids.assign(owner, entries);
  return {
    endpoint: endpointName(key),
    direction,
    tiers: drafts.map((t) => ({
      name: t.name,
      policies: t.policies.map((p): PolicyIr => ({
        name: p.name,
        rules: p.rules.map((r) => ({ id: assigned[r.slot]!, action: r.action, match: r.match })),
      })),
      endOfTierRuleId: assigned[t.eot]!,
    })),
    defaultAction,
    defaultRuleId: assigned[def]!,
  };
}

/** ipSetContents reads the calculator's IP sets as the reference evaluator wants them (IPv4 only). */
export function ipSetContents(index: LabelIndex): IpSetContents {
  const out = new Map<number, IpSetMember[]>();
  for (const { spec, id } of index.sets())
    out.set(
      id,
      index
        .members(spec)
        .filter((m) => isV4(m.cidr))
        .map((m) => ({
          ...parseCidr(m.cidr),
          ...(m.port !== undefined ? { port: m.port, proto: m.protocol ?? 0 } : {}),
        })),
    );
  return out;
}
