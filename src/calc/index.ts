/** Pure per-node desired state: services → NAT, nodes/pods → routes, cleanup selection. Re-exports only. */
export { admitServices, type Admission, type NatCapacity, type NotProgrammed } from "./admit-services.ts";
export { categorizeEndpoints, type EndpointCategories } from "./categorize-endpoints.ts";
export {
  computeNatState,
  natDesiredOf,
  type HealthCheckService,
  type NatDesired,
  type NatInput,
  type NatProblem,
} from "./compute-nat-state.ts";
export {
  computeServiceNat,
  type ServiceNat,
  type ServiceNatContext,
  type ServiceNatView,
} from "./compute-service-nat.ts";
export { computeServiceNats } from "./compute-service-nats.ts";
export {
  computeRoutes,
  type DesiredRoutes,
  type RouteInput,
  type RouteProblem,
  type WorkloadInterface,
} from "./compute-routes.ts";
export { NatCache, type NatCacheEntry } from "./nat-cache.ts";
export { NatBackendList } from "./nat-backend-list.ts";
export { IpProtocol, protocolName, type IpProtocolName } from "./ip-protocol.ts";
export { backendAt, backendKeyId, frontendKeyId, natStateOf, sourceRangeKeyId } from "./nat-state.ts";
export type {
  BackendSlots,
  NatBackendEntry,
  NatBackendKey,
  NatBackendValue,
  NatFrontendEntry,
  NatFrontendKey,
  NatFrontendValue,
  NatSourceRangeEntry,
  NatSourceRangeKey,
  NatState,
} from "./nat-state.ts";
export { frontendBackends, removedBackends, type RemovedBackend } from "./removed-backends.ts";
export {
  selectConntrackCleanup,
  conntrackEndpointsOf,
  type CtEndpoint,
  type CtEntryView,
  type CtKey,
} from "./select-conntrack-cleanup.ts";
export { selectStaleAffinity, type AffinityEntryView, type AffinityKey } from "./select-stale-affinity.ts";
export { serviceSourceRanges, type ServiceSourceRanges } from "./service-source-ranges.ts";
export { servingEndpointId, servingEndpoints } from "./serving-endpoints.ts";
export type { ServingEndpointId } from "./serving-endpoints.ts";
export { ServingIndex } from "./serving-index.ts";
export { groupSlices, sliceGroupOf } from "./group-slices.ts";
export { serviceEndpoints, type EndpointInfo, type ServiceEndpoints } from "./service-endpoints.ts";
export {
  NODEPORT_WILDCARD,
  serviceClusterIps,
  serviceFrontends,
  serviceLoadBalancerIps,
  type FrontendAddr,
  type ServiceFrontends,
} from "./service-frontends.ts";
export {
  ServiceIdAllocator,
  type ServiceIdAllocatorOptions,
  type ServiceIdSource,
} from "./service-id-allocator.ts";
