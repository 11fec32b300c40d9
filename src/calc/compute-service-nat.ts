/**
 * computeServiceNat: the NAT entries of ONE Service — the per-Service half of computeNatState
 * (see compute-nat-state.ts for the semantics). What it returns depends only on the Service, its
 * EndpointSlices, the node's name and addresses, the ids handed out, and which of its frontends
 * earlier Services (in name order) already claim; that is what lets NatCache reuse it.
 */
import {
  SL_NAT_FE_AFFINITY,
  SL_NAT_FE_ETP_LOCAL,
  SL_NAT_FE_EXTERNAL,
  SL_NAT_FE_ITP_LOCAL,
  SL_NAT_FE_SRC_RANGES,
} from "../datapath/abi/abi.ts";
import { ipFamilyOf } from "../model/index.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { categorizeEndpoints } from "./categorize-endpoints.ts";
import { IpProtocol } from "./ip-protocol.ts";
import type { HealthCheckService, NatProblem } from "./nat-input.ts";
import { namespaceOf } from "./namespace-of.ts";
import { NatBackendList } from "./nat-backend-list.ts";
import { frontendKeyId } from "./nat-state.ts";
import type { NatFrontendEntry, NatFrontendKey, NatSourceRangeEntry } from "./nat-state.ts";
import { orderLocalFirst, sameEndpoints } from "./endpoint-order.ts";
import { serviceEndpoints } from "./service-endpoints.ts";
import type { EndpointInfo } from "./service-endpoints.ts";
import { serviceFrontends } from "./service-frontends.ts";
import type { ServiceIdSource } from "./service-id-allocator.ts";

/** NONE is every empty list of a result (frozen: results are never changed after they are made). */
const NONE: readonly never[] = Object.freeze([]);

/** ServiceNatView is one backend list of a Service port: its id key, the frontends given to idFor, and the id. */
export interface ServiceNatView {
  readonly idKey: string;
  readonly keys: readonly NatFrontendKey[];
  readonly svcId: number;
}

/** ServiceNat is one Service's share of the desired NAT state, entries in computeNatState's insertion order. */
export interface ServiceNat {
  /** "namespace/name". */
  readonly name: string;
  readonly frontends: readonly NatFrontendEntry[];
  /** Packed (kept for every Service): each view's list fills slots [0, n) of its svc_id. */
  readonly backends: NatBackendList;
  readonly sourceRanges: readonly NatSourceRangeEntry[];
  readonly views: readonly ServiceNatView[];
  readonly healthCheck: HealthCheckService | undefined;
  readonly problems: readonly NatProblem[];
  /** Every frontend key id the Service asks for, before earlier Services' claims are taken out. */
  readonly wanted: readonly string[];
}

/** ServiceNatContext is what computeServiceNat needs besides the Service and its slices. */
export interface ServiceNatContext {
  readonly nodeName: string;
  readonly nodeAddresses: readonly string[];
  readonly ids: ServiceIdSource;
  /** claimedBy names the Service port of an earlier Service that holds frontend `keyId`, if any. */
  readonly claimedBy: (keyId: string) => string | undefined;
}

/** serviceName is "namespace/name". */
export function serviceName(svc: Service): string {
  // Joined, not a template: the name is kept (the result, NatCache's and the reconciler's keys),
  // and a template's result is a cons string that keeps its pieces and a flat copy once hashed.
  return [namespaceOf(svc), "/", svc.metadata.name].join("");
}

/**
 * computeServiceNat computes the entries of `svc`; `slices` are all of its EndpointSlices.
 * `name` is serviceName(svc), when the caller has it: the result keeps the caller's string (one
 * per Service for the result and the caches' keys, not two) and it is not joined again.
 */
export function computeServiceNat(
  svc: Service,
  slices: readonly EndpointSlice[],
  ctx: ServiceNatContext,
  name: string = serviceName(svc),
): ServiceNat {
  const frontends = new Map<string, NatFrontendEntry>();
  const backendIds: number[] = [];
  const backendLists: (readonly EndpointInfo[])[] = [];
  const sourceRanges: NatSourceRangeEntry[] = [];
  const views: ServiceNatView[] = [];
  const problems: NatProblem[] = [];
  const wanted: string[] = [];
  const report = (reason: string): void => void problems.push({ service: name, reason });
  // Results are kept (NatCache, the applied state) for every Service: empty lists are one shared
  // array, pushed lists are copied to their length (push leaves spare slots: 17 for one item)
  // and the backends are packed.
  const done = (healthCheck?: HealthCheckService): ServiceNat => ({
    name,
    frontends: frontends.size === 0 ? NONE : [...frontends.values()],
    backends: NatBackendList.ofViews(backendIds, backendLists),
    sourceRanges: sourceRanges.length === 0 ? NONE : sourceRanges.slice(),
    views: views.length === 0 ? NONE : views.slice(),
    healthCheck,
    problems: problems.length === 0 ? NONE : problems.slice(),
    wanted: wanted.length === 0 ? NONE : wanted.slice(),
  });
  const skip = skipReason(svc);
  if (skip === null) return done();
  if (skip !== undefined) {
    report(skip);
    return done();
  }
  let localReady = 0;
  for (const port of svc.spec.ports) {
    // Joined, not a template: kept per Service, and a template's result is a tree of cons strings.
    const portKey = [name, ":", port.name ?? "", "/", port.protocol].join("");
    const eps = serviceEndpoints(slices, port, ctx.nodeName);
    eps.problems.forEach(report);
    const cat = categorizeEndpoints(eps.endpoints);
    localReady += cat.localReady;
    const fes = serviceFrontends(svc, port, ctx.nodeAddresses);
    fes.problems.forEach(report);
    const proto = IpProtocol[port.protocol];
    const free = fes.frontends.filter((f) => {
      const id = frontendKeyId({ addr: f.addr, port: f.port, proto });
      wanted.push(id);
      // This Service's own earlier ports first, as one shared map would find them.
      const taken = frontends.get(id)?.servicePort ?? ctx.claimedBy(id);
      if (taken !== undefined)
        report(`frontend "${f.addr}:${f.port}/${port.protocol}" is already used by "${taken}"`);
      return taken === undefined;
    });
    const policy = trafficPolicy(
      svc,
      fes.frontends.some((f) => f.external),
    );
    const main = orderLocalFirst(cat.cluster);
    const mainLocal = main.filter((ep) => ep.local);
    // The local view is needed only when Local traffic must not use the cluster list's prefix.
    const split = !sameEndpoints(mainLocal, cat.local);
    const usesLocal = (external: boolean): boolean => (external ? policy.etpLocal : policy.itpLocal);
    const keysOf = (local: boolean): NatFrontendKey[] =>
      free
        .filter((f) => (split && usesLocal(f.external)) === local)
        .map((f) => ({ addr: f.addr, port: f.port, proto }));
    const portViews = [
      { local: false, list: main, localCount: mainLocal.length, idKey: portKey },
      {
        local: true,
        list: cat.local, // ordered below, only when the view has frontends (split and Local)
        localCount: cat.local.length,
        idKey: "", // joined below, only when the view has frontends (most ports have no local view)
      },
    ];
    for (const view of portViews) {
      const keys = keysOf(view.local);
      if (keys.length === 0) continue;
      if (view.local) {
        view.list = orderLocalFirst(view.list);
        view.idKey = [portKey, "#local"].join("");
      }
      const svcId = ctx.ids.idFor(view.idKey, keys);
      views.push({ idKey: view.idKey, keys, svcId });
      backendIds.push(svcId);
      backendLists.push(view.list);
      for (const key of keys) {
        const f = free.find((x) => x.addr === key.addr && x.port === key.port);
        const external = f?.external ?? false;
        const flags =
          (external
            ? SL_NAT_FE_EXTERNAL | (policy.etpLocal ? SL_NAT_FE_ETP_LOCAL : 0)
            : policy.itpLocal
              ? SL_NAT_FE_ITP_LOCAL
              : 0) |
          policy.affinityFlag |
          (f?.restricted === true ? SL_NAT_FE_SRC_RANGES : 0);
        const value = {
          svcId,
          count: view.list.length,
          localCount: view.localCount,
          flags,
          affinityTimeoutS: policy.affinityTimeoutS,
        };
        frontends.set(frontendKeyId(key), { key, value, servicePort: portKey });
        if (f?.restricted !== true) continue;
        for (const cidr of fes.sourceRanges)
          sourceRanges.push({ key: { svcId, cidr }, servicePort: portKey });
      }
    }
  }
  const hc = svc.spec.healthCheckNodePort;
  if (
    svc.spec.type === "LoadBalancer" &&
    svc.spec.externalTrafficPolicy === "Local" &&
    hc !== undefined &&
    hc > 0
  ) {
    return done({
      namespace: namespaceOf(svc),
      name: svc.metadata.name,
      port: hc,
      localEndpoints: localReady,
    });
  }
  return done();
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
