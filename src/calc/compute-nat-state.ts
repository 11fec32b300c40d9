/**
 * computeNatState: Services + EndpointSlices → the desired sl_nat_fe / sl_nat_be / sl_nat_src
 * contents for one node, with kube-proxy's semantics (see categorize-endpoints.ts for endpoint
 * choice, service-source-ranges.ts for loadBalancerSourceRanges).
 *
 * Each Service port gets one backend list: its cluster endpoints, node-local ones first, so
 * [0, local_count) serves traffic policy Local and [0, count) serves Cluster. The one case that
 * layout cannot express — the node's only endpoints are terminating while ready ones exist
 * elsewhere, so Local and Cluster traffic want disjoint sets — gets a second list ("local view",
 * its own id) for the frontends under a Local policy. A Service port without endpoints keeps its
 * frontends with count 0, which the datapath answers with a reject, as kube-proxy does.
 *
 * An LB IP restricted by loadBalancerSourceRanges carries SL_NAT_FE_SRC_RANGES, and the CIDRs
 * it admits are sl_nat_src entries under its svc_id — shared with the port's ClusterIP and
 * NodePort frontends, which do not carry the flag and so stay open.
 *
 * The work is done per Service (compute-service-nat.ts); with a NatCache, unchanged Services are
 * not recomputed (compute-service-nats.ts) and the result is the same as without one.
 */
import type { ServiceNat } from "./compute-service-nat.ts";
import { computeServiceNats } from "./compute-service-nats.ts";
import type { NatCache } from "./nat-cache.ts";
import type { HealthCheckService, NatInput, NatProblem } from "./nat-input.ts";
import { backendKeyId, frontendKeyId, sourceRangeKeyId } from "./nat-state.ts";
import type { NatBackendEntry, NatFrontendEntry, NatSourceRangeEntry, NatState } from "./nat-state.ts";
import type { ServiceIdSource } from "./service-id-allocator.ts";

export type { HealthCheckService, NatInput, NatProblem } from "./nat-input.ts";

/** NatDesired is the desired NAT state plus what the rest of the proxy needs from the same pass. */
export interface NatDesired extends NatState {
  /** Id key ("namespace/name:port/PROTO", plus "#local" for a local view) → svc_id. */
  readonly serviceIds: ReadonlyMap<string, number>;
  readonly healthChecks: readonly HealthCheckService[];
  readonly problems: readonly NatProblem[];
}

/** computeNatState computes the desired NAT state; `ids` supplies stable service ids, `cache` (optional) spares unchanged Services. */
export function computeNatState(input: NatInput, ids: ServiceIdSource, cache?: NatCache): NatDesired {
  return natDesiredOf(computeServiceNats(input, ids, cache));
}

/** natDesiredOf merges per-Service results (in name order) into one NatDesired. */
export function natDesiredOf(results: readonly ServiceNat[]): NatDesired {
  const frontends = new Map<string, NatFrontendEntry>();
  const backends = new Map<string, NatBackendEntry>();
  const sourceRanges = new Map<string, NatSourceRangeEntry>();
  const serviceIds = new Map<string, number>();
  const healthChecks: HealthCheckService[] = [];
  const problems: NatProblem[] = [];
  for (const r of results) {
    for (const v of r.views) serviceIds.set(v.idKey, v.svcId);
    for (const be of r.backends) backends.set(backendKeyId(be.key), be);
    for (const fe of r.frontends) frontends.set(frontendKeyId(fe.key), fe);
    for (const sr of r.sourceRanges) sourceRanges.set(sourceRangeKeyId(sr.key), sr);
    if (r.healthCheck !== undefined) healthChecks.push(r.healthCheck);
    problems.push(...r.problems);
  }
  return { frontends, backends, sourceRanges, serviceIds, healthChecks, problems };
}
