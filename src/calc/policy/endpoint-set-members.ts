/**
 * endpointSetMembers: the member keys one endpoint contributes to one IP set, given its
 * effective labels. Shared by the incremental index and the from-scratch computation so the two
 * cannot disagree on meaning.
 */
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
): string[] {
  if (!evaluateSelectorNode(root, labels)) return [];
  const np = spec.namedPort;
  if (np === undefined) return [...e.cidrs];
  const ports = e.namedPorts.filter((p) => p.name === np.name && p.protocol === np.protocol);
  return e.cidrs.flatMap((c) => ports.map((p) => memberKey(c, p.port, p.protocol)));
}
