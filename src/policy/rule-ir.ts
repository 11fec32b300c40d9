/**
 * The rule IR: everything one endpoint's policy program is built from, for one direction, as
 * plain data (no selectors, no labels: those are resolved before, into CIDRs and IP-set ids).
 * Both the code generator (compilePolicy) and the reference evaluator (evaluatePolicy) read it,
 * so the BPF program and `sluice policy explain` cannot disagree about what it means.
 *
 * Semantics (Calico's):
 * - Tiers run in order. Inside a tier, the policies' rules run in order (policy order, then rule
 *   order). The first Allow or Deny rule that matches decides. Log emits an event and goes on.
 *   Pass skips the rest of the tier and continues with the next tier that has policies.
 * - A tier lists only the policies that apply to the endpoint. A tier with at least one policy
 *   whose rules all fail ends in a deny ("end of tier"); its `endOfTierRuleId` is the deciding
 *   rule. A tier without policies is skipped.
 * - Past the last tier (no tier had policies, or the last one passed) the endpoint's default
 *   (profile) action decides, with `defaultRuleId`.
 * - Inside a rule every present criterion must hold (AND); an absent criterion holds always.
 */

/** RuleAction is what a matching rule does. */
export type RuleAction = "allow" | "deny" | "pass" | "log";

/** PortRange is an inclusive range of L4 ports (host order); one port is {first: p, last: p}. */
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** IcmpMatch is an ICMP type and, optionally, code. */
export interface IcmpMatch {
  readonly type: number;
  readonly code?: number;
}

/**
 * RuleMatch holds a rule's criteria.
 * - `protocol` / `notProtocol`: IP protocol number equal / not equal.
 * - `ipVersion`: 4 or 6.
 * - `*Nets`: CIDR strings ("10.0.0.0/8"); the address is in at least one. An empty list matches
 *   nothing. `not*Nets`: the address is in none of them.
 * - `*Sets`: IP-set ids; the address is a member of every one (sl_ipsets). `not*Sets`: of none.
 * - `*Ports` and `*NamedPortSets` together: the packet has L4 ports and the port is in one of
 *   the ranges, or {address, port, protocol} is a member of one of the named-port sets (Calico's
 *   named ports). Present-but-empty on both sides matches nothing. `not*Ports` /
 *   `not*NamedPortSets`: the packet has L4 ports and is in none of them. A packet without ports
 *   (ICMP, a later fragment) fails every port criterion, negative ones included.
 * - `icmp`: the packet is ICMP (protocol 1 or 58) with this type (and code). `notIcmp`: the
 *   packet is ICMP and not of this type (and code).
 */
export interface RuleMatch {
  readonly protocol?: number;
  readonly notProtocol?: number;
  readonly ipVersion?: 4 | 6;
  readonly srcNets?: readonly string[];
  readonly notSrcNets?: readonly string[];
  readonly dstNets?: readonly string[];
  readonly notDstNets?: readonly string[];
  readonly srcSets?: readonly number[];
  readonly notSrcSets?: readonly number[];
  readonly dstSets?: readonly number[];
  readonly notDstSets?: readonly number[];
  readonly srcPorts?: readonly PortRange[];
  readonly srcNamedPortSets?: readonly number[];
  readonly notSrcPorts?: readonly PortRange[];
  readonly notSrcNamedPortSets?: readonly number[];
  readonly dstPorts?: readonly PortRange[];
  readonly dstNamedPortSets?: readonly number[];
  readonly notDstPorts?: readonly PortRange[];
  readonly notDstNamedPortSets?: readonly number[];
  readonly icmp?: IcmpMatch;
  readonly notIcmp?: IcmpMatch;
}

/** PolicyRule is one rule; `id` is stable across recompiles (hit counters, Log events, explain). */
export interface PolicyRule {
  readonly id: number;
  readonly action: RuleAction;
  readonly match: RuleMatch;
}

/** PolicyIr is one policy's rules for this endpoint and direction, in order. */
export interface PolicyIr {
  /** For explain and listings: "default/allow-web", "tier1.gnp-deny". */
  readonly name: string;
  readonly rules: readonly PolicyRule[];
}

/** TierIr is one tier: its applying policies in order, and the rule id of its end-of-tier deny. */
export interface TierIr {
  readonly name: string;
  readonly policies: readonly PolicyIr[];
  readonly endOfTierRuleId: number;
}

/** Direction is the traffic direction seen from the endpoint. */
export type Direction = "ingress" | "egress";

/** EndpointPolicy is the whole IR of one endpoint and direction: one policy program. */
export interface EndpointPolicy {
  /** For program names and listings: a pod ("ns/name") or host endpoint name. */
  readonly endpoint: string;
  readonly direction: Direction;
  readonly tiers: readonly TierIr[];
  /** The profile / default action when no tier decides. */
  readonly defaultAction: "allow" | "deny";
  readonly defaultRuleId: number;
}

/** PolicyPacket is the tuple policy decides on (what sl_policy_state carries). */
export interface PolicyPacket {
  /** IPv4 addresses as 32-bit numbers in dotted order (10.0.0.1 = 0x0a000001). */
  readonly srcAddr: number;
  readonly dstAddr: number;
  readonly proto: number;
  readonly ipVersion: 4 | 6;
  /** The packet has L4 ports (TCP/UDP/SCTP and not a later fragment); the ports are host order. */
  readonly hasPorts: boolean;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly icmpType: number;
  readonly icmpCode: number;
}
