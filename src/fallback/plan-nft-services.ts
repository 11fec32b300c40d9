/**
 * planNftServices reads a NatState — the same desired state the eBPF datapath's maps are written
 * from — as kube-proxy's nftables mode would lay it out: which verdict each frontend gets in the
 * services maps, and which service, external, endpoint and firewall chains those verdicts need.
 *
 * The NatState's conventions carry over unchanged: a frontend's backends are `svcId` slots
 * [0, count), the node-local ones first, so a Local policy (ETP for external frontends, ITP for
 * internal ones) means slots [0, localCount). A frontend with nothing to choose from is answered
 * like kube-proxy does: reject when the Service has no endpoints at all, drop when it only has
 * no local ones. Pure.
 */
import {
  SL_NAT_FE_AFFINITY,
  SL_NAT_FE_ETP_LOCAL,
  SL_NAT_FE_EXTERNAL,
  SL_NAT_FE_ITP_LOCAL,
  SL_NAT_FE_SRC_RANGES,
} from "../datapath/abi/abi.ts";
import { NODEPORT_WILDCARD } from "../calc/service-frontends.ts";
import { backendKeyId } from "../calc/nat-state.ts";
import type { NatBackendValue, NatFrontendEntry, NatState } from "../calc/nat-state.ts";
import { ipv4ToNumber } from "../model/ipv4.ts";

/** NftProto is a Service protocol as nft names it. */
export type NftProto = "tcp" | "udp" | "sctp";

const PROTO_NAMES: Readonly<Record<number, NftProto>> = { 6: "tcp", 17: "udp", 132: "sctp" } as const;

/** NftFrontend is one frontend and the verdict the services (or no-endpoint) maps give it. */
export interface NftFrontend {
  /** Destination address; undefined for the NodePort wildcard (every local address). */
  readonly addr: string | undefined;
  readonly proto: NftProto;
  readonly port: number;
  /** "goto <chain>" for a frontend with endpoints, "goto reject-chain" or "drop" for one without. */
  readonly verdict: string;
  readonly hasEndpoints: boolean;
  /** "goto firewall-<svcId>" when loadBalancerSourceRanges restrict this frontend. */
  readonly firewall: string | undefined;
}

/** NftServiceChain picks one of `endpoints` (slots [0, endpoints) of `svcId`). */
export interface NftServiceChain {
  readonly name: string;
  readonly svcId: number;
  readonly endpoints: number;
  readonly servicePort: string;
}

/** NftExternalChain masquerades external traffic as kube-proxy does, then continues to a service chain. */
export interface NftExternalChain {
  readonly name: string;
  /** Local policy: only traffic from the node itself is masqueraded (and may use every endpoint). */
  readonly local: boolean;
  /** Service chain for every endpoint (ETP Cluster, or node-originated traffic under Local). */
  readonly clusterChain: string;
  /** Service chain for the node's own endpoints (ETP Local). */
  readonly localChain: string;
}

/** NftEndpoint is one backend slot: DNAT target and (with ClientIP affinity) its affinity set. */
export interface NftEndpoint {
  readonly name: string;
  readonly proto: NftProto;
  readonly backend: NatBackendValue;
  /** Affinity timeout in seconds; 0 = no session affinity. */
  readonly affinityTimeoutS: number;
}

/** NftFirewall admits `cidrs` and drops the rest (loadBalancerSourceRanges). */
export interface NftFirewall {
  readonly name: string;
  readonly cidrs: readonly string[];
}

/** NftServicesPlan is everything the ruleset is written from, in a stable order. */
export interface NftServicesPlan {
  readonly frontends: readonly NftFrontend[];
  readonly serviceChains: readonly NftServiceChain[];
  readonly externalChains: readonly NftExternalChain[];
  readonly endpoints: ReadonlyMap<number, readonly NftEndpoint[]>;
  readonly firewalls: readonly NftFirewall[];
}

/** endpointChainName names the chain of backend slot `index` of `svcId`. */
export function endpointChainName(svcId: number, index: number): string {
  return `ep-${svcId}-${index}`;
}

/** planNftServices lays out `state` as nftables chains and map verdicts. */
export function planNftServices(state: NatState): NftServicesPlan {
  const entries = [...state.frontends.values()].sort(compareFrontends);
  const frontends: NftFrontend[] = [];
  const serviceChains = new Map<string, NftServiceChain>();
  const externalChains = new Map<string, NftExternalChain>();
  const endpoints = new Map<number, NftEndpoint[]>();
  const firewalls = new Map<number, NftFirewall>();
  for (const fe of entries) {
    const proto = PROTO_NAMES[fe.key.proto];
    if (proto === undefined) continue; // computeNatState only emits TCP, UDP and SCTP
    const v = fe.value;
    const external = (v.flags & SL_NAT_FE_EXTERNAL) !== 0;
    const localPolicy = (v.flags & (external ? SL_NAT_FE_ETP_LOCAL : SL_NAT_FE_ITP_LOCAL)) !== 0;
    const usable = localPolicy ? v.localCount : v.count;
    const servicePort = fe.servicePort ?? `svc ${v.svcId}`;
    const addr = fe.key.addr === NODEPORT_WILDCARD ? undefined : fe.key.addr;
    let firewall: string | undefined;
    if ((v.flags & SL_NAT_FE_SRC_RANGES) !== 0) {
      firewall = `firewall-${v.svcId}`;
      if (!firewalls.has(v.svcId)) firewalls.set(v.svcId, { name: firewall, cidrs: cidrsOf(state, v.svcId) });
    }
    if (usable === 0) {
      // kube-proxy: no endpoints at all → reject; endpoints only elsewhere under a Local policy → drop.
      frontends.push({
        addr,
        proto,
        port: fe.key.port,
        verdict: v.count === 0 ? "goto reject-chain" : "drop",
        hasEndpoints: false,
        firewall,
      });
      continue;
    }
    if (!endpoints.has(v.svcId))
      endpoints.set(
        v.svcId,
        endpointsOf(
          state,
          v.svcId,
          v.count,
          proto,
          (v.flags & SL_NAT_FE_AFFINITY) !== 0 ? v.affinityTimeoutS : 0,
        ),
      );
    const chainFor = (n: number): string => {
      const name = n === v.count ? `svc-${v.svcId}` : `svc-${v.svcId}-local`;
      if (!serviceChains.has(name))
        serviceChains.set(name, { name, svcId: v.svcId, endpoints: n, servicePort });
      return name;
    };
    let target = chainFor(usable);
    if (external) {
      const ext = {
        name: localPolicy ? `ext-${v.svcId}-local` : `ext-${v.svcId}`,
        local: localPolicy,
        clusterChain: chainFor(v.count),
        localChain: target,
      };
      externalChains.set(ext.name, ext);
      target = ext.name;
    }
    frontends.push({
      addr,
      proto,
      port: fe.key.port,
      verdict: `goto ${target}`,
      hasEndpoints: true,
      firewall,
    });
  }
  return {
    frontends,
    serviceChains: [...serviceChains.values()].sort(
      (a, b) => a.svcId - b.svcId || compareText(a.name, b.name),
    ),
    externalChains: [...externalChains.values()].sort((a, b) => compareText(a.name, b.name)),
    endpoints,
    firewalls: [...firewalls.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f),
  };
}

function endpointsOf(
  state: NatState,
  svcId: number,
  count: number,
  proto: NftProto,
  affinityTimeoutS: number,
): NftEndpoint[] {
  const out: NftEndpoint[] = [];
  for (let index = 0; index < count; index++) {
    const be = state.backends.get(backendKeyId({ svcId, index }));
    // A missing slot cannot happen for a computed state; a hole would shift every later choice.
    if (be === undefined)
      throw new RangeError(`plan nft services: backend slot ${index} of service id ${svcId} is missing`);
    out.push({ name: endpointChainName(svcId, index), proto, backend: be.value, affinityTimeoutS });
  }
  return out;
}

function cidrsOf(state: NatState, svcId: number): string[] {
  return [...state.sourceRanges.values()]
    .filter((r) => r.key.svcId === svcId)
    .map((r) => r.key.cidr)
    .sort(compareText);
}

function compareFrontends(a: NatFrontendEntry, b: NatFrontendEntry): number {
  return (
    a.value.svcId - b.value.svcId ||
    ipv4ToNumber(a.key.addr) - ipv4ToNumber(b.key.addr) ||
    a.key.proto - b.key.proto ||
    a.key.port - b.key.port
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
