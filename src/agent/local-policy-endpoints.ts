/**
 * localPolicyEndpoints: which of this node's interfaces are policy endpoints, and as what — a
 * local pod's host-side veth (hooks ingress and egress) or a host interface a HostEndpoint of this
 * node names (SL_POL_EP_F_HOST, every host-endpoint hook the tc datapath runs). Pure: the caller
 * passes the wired workloads and the host interfaces it attaches.
 *
 * Two HostEndpoints on one interface: Calico lets one endpoint own an interface; an endpoint that
 * names the interface wins over `interfaceName: "*"` and expectedIPs, then the first by name;
 * the others are reported.
 */
import { SL_POL_EP_F_HOST } from "../datapath/abi/abi.ts";
import { podEndpointKey } from "../calc/policy/endpoint-inputs.ts";
import { hostEndpointIfindexes, type HostIface } from "../host/host-endpoint-ifaces.ts";
import type { HostEndpoint } from "../model/host-endpoint.ts";
import type { PolicyHook } from "../policy/rule-ids.ts";

/** LocalPolicyEndpoint is one interface that may carry policy programs. */
export interface LocalPolicyEndpoint {
  /** The PolicyCalculator's endpoint key ("pod/ns/name", "hep/name"). */
  readonly key: string;
  readonly ifindex: number;
  /** For logs and dumps: "ns/pod" or "hep name on eth0". */
  readonly name: string;
  readonly flags: number;
  readonly hooks: readonly PolicyHook[];
}

export const POD_HOOKS: readonly PolicyHook[] = ["ingress", "egress"];

/**
 * HOST_ENDPOINT_HOOKS are the hooks programmed for a host endpoint: untrackedIngress (doNotTrack)
 * runs in XDP from its own prog array (sl_pol_jump_xdp; the agent attaches xdp_hep where it is
 * installed), untrackedEgress in to_hep before conntrack, the rest in from_hep / to_hep.
 */
export const HOST_ENDPOINT_HOOKS: readonly PolicyHook[] = [
  "ingress",
  "egress",
  "preDnatIngress",
  "forwardIngress",
  "forwardEgress",
  "untrackedIngress",
  "untrackedEgress",
];

/** LocalEndpointsInput is this node's view. */
export interface LocalEndpointsInput {
  readonly nodeName: string;
  /** Wired pods: "ns/name" and the host-side veth's ifindex. */
  readonly workloads: readonly { readonly pod: string; readonly iface: string; readonly ifindex: number }[];
  readonly hostEndpoints: readonly HostEndpoint[];
  readonly hostIfaces: readonly HostIface[];
}

/** LocalEndpoints is the result: endpoints by ifindex, and the host endpoints that lost an interface to another. */
export interface LocalEndpoints {
  readonly byIfindex: ReadonlyMap<number, LocalPolicyEndpoint>;
  readonly conflicts: readonly string[];
}

/** localPolicyEndpoints lists this node's endpoints. */
export function localPolicyEndpoints(input: LocalEndpointsInput): LocalEndpoints {
  const byIfindex = new Map<number, LocalPolicyEndpoint>();
  for (const w of input.workloads) {
    const [ns = "", name = ""] = w.pod.split("/");
    byIfindex.set(w.ifindex, {
      key: podEndpointKey(ns, name),
      ifindex: w.ifindex,
      name: w.pod,
      flags: 0,
      hooks: POD_HOOKS,
    });
  }
  const ifaceName = new Map(input.hostIfaces.map((i) => [i.index, i.name]));
  const rank = (h: HostEndpoint): number =>
    h.spec.interfaceName !== undefined && h.spec.interfaceName !== "*" ? 0 : 1;
  const heps = [...input.hostEndpoints].sort(
    (a, b) => rank(a) - rank(b) || a.metadata.name.localeCompare(b.metadata.name),
  );
  const owner = new Map<number, string>();
  const conflicts: string[] = [];
  for (const hep of heps) {
    for (const ifindex of hostEndpointIfindexes(hep, input.nodeName, input.hostIfaces)) {
      const taken = owner.get(ifindex);
      const iface = ifaceName.get(ifindex) ?? String(ifindex);
      if (taken !== undefined) {
        conflicts.push(`HostEndpoint ${hep.metadata.name}: interface ${iface} belongs to ${taken}`);
        continue;
      }
      if (byIfindex.has(ifindex)) continue; // a pod veth is never a host endpoint
      owner.set(ifindex, hep.metadata.name);
      byIfindex.set(ifindex, {
        key: `hep/${hep.metadata.name}`,
        ifindex,
        name: `${hep.metadata.name} on ${iface}`,
        flags: SL_POL_EP_F_HOST,
        hooks: HOST_ENDPOINT_HOOKS,
      });
    }
  }
  return { byIfindex, conflicts };
}
