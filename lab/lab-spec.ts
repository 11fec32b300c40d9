/**
 * LabSpec is what a caller asks for: how many nodes and pods, names, and the address plan.
 * Every field is optional; resolveLabSpec fills the defaults. Pure data.
 */
import type { PodPort } from "./pod-flags.ts";

/** LabAddressSpec is the lab's address plan. Defaults live in 198.18.0.0/15 (RFC 2544 benchmarking). */
export interface LabAddressSpec {
  /** Underlay network that joins node eth0s and the external client. */
  readonly underlayCidr: string;
  /** Host number of the underlay gateway (an address on the underlay bridge; it does not forward). */
  readonly gatewayHost: number;
  /** Node i (1-based) gets host number `nodeHostOffset + i` on the underlay. */
  readonly nodeHostOffset: number;
  /** Host number of the external client on the underlay. */
  readonly clientHost: number;
  /** Pool that per-node pod CIDRs are cut from; node i gets block #i. */
  readonly podPool: string;
  /** Prefix length of each node's pod CIDR. */
  readonly podBlockPrefix: number;
  /** Service ClusterIP range: reserved here so nothing else in the lab uses it. */
  readonly serviceCidr: string;
}

/** LabPodSpec asks for one pod on a node beyond the `podsPerNode` defaults. */
export interface LabPodSpec {
  /** Node name, e.g. "node-1". */
  readonly node: string;
  /** Kubernetes pod name; default `<node>-pod-<k>`. */
  readonly name?: string;
  /** Pod labels; default the spec's `podLabels`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Kubernetes namespace; default "default". Pod names are unique per namespace. */
  readonly namespace?: string;
  /** Named container ports written to the Pod's `spec.containers[0].ports`. */
  readonly ports?: readonly PodPort[];
}

/** LabSpec is the input to planLab and createLab. */
export interface LabSpec {
  /** Lab name; prefixes every namespace (`<name>-node-1`). Default "sl". */
  readonly name?: string;
  /** Number of nodes. Default 2. */
  readonly nodes?: number;
  /** Pods created on every node. Default 2. */
  readonly podsPerNode?: number;
  /** Labels of the `podsPerNode` pods. Default `{ app: "lab" }`. */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** Extra pods with their own names and labels. */
  readonly pods?: readonly LabPodSpec[];
  readonly addresses?: Partial<LabAddressSpec>;
  /** Directory of state files. Default /run/sluice. */
  readonly stateDir?: string;
  /** Datastore directory the lab writes Node and Pod YAML into. Default `<stateDir>/lab-<name>/datastore`. */
  readonly datastoreDir?: string;
  /** bpffs directory holding one pin root per node. Default `/sys/fs/bpf/sluice-lab-<name>`. */
  readonly bpffsRoot?: string;
}

/** ResolvedLabSpec is a LabSpec with every default filled in. */
export interface ResolvedLabSpec {
  readonly name: string;
  readonly nodes: number;
  readonly podsPerNode: number;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly pods: readonly LabPodSpec[];
  readonly addresses: LabAddressSpec;
  readonly stateDir: string;
  readonly datastoreDir: string;
  readonly bpffsRoot: string;
}

/** DEFAULT_LAB_ADDRESSES is the default plan: underlay 198.18.0.0/24, pods 198.19.<i>.0/24, services 198.18.128.0/20. */
export const DEFAULT_LAB_ADDRESSES = {
  underlayCidr: "198.18.0.0/24",
  gatewayHost: 1,
  nodeHostOffset: 10,
  clientHost: 200,
  podPool: "198.19.0.0/16",
  podBlockPrefix: 24,
  serviceCidr: "198.18.128.0/20",
} as const satisfies LabAddressSpec;

/** DEFAULT_LAB_NAME is the demo lab's name; tests use their own (`sl-t-...`). */
export const DEFAULT_LAB_NAME = "sl";

/** resolveLabSpec fills defaults. It does not validate; planLab does. */
export function resolveLabSpec(spec: LabSpec = {}): ResolvedLabSpec {
  const name = spec.name ?? DEFAULT_LAB_NAME;
  const stateDir = spec.stateDir ?? "/run/sluice";
  return {
    name,
    nodes: spec.nodes ?? 2,
    podsPerNode: spec.podsPerNode ?? 2,
    podLabels: spec.podLabels ?? { app: "lab" },
    pods: spec.pods ?? [],
    addresses: { ...DEFAULT_LAB_ADDRESSES, ...spec.addresses },
    stateDir,
    datastoreDir: spec.datastoreDir ?? `${stateDir}/lab-${name}/datastore`,
    bpffsRoot: spec.bpffsRoot ?? `/sys/fs/bpf/sluice-lab-${name}`,
  };
}
