/**
 * The Kubernetes resources a real cluster would hold for the lab's nodes and pods, as kubelet
 * and a CNI plugin would write them. Pure: plan in, plain objects out (serialised to YAML by
 * writeDatastore).
 */
import { INTERFACE_ANNOTATION, NETNS_ANNOTATION } from "../src/model/sluice-annotations.ts";
import type { LabPlan, PlannedNode, PlannedPod } from "./plan.ts";
import type { PodPort } from "./pod-flags.ts";

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
  readonly spec: {
    readonly nodeName: string;
    readonly containers: { readonly name: string; readonly image: string; readonly ports?: PodPort[] }[];
  };
  readonly status: {
    readonly phase: "Running";
    readonly hostIP: string;
    readonly podIP: string;
    readonly podIPs: { readonly ip: string }[];
  };
}

/** NamespaceResource is the core/v1 Namespace the lab writes for every namespace its pods use. */
export interface NamespaceResource {
  readonly apiVersion: "v1";
  readonly kind: "Namespace";
  readonly metadata: { readonly name: string; readonly labels: Record<string, string> };
}

/** namespaceResource is a Namespace with the `kubernetes.io/metadata.name` label the API server always sets. */
export function namespaceResource(plan: LabPlan, name: string): NamespaceResource {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name, [LAB_LABEL]: plan.name } },
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
      annotations: {
        [INTERFACE_ANNOTATION]: pod.hostIface,
        [NETNS_ANNOTATION]: pod.netns,
        [LAB_LABEL]: plan.name,
      },
    },
    spec: {
      nodeName: pod.node,
      containers: [
        {
          name: "main",
          image: "sluice-lab/netns",
          ...(pod.ports && pod.ports.length > 0 ? { ports: pod.ports.map((x) => ({ ...x })) } : {}),
        },
      ],
    },
    status: { phase: "Running", hostIP: node?.ip ?? "", podIP: pod.ip, podIPs: [{ ip: pod.ip }] },
  };
}

/** nodeFileName is the datastore file of a node (flat directory, one resource per file). */
export function nodeFileName(node: string): string {
  return `node-${node}.yaml`;
}

/** namespaceFileName is the datastore file of a namespace. */
export function namespaceFileName(name: string): string {
  return `namespace-${name}.yaml`;
}

/** podFileName is the datastore file of a pod. */
export function podFileName(pod: PlannedPod): string {
  return `pod-${pod.namespace}-${pod.name}.yaml`;
}

/**
 * LAB_MAP_SIZES are the bpfMapSize* values every lab node runs with: smaller than Calico's
 * defaults (which the agent uses when none is set) so a lab of several nodes on one kernel stays
 * cheap — the sizes the object files carry (bpf/include/abi.h).
 */
export const LAB_MAP_SIZES = {
  bpfMapSizeNATFrontend: 16384,
  bpfMapSizeNATBackend: 65536,
  bpfMapSizeNATAffinity: 65536,
  bpfMapSizeRoute: 16384,
} as const;

/** nodeFelixConfiguration is the lab node's `node.<name>` FelixConfiguration: the lab's map sizes. */
export function nodeFelixConfiguration(node: PlannedNode): {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: typeof LAB_MAP_SIZES;
} {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "FelixConfiguration",
    metadata: { name: `node.${node.name}` },
    spec: { ...LAB_MAP_SIZES },
  };
}

/** nodeFelixConfigurationFileName is the datastore file of a node's FelixConfiguration. */
export function nodeFelixConfigurationFileName(node: string): string {
  return `felixconfiguration-node.${node}.yaml`;
}
