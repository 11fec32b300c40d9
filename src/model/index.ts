/**
 * The resource model: typed, validated Kubernetes, Calico and operator resources. Pure.
 */
export type { Resource, ResourceOfKind } from "./resource.ts";
export { formatResourceKey, resourceKeyId, type ResourceKey } from "./resource-key.ts";
export { kindForManifest, kindNames, resolveKind, RESOURCE_KINDS, type KindInfo } from "./resource-kinds.ts";
export { manifestKey, validateResource, type ValidationResult } from "./validate-resource.ts";
export {
  defaultNodePortRange,
  parsePortRange,
  type PortRange,
  type ValidationOptions,
} from "./validation-options.ts";
export { serviceSchema, type Service, type ServicePort } from "./service.ts";
export {
  endpointSliceSchema,
  endpointSliceServiceName,
  SERVICE_NAME_LABEL,
  type Endpoint,
  type EndpointSlice,
} from "./endpoint-slice.ts";
export { endpointAddress, PackedEndpoint, plainResource } from "./packed-endpoint.ts";
export { nodeInternalIps, nodeSchema, type Node } from "./node.ts";
export { podIps, podSchema, type Pod } from "./pod.ts";
export { namespaceSchema, type Namespace } from "./namespace.ts";
export { configMapSchema, SERVICES_ENDPOINT_CONFIG_MAP, type ConfigMap } from "./config-map.ts";
export { daemonSetSchema, type DaemonSet } from "./daemon-set.ts";
export {
  felixConfigurationSchema,
  type FelixConfiguration,
  type FelixConfigurationSpec,
} from "./felix-configuration.ts";
export {
  effectiveFelixConfiguration,
  FELIX_DEFAULTS,
  type FelixValues,
  type ProtoPort,
} from "./felix-configuration-values.ts";
export { bpfDataplaneEnabled, installationSchema, type Installation } from "./installation.ts";
export { cidrFamilyOf, cidrProblem, ipFamilyOf, type IpFamily } from "./ip-address.ts";
export {
  calicoNetworkPolicySchema,
  DEFAULT_TIER,
  globalNetworkPolicySchema,
  KNP_PREFIX,
  type CalicoNetworkPolicy,
  type GlobalNetworkPolicy,
} from "./calico-policy.ts";
export { calicoRule, entityRule, type CalicoRule, type EntityRule } from "./calico-rule.ts";
export {
  networkPolicySchema,
  type NetworkPolicy,
  type NetworkPolicyPeer,
  type NetworkPolicyPort,
} from "./network-policy.ts";
export { labelSelector, type LabelSelector } from "./label-selector.ts";
export {
  globalNetworkSetSchema,
  networkSetSchema,
  type GlobalNetworkSet,
  type NetworkSet,
} from "./network-set.ts";
export { hostEndpointSchema, type HostEndpoint } from "./host-endpoint.ts";
export { DEFAULT_TIER_ORDER, tierSchema, type Tier } from "./tier.ts";
export {
  CALICO_PROTOCOL_NAMES,
  type CalicoPort,
  type CalicoProtocol,
  type PolicyType,
} from "./policy-fields.ts";
export { cidrContains } from "./cidr-contains.ts";
