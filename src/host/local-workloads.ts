/**
 * localWorkloads finds this node's pods in the host namespace: the host-side interface (the
 * Pod's `sluice.dev/interface` annotation, else the interface its /32 route points at — the
 * Calico CNI convention), which must carry a workload prefix (`cali`, or the lab's `sl`), and the
 * two MACs the datapath writes when it delivers straight into the pod. A pod whose interface or
 * MAC is not known yet is reported as pending and retried on the next sync.
 */
import type { Link } from "../netlink/links.ts";
import type { Pod } from "../model/pod.ts";
import { podIps } from "../model/pod.ts";
import type { WorkloadInterface } from "../calc/compute-routes.ts";
import type { HostView } from "./host-view.ts";
import { INTERFACE_ANNOTATION } from "../model/sluice-annotations.ts";

/** ResolvedWorkload is a local pod with its address and host-side interface. */
export interface ResolvedWorkload extends WorkloadInterface {
  readonly ip: string;
  readonly pod: string;
  readonly iface: string;
}

/** WorkloadScan is the result: resolved workloads and why the others are pending. */
export interface WorkloadScan {
  readonly workloads: readonly ResolvedWorkload[];
  readonly pending: readonly { readonly pod: string; readonly reason: string }[];
}

/** PodMacLookup asks for the MAC of a pod's interface the node cannot see (e.g. by entering the pod's namespace). */
export type PodMacLookup = (pod: Pod, hostLink: Link) => string | undefined;

/** hasWorkloadPrefix tells whether an interface name is a workload interface. */
export function hasWorkloadPrefix(name: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => name.startsWith(p));
}

/** localWorkloads resolves the pods of `nodeName`. */
export function localWorkloads(
  pods: readonly Pod[],
  nodeName: string,
  host: HostView,
  prefixes: readonly string[],
  macOf: PodMacLookup,
): WorkloadScan {
  const byName = new Map(host.links.map((l) => [l.name, l]));
  const byIndex = new Map(host.links.map((l) => [l.index, l]));
  const workloads: ResolvedWorkload[] = [];
  const pending: { pod: string; reason: string }[] = [];
  for (const pod of pods) {
    if (pod.spec.nodeName !== nodeName || pod.spec.hostNetwork === true) continue;
    const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ip = podIps(pod).find((a) => a.includes("."));
    if (ip === undefined) continue; // no address yet: nothing to route
    const annotated = pod.metadata.annotations?.[INTERFACE_ANNOTATION];
    const routed = host.hostRoutes.get(ip);
    const link =
      (annotated !== undefined ? byName.get(annotated) : undefined) ??
      (routed !== undefined ? byIndex.get(routed) : undefined);
    if (link === undefined) {
      pending.push({
        pod: id,
        reason: `no interface for ${ip} (annotation ${annotated ?? "none"}, no /32 route)`,
      });
      continue;
    }
    if (!hasWorkloadPrefix(link.name, prefixes)) {
      pending.push({
        pod: id,
        reason: `interface "${link.name}" lacks a workload prefix (${prefixes.join(",")})`,
      });
      continue;
    }
    const mac = host.neighbours.get(`${link.index}/${ip}`) ?? macOf(pod, link);
    if (link.mac === undefined || mac === undefined) {
      pending.push({ pod: id, reason: `MAC of ${ip} on "${link.name}" not known yet` });
      continue;
    }
    workloads.push({ pod: id, iface: link.name, ip, ifindex: link.index, mac, hostMac: link.mac });
  }
  return { workloads, pending };
}
