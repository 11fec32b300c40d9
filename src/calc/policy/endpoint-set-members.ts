/**
 * endpointSetMembers: the member keys one endpoint contributes to one IP set, given its
 * effective labels. Shared by the incremental index and the from-scratch computation so the two
 * cannot disagree on meaning.
 *
 * DNS names (kind dnsName) belong only to the DNS kinds of set: a `domains` set when their name
 * matches one of its patterns, an `egressDomains` set when it matches the allowedEgressDomains of
 * a network set the selector picks (`egressDomains`, computed by the caller). They never match a
 * plain selector: `all()` does not mean "everything DNS ever answered".
 */
import type { DomainMatcher } from "../../model/domain-pattern.ts";
import {
  evaluateSelectorNode,
  type LabelMap,
  type SelectorNode,
} from "../../model/selector/selector-node.ts";
import { memberKey, type EndpointInput, type IpSetSpec } from "./ip-set-types.ts";

/** endpointSetMembers lists member keys (empty when the endpoint is not in the set). */
export function endpointSetMembers(
  e: EndpointInput,
  labels: LabelMap,
  spec: IpSetSpec,
  root: SelectorNode,
  domains?: DomainMatcher,
): string[] {
  if (e.kind === "dnsName") {
    const name = e.domainName;
    if (name === undefined || domains === undefined) return [];
    if (spec.domains === undefined && spec.egressDomains !== true) return [];
    return domains.matches(name) ? [...e.cidrs] : [];
  }
  if (spec.domains !== undefined) return [];
  if (!evaluateSelectorNode(root, labels)) return [];
  const np = spec.namedPort;
  if (np === undefined) return [...e.cidrs];
  const ports = e.namedPorts.filter((p) => p.name === np.name && p.protocol === np.protocol);
  return e.cidrs.flatMap((c) => ports.map((p) => memberKey(c, p.port, p.protocol)));
}
