/** Policy calculation (pure): endpoint labels, selector scoping, normalised policies, IP sets, ordering. Re-exports only. */
export {
  endpointLabels,
  LABEL_NAMESPACE,
  LABEL_NAME,
  LABEL_ORCHESTRATOR,
  LABEL_SERVICE_ACCOUNT,
  METADATA_NAME_LABEL,
  NAMESPACE_PREFIX,
  namespaceLabels,
  SERVICE_ACCOUNT_PREFIX,
  type EndpointIdentity,
} from "./endpoint-labels.ts";
export {
  dnsNameInput,
  dnsNameKey,
  hostEndpointInput,
  networkSetInput,
  podEndpoint,
  podEndpointKey,
} from "./endpoint-inputs.ts";
export {
  ipSetKey,
  memberKey,
  type EndpointInput,
  type EndpointKind,
  type IpSetDelta,
  type IpSetMember,
  type IpSetSpec,
  type NamedPort,
} from "./ip-set-types.ts";
export { k8sSelectorNode, k8sSelectorText } from "./k8s-selector.ts";
export { LabelIndex, type LabelIndexOptions } from "./label-index.ts";
export { normalizeCalicoPolicy } from "./normalize-calico-policy.ts";
export { KNP_ORDER, normalizeK8sPolicy } from "./normalize-k8s-policy.ts";
export {
  mergePolicyDeltas,
  PolicyCalculator,
  policyOfResource,
  type EndpointPolicies,
  type PolicyDelta,
} from "./policy-calculator.ts";
export { policyIpSets, ruleSideSets, type SideSets } from "./policy-ip-sets.ts";
export {
  compareTiers,
  comparePolicies,
  DEFAULT_TIER_INFO,
  orderPolicies,
  policySortName,
  tierInfo,
  type TierInfo,
  type TierPolicies,
} from "./policy-order.ts";
export {
  entitySelector,
  policySelector,
  type EntitySelectorInput,
  type PolicySelectorInput,
  type SelectorScope,
} from "./policy-selectors.ts";
export {
  EMPTY_ENTITY,
  PROTOCOL_NUMBERS,
  protocolNumber,
  type EntityMatch,
  type IcmpMatch,
  type PolicyKind,
  type PolicySpec,
  type PortMatch,
  type RuleAction,
  type RuleSpec,
} from "./policy-spec.ts";
export { SetIdAllocator } from "./set-id-allocator.ts";
