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
 */
import { SL_NAT_FE_AFFINITY, SL_NAT_FE_ETP_LOCAL, SL_NAT_FE_EXTERNAL, SL_NAT_FE_ITP_LOCAL, SL_NAT_FE_SRC_RANGES } from "../datapath/abi/abi.ts";
import { endpointSliceServiceName, ipFamilyOf } from "../model/index.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { categorizeEndpoints } from "./categorize-endpoints.ts";
import { IpProtocol } from "./ip-protocol.ts";
import { namespaceOf } from "./namespace-of.ts";
import { frontendKeyId, backendKeyId, sourceRangeKeyId } from "./nat-state.ts";
import type { NatBackendEntry, NatFrontendEntry, NatFrontendKey, NatSourceRangeEntry, NatState } from "./nat-state.ts";
import { serviceEndpoints } from "./service-endpoints.ts";
import type { EndpointInfo } from "./service-endpoints.ts";
import { serviceFrontends } from "./service-frontends.ts";
import type { ServiceIdSource } from "./service-id-allocator.ts";

/** NatInput is everything the NAT state of one node depends on. */
export interface NatInput {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** This node's name, compared with endpoint.nodeName to find local endpoints. */
  readonly nodeName: string;
  /** This node's addresses, NodePort frontends besides the wildcard (IPv6 ones are ignored). */
  readonly nodeAddresses: readonly string[];
}

/** NatProblem is something in the input that was not (fully) programmed, and why. */
export interface NatProblem {
  /** "namespace/name" of the Service. */
  readonly service: string;
  readonly reason: string;
}

/** HealthCheckService is a Service whose healthCheckNodePort the proxy must answer (kube-proxy's rule). */
export interface HealthCheckService {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  /** Ready endpoints on this node, summed over the Service's ports as kube-proxy counts them. */
  readonly localEndpoints: number;
}

/** NatDesired is the desired NAT state plus what the rest of the proxy needs from the same pass. */
export interface NatDesired extends NatState {
  /** Id key ("namespace/name:port/PROTO", plus "#local" for a local view) → svc_id. */
  readonly serviceIds: ReadonlyMap<string, number>;
  readonly healthChecks: readonly HealthCheckService[];
  readonly problems: readonly NatProblem[];
}

/** computeNatState computes the desired NAT state; `ids` supplies stable service ids. */
export function computeNatState(input: NatInput, ids: ServiceIdSource): NatDesired {
  const frontends = new Map<string, NatFrontendEntry>();
  const backends = new Map<string, NatBackendEntry>();
  const sourceRanges = new Map<string, NatSourceRangeEntry>();
  const serviceIds = new Map<string, number>();
  const healthChecks: HealthCheckService[] = [];
  const problems: NatProblem[] = [];
  const slicesByService = groupSlices(input.endpointSlices);
  // Sorted so that a frontend claimed by two Services goes to the same one every time.
  const services = [...input.services].sort((a, b) => compareText(serviceName(a), serviceName(b)));
  for (const svc of services) {
    const name = serviceName(svc);
    const report = (reason: string): void => void problems.push({ service: name, reason });
    const skip = skipReason(svc);
    if (skip === null) continue;
    if (skip !== undefined) {
      report(skip);
      continue;
    }
    let localReady = 0;
    for (const port of svc.spec.ports) {
      const portKey = `${name}:${port.name ?? ""}/${port.protocol}`;
      const eps = serviceEndpoints(slicesByService.get(name) ?? [], port, input.nodeName);
      eps.problems.forEach(report);
      const cat = categorizeEndpoints(eps.endpoints);
      localReady += cat.localReady;
      const fes = serviceFrontends(svc, port, input.nodeAddresses);
      fes.problems.forEach(report);
      const proto = IpProtocol[port.protocol];
      const free = fes.frontends.filter((f) => {
        const taken = frontends.get(frontendKeyId({ addr: f.addr, port: f.port, proto }));
        if (taken !== undefined) report(`frontend "${f.addr}:${f.port}/${port.protocol}" is already used by "${taken.servicePort ?? "?"}"`);
        return taken === undefined;
      });
      const policy = trafficPolicy(svc, fes.frontends.some((f) => f.external));
      const main = orderLocalFirst(cat.cluster);
      const mainLocal = main.filter((ep) => ep.local);
      // The local view is needed only when Local traffic must not use the cluster list's prefix.
      const split = !sameEndpoints(mainLocal, cat.local);
      const usesLocal = (external: boolean): boolean => (external ? policy.etpLocal : policy.itpLocal);
      const keysOf = (local: boolean): NatFrontendKey[] =>
        free.filter((f) => (split && usesLocal(f.external)) === local).map((f) => ({ addr: f.addr, port: f.port, proto }));
      const views = [
        { local: false, list: main, localCount: mainLocal.length, idKey: portKey },
        { local: true, list: orderLocalFirst(cat.local), localCount: cat.local.length, idKey: `${portKey}#local` },
      ];
      for (const view of views) {
        const keys = keysOf(view.local);
        if (keys.length === 0) continue;
        const svcId = ids.idFor(view.idKey, keys);
        serviceIds.set(view.idKey, svcId);
        view.list.forEach((ep, index) => backends.set(backendKeyId({ svcId, index }), { key: { svcId, index }, value: { addr: ep.addr, port: ep.port } }));
        for (const key of keys) {
          const f = free.find((x) => x.addr === key.addr && x.port === key.port);
          const external = f?.external ?? false;
          const flags = (external ? SL_NAT_FE_EXTERNAL | (policy.etpLocal ? SL_NAT_FE_ETP_LOCAL : 0) : policy.itpLocal ? SL_NAT_FE_ITP_LOCAL : 0)
            | policy.affinityFlag | (f?.restricted === true ? SL_NAT_FE_SRC_RANGES : 0);
          const value = { svcId, count: view.list.length, localCount: view.localCount, flags, affinityTimeoutS: policy.affinityTimeoutS };
          frontends.set(frontendKeyId(key), { key, value, servicePort: portKey });
          if (f?.restricted !== true) continue;
          for (const cidr of fes.sourceRanges) sourceRanges.set(sourceRangeKeyId({ svcId, cidr }), { key: { svcId, cidr }, servicePort: portKey });
        }
      }
    }
    const hc = svc.spec.healthCheckNodePort;
    if (svc.spec.type === "LoadBalancer" && svc.spec.externalTrafficPolicy === "Local" && hc !== undefined && hc > 0) {
      healthChecks.push({ namespace: namespaceOf(svc), name: svc.metadata.name, port: hc, localEndpoints: localReady });
    }
  }
  return { frontends, backends, sourceRanges, serviceIds, healthChecks, problems };
}

/** serviceName is "namespace/name". */
function serviceName(svc: Service): string {
  return `${namespaceOf(svc)}/${svc.metadata.name}`;
}

/** skipReason: null = skip silently (kube-proxy ignores these), a string = skip and report. */
function skipReason(svc: Service): string | null | undefined {
  if (svc.spec.type === "ExternalName") return null;
  const primary = svc.spec.clusterIPs?.[0] ?? svc.spec.clusterIP;
  if (primary === "None") return null;
  if (primary === undefined || primary === "") return "no cluster IP allocated yet";
  const v4 = (svc.spec.clusterIPs ?? [primary]).filter((ip) => ipFamilyOf(ip) === "IPv4");
  if (v4.length === 0) return `IPv6 services are not supported yet: cluster IP "${primary}" skipped`;
  return undefined;
}

interface TrafficPolicy {
  readonly etpLocal: boolean;
  readonly itpLocal: boolean;
  readonly affinityFlag: number;
  readonly affinityTimeoutS: number;
}

function trafficPolicy(svc: Service, externallyAccessible: boolean): TrafficPolicy {
  const affinity = svc.spec.sessionAffinity === "ClientIP";
  return {
    // kube-proxy: externalTrafficPolicy only means something for a Service reachable from outside.
    etpLocal: externallyAccessible && svc.spec.externalTrafficPolicy === "Local",
    itpLocal: svc.spec.internalTrafficPolicy === "Local",
    affinityFlag: affinity ? SL_NAT_FE_AFFINITY : 0,
    affinityTimeoutS: affinity ? (svc.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : 0,
  };
}

function groupSlices(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const svc = endpointSliceServiceName(slice);
    if (svc === undefined) continue;
    const key = `${namespaceOf(slice)}/${svc}`;
    const list = out.get(key) ?? [];
    list.push(slice);
    out.set(key, list);
  }
  return out;
}

/** orderLocalFirst puts node-local endpoints first, each group sorted by address then port, so equal input gives equal indices. */
function orderLocalFirst(eps: readonly EndpointInfo[]): EndpointInfo[] {
  return [...eps].sort((a, b) => Number(b.local) - Number(a.local) || ipv4Order(a.addr) - ipv4Order(b.addr) || a.port - b.port);
}

function sameEndpoints(a: readonly EndpointInfo[], b: readonly EndpointInfo[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map((ep) => `${ep.addr}:${ep.port}`));
  return b.every((ep) => ids.has(`${ep.addr}:${ep.port}`));
}

function ipv4Order(addr: string): number {
  return addr.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
