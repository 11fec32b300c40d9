/**
 * The Kubernetes resources a real cluster would hold for the lab's nodes and pods, as kubelet
 * and a CNI plugin would write them. Pure: plan in, plain objects out (serialised to YAML by
 * writeDatastore).
 */
import { INTERFACE_ANNOTATION, NETNS_ANNOTATION } from "../src/model/sluice-annotations.ts";
import type { LabPlan, PlannedNode, PlannedPod } from "./plan.ts";

/** LAB_LABEL marks every resource the lab writes with the lab's name. */
export const LAB_LABEL = "sluice.dev/lab";
/** The pod annotations the agent reads (src/model/sluice-annotations.ts), re-exported for lab code. */
export { INTERFACE_ANNOTATION, NETNS_ANNOTATION };

/** NodeResource is the subset of core/v1 Node the lab writes. */
export interface NodeResource {
  readonly apiVersion: "v1";
  readonly kind: "Node";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
  readonly spec: { readonly podCIDR: string; readonly podCIDRs: string[] };
  readonly status: { readonly addresses: { readonly type: string; readonly address: string }[] };
}

/** PodResource is the subset of core/v1 Pod the lab writes. */
export interface PodResource {
  readonly apiVersion: "v1";
  readonly kind: "Pod";
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, string>;
  };
  readonly spec: { readonly nodeName: string; readonly containers: { readonly name: string; readonly image: string }[] };
  readonly status: {
    readonly phase: "Running";
    readonly hostIP: string;
    readonly podIP: string;
    readonly podIPs: { readonly ip: string }[];
  };
}

/** nodeResource is the Node object for one planned node. */
export function nodeResource(plan: LabPlan, node: PlannedNode): NodeResource {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: node.name,
      labels: { "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", [LAB_LABEL]: plan.name },
    },
    spec: { podCIDR: node.podCidr, podCIDRs: [node.podCidr] },
    status: {
      addresses: [
        { type: "InternalIP", address: node.ip },
        { type: "Hostname", address: node.name },
      ],
    },
  };
}

/** podResource is the Pod object for one planned pod, already Running with its IP. */
export function podResource(plan: LabPlan, pod: PlannedPod): PodResource {
  const node = plan.nodes.find((n) => n.name === pod.node);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      labels: { ...pod.labels },
      annotations: { [INTERFACE_ANNOTATION]: pod.hostIface, [NETNS_ANNOTATION]: pod.netns, [LAB_LABEL]: plan.name },
    },
    spec: { nodeName: pod.node, containers: [{ name: "main", image: "sluice-lab/netns" }] },
    status: { phase: "Running", hostIP: node?.ip ?? "", podIP: pod.ip, podIPs: [{ ip: pod.ip }] },
  };
}

/** nodeFileName is the datastore file of a node (flat directory, one resource per file). */
export function nodeFileName(node: string): string {
  return `node-${node}.yaml`;
}

/** podFileName is the datastore file of a pod. */
export function podFileName(pod: PlannedPod): string {
  return `pod-${pod.namespace}-${pod.name}.yaml`;
}
