/**
 * The plain data the label index works on and hands out: endpoints (anything with labels and
 * addresses), IP set identities and members (one BPF map entry each).
 */
import type { LabelMap } from "../../model/selector/selector-node.ts";

/**
 * EndpointKind: pods and host endpoints have policy; network sets only feed IP sets; a DNS name
 * is what DNS answered for one name lately (DNS policy), and feeds only domain sets.
 */
export type EndpointKind = "pod" | "hostEndpoint" | "networkSet" | "globalNetworkSet" | "dnsName";

/** NamedPort is a port an endpoint names (container port, host endpoint port). */
export interface NamedPort {
  readonly name: string;
  readonly protocol: number;
  readonly port: number;
}

/** EndpointInput is one endpoint as the index sees it. */
export interface EndpointInput {
  /** Stable identity: "pod/<ns>/<name>", "hep/<name>", "netset/<ns>/<name>", "gnetset/<name>". */
  readonly key: string;
  readonly kind: EndpointKind;
  readonly namespace?: string;
  readonly labels: LabelMap;
  readonly serviceAccount?: string;
  /** Addresses as CIDRs: a pod's IPs as /32 or /128, a network set's nets. */
  readonly cidrs: readonly string[];
  readonly namedPorts: readonly NamedPort[];
  /** The node it lives on (pods, host endpoints), so an agent programs only its own. */
  readonly node?: string;
  /** Host endpoints: the interface ("*" for all of the node's). */
  readonly interfaceName?: string;
  /** DNS names: the (canonical) name the addresses were learned for. */
  readonly domainName?: string;
  /** Network sets: allowedEgressDomains, canonical and sorted. */
  readonly egressDomains?: readonly string[];
}

/**
 * IpSetSpec identifies an IP set: a canonical selector, optionally narrowed to a named port.
 * DNS policy adds two kinds: `domains`, the addresses DNS answered for those patterns (a rule's
 * destination.domains; selector "all()", unused); and `egressDomains`, the selector's members plus
 * the addresses of the allowedEgressDomains of the network sets it selects (the destination of an
 * egress Allow rule, where Calico gives those domains effect).
 */
export interface IpSetSpec {
  readonly selector: string;
  readonly namedPort?: { readonly name: string; readonly protocol: number };
  /** Canonical, sorted domain patterns. */
  readonly domains?: readonly string[];
  readonly egressDomains?: boolean;
}

/** ipSetKey is the string identity of an IP set spec. */
export function ipSetKey(spec: IpSetSpec): string {
  if (spec.domains !== undefined) return `domains(${spec.domains.join(",")})`;
  const base = spec.egressDomains === true ? `${spec.selector} @egress-domains` : spec.selector;
  return spec.namedPort === undefined
    ? base
    : `${base} @port ${spec.namedPort.protocol}/${spec.namedPort.name}`;
}

/** IpSetMember is one map entry: `{setId, cidr}` (plus port and protocol in a named-port set). */
export interface IpSetMember {
  readonly setId: number;
  readonly cidr: string;
  readonly port?: number;
  readonly protocol?: number;
}

/** IpSetDelta is what one change did to the IP set map. */
export interface IpSetDelta {
  readonly added: readonly IpSetMember[];
  readonly removed: readonly IpSetMember[];
  readonly createdSets: ReadonlyArray<{ readonly id: number; readonly key: string }>;
  readonly deletedSets: ReadonlyArray<{ readonly id: number; readonly key: string }>;
}

/** memberKey is the string identity of a member within its set. */
export function memberKey(cidr: string, port?: number, protocol?: number): string {
  return port === undefined ? cidr : `${cidr} ${protocol}/${port}`;
}

/** parseMemberKey reverses memberKey. */
export function parseMemberKey(setId: number, key: string): IpSetMember {
  const [cidr = "", pp] = key.split(" ");
  if (pp === undefined) return { setId, cidr };
  const [protocol, port] = pp.split("/").map(Number);
  return { setId, cidr, port: port as number, protocol: protocol as number };
}
