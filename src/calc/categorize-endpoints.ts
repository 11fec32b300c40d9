/**
 * categorizeEndpoints applies kube-proxy's endpoint selection (pkg/proxy/topology.go
 * CategorizeEndpoints, with ProxyTerminatingEndpoints, GA since 1.28):
 *
 * - cluster endpoints: the ready ones; if none is ready anywhere, the serving+terminating ones.
 * - local endpoints: the ready ones on this node; if none, the serving+terminating ones on this
 *   node — even when ready endpoints exist on other nodes (that is the point: a node behind an
 *   externalTrafficPolicy Local load balancer keeps serving while its pods drain).
 * - hasAny: some endpoint anywhere is ready or serving+terminating; false means "reject", while
 *   true with no local endpoint under a Local policy means "drop".
 *
 * Non-serving terminating endpoints are never used, even as a last resort.
 */
import type { EndpointInfo } from "./service-endpoints.ts";

/** EndpointCategories are the endpoint sets one Service port routes to. */
export interface EndpointCategories {
  readonly cluster: readonly EndpointInfo[];
  readonly local: readonly EndpointInfo[];
  readonly hasAny: boolean;
  /** How many local endpoints are ready: what the healthCheckNodePort reports. */
  readonly localReady: number;
}

/** categorizeEndpoints splits `endpoints` into the cluster and node-local sets kube-proxy would use. */
export function categorizeEndpoints(endpoints: readonly EndpointInfo[]): EndpointCategories {
  const usable = (ep: EndpointInfo): boolean => ep.serving && ep.terminating;
  const ready = endpoints.filter((ep) => ep.ready);
  const cluster = ready.length > 0 ? ready : endpoints.filter(usable);
  const localReady = ready.filter((ep) => ep.local);
  const local = localReady.length > 0 ? localReady : endpoints.filter((ep) => ep.local && usable(ep));
  return { cluster, local, hasAny: cluster.length > 0, localReady: localReady.length };
}
