/**
 * PolicySpec: one policy of any kind (Kubernetes NetworkPolicy, Calico NetworkPolicy,
 * GlobalNetworkPolicy) in one plain, kind-free shape — what the rule IR is translated from.
 * Selectors are canonical texts over endpointLabels() (each names one IP set); protocols are
 * IANA numbers; ports are ranges or names (named ports resolve through named-port IP sets).
 */

/** RuleAction is what a matching rule does. */
export type RuleAction = "Allow" | "Deny" | "Log" | "Pass";

/** PortMatch is an inclusive port range, or a named port (resolved per endpoint). */
export type PortMatch = { readonly min: number; readonly max: number } | { readonly name: string };

/** IcmpMatch is an ICMP type and optional code. */
export interface IcmpMatch {
  readonly type?: number | undefined;
  readonly code?: number | undefined;
}

/** EntityMatch is one side (source or destination) of a rule; empty lists mean "no constraint". */
export interface EntityMatch {
  readonly nets: readonly string[];
  readonly notNets: readonly string[];
  /** Canonical selector (an IP set key); undefined when the side does not match by selector. */
  readonly selector?: string;
  readonly notSelector?: string;
  readonly ports: readonly PortMatch[];
  readonly notPorts: readonly PortMatch[];
  /** DNS policy: canonical, sorted domain patterns (destination of an egress Allow rule). */
  readonly domains?: readonly string[];
  /**
   * The selector also takes in the allowedEgressDomains of the network sets it selects: set on
   * the destination of a Calico egress Allow rule, the one place Calico gives them effect.
   */
  readonly egressDomains?: boolean;
}

/** RuleSpec is one rule, in order. */
export interface RuleSpec {
  readonly action: RuleAction;
  readonly ipVersion?: 4 | 6;
  readonly protocol?: number;
  readonly notProtocol?: number;
  readonly icmp?: IcmpMatch;
  readonly notIcmp?: IcmpMatch;
  readonly source: EntityMatch;
  readonly destination: EntityMatch;
}

/** PolicyKind says where a PolicySpec came from. */
export type PolicyKind = "KubernetesNetworkPolicy" | "NetworkPolicy" | "GlobalNetworkPolicy";

/** PolicySpec is one policy, normalised. */
export interface PolicySpec {
  /** Stable identity: "knp/<ns>/<name>", "np/<ns>/<name>", "gnp/<name>". */
  readonly id: string;
  readonly kind: PolicyKind;
  /** Calico's name: "knp.default.<name>" for Kubernetes policies, else metadata.name. */
  readonly name: string;
  readonly namespace?: string;
  readonly tier: string;
  /** Undefined: after every ordered policy of the tier. */
  readonly order?: number;
  /** Canonical selector of the endpoints the policy applies to. */
  readonly selector: string;
  readonly ingress: readonly RuleSpec[] | undefined;
  readonly egress: readonly RuleSpec[] | undefined;
  /** True when the policy has the direction in its types (then absent rules mean "deny"). */
  readonly appliesIngress: boolean;
  readonly appliesEgress: boolean;
  readonly preDNAT: boolean;
  readonly doNotTrack: boolean;
  readonly applyOnForward: boolean;
}

/** PROTOCOL_NUMBERS maps Calico's protocol names to IANA numbers. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  TCP: 6,
  UDP: 17,
  ICMP: 1,
  ICMPv6: 58,
  SCTP: 132,
  UDPLite: 136,
};

/** protocolNumber turns a protocol name or number into its IANA number. */
export function protocolNumber(p: string | number): number {
  return typeof p === "number" ? p : (PROTOCOL_NUMBERS[p] as number);
}

/** EMPTY_ENTITY matches everything. */
export const EMPTY_ENTITY: EntityMatch = { nets: [], notNets: [], ports: [], notPorts: [] };
