/**
 * planLab turns a LabSpec into every name and address the lab will create, before anything is
 * created. Pure: the same spec always gives the same plan, so it is unit-tested without root and
 * `up` can report a bad spec before touching the kernel.
 */
import { ValidationError } from "../src/errors/validation-error.ts";
import { cidrSize, formatCidr, formatIpv4, parseCidr, subnet } from "./ipv4-cidr.ts";
import type { Ipv4Cidr } from "./ipv4-cidr.ts";
import { clientNetns, hostIfaceName, nodeName, nodeNetns, podNetns, underlayNetns } from "./lab-names.ts";
import { resolveLabSpec } from "./lab-spec.ts";
import type { LabPodSpec, LabSpec, ResolvedLabSpec } from "./lab-spec.ts";
import { labelProblem } from "./pod-flags.ts";
import type { PodPort } from "./pod-flags.ts";
import { validateLabSpec } from "./validate-lab-spec.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** POD_GATEWAY is the link-local next hop every pod routes through; the host veth answers ARP for it (proxy ARP), as in Calico. */
export const POD_GATEWAY = "169.254.1.1";

/** PlannedNode is one node namespace with its underlay address, pod CIDR and bpffs pin root. */
export interface PlannedNode {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  readonly ip: string;
  readonly podCidr: string;
  /** Name of the node's veth end inside the underlay namespace. */
  readonly underlayPort: string;
  readonly bpffsDir: string;
}

/** PlannedPod is one pod namespace: Kubernetes identity, address, and host-side veth. */
export interface PlannedPod {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  /** Slot on its node (1-based); the address is the slot's host number + 1 in the node's pod CIDR. */
  readonly slot: number;
  readonly netns: string;
  readonly ip: string;
  readonly hostIface: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Container ports (absent in state files written before ports existed). */
  readonly ports?: readonly PodPort[];
}

/** LabPlan is everything `up` creates, by name and address. */
export interface LabPlan {
  readonly name: string;
  readonly spec: ResolvedLabSpec;
  readonly underlay: {
    readonly netns: string;
    readonly bridge: string;
    readonly cidr: string;
    readonly prefix: number;
    readonly gateway: string;
  };
  readonly nodes: readonly PlannedNode[];
  readonly pods: readonly PlannedPod[];
  readonly client: { readonly netns: string; readonly ip: string; readonly underlayPort: string };
  readonly serviceCidr: string;
  readonly podGateway: string;
  readonly stateFile: string;
  /** Per-lab directory for logs (and the default datastore). */
  readonly runDir: string;
  readonly logDir: string;
  readonly datastoreDir: string;
  readonly bpffsRoot: string;
}

/** planLab validates a spec and computes the plan; throws ValidationError naming the bad field. */
export function planLab(input: LabSpec = {}): LabPlan {
  const spec = resolveLabSpec(input);
  const problems = validateLabSpec(spec);
  if (problems.length > 0) throw problems[0]!;
  const a = spec.addresses;
  const underlay = parseCidr(a.underlayCidr);
  const pool = parseCidr(a.podPool);
  const nodes: PlannedNode[] = [];
  for (let i = 1; i <= spec.nodes; i++) {
    const name = nodeName(i);
    nodes.push({
      name,
      index: i,
      netns: nodeNetns(spec.name, i),
      ip: formatIpv4(underlay.base + a.nodeHostOffset + i),
      podCidr: formatCidr(subnet(pool, a.podBlockPrefix, i)),
      underlayPort: name,
      bpffsDir: `${spec.bpffsRoot}/${name}`,
    });
  }
  const runDir = `${spec.stateDir}/lab-${spec.name}`;
  const plan: LabPlan = {
    name: spec.name,
    spec,
    underlay: {
      netns: underlayNetns(spec.name),
      bridge: "br0",
      cidr: a.underlayCidr,
      prefix: underlay.prefix,
      gateway: formatIpv4(underlay.base + a.gatewayHost),
    },
    nodes,
    pods: [],
    client: {
      netns: clientNetns(spec.name),
      ip: formatIpv4(underlay.base + a.clientHost),
      underlayPort: "client",
    },
    serviceCidr: a.serviceCidr,
    podGateway: POD_GATEWAY,
    stateFile: `${spec.stateDir}/lab-${spec.name}.json`,
    runDir,
    logDir: `${runDir}/logs`,
    datastoreDir: spec.datastoreDir,
    bpffsRoot: spec.bpffsRoot,
  };
  const pods: PlannedPod[] = [];
  for (const node of nodes) {
    for (let k = 0; k < spec.podsPerNode; k++) pods.push(planPod(plan, pods, { node: node.name }));
  }
  for (const p of spec.pods) pods.push(planPod(plan, pods, p));
  return { ...plan, pods };
}

/**
 * planPod places one more pod on a node: the lowest free slot, its address and names. `existing`
 * are the pods already placed (in this plan or a running lab). Throws ValidationError when the
 * node is unknown, the name is taken, or the node's pod CIDR is full.
 */
export function planPod(plan: LabPlan, existing: readonly PlannedPod[], pod: LabPodSpec): PlannedPod {
  const node = plan.nodes.find((n) => n.name === pod.node);
  if (!node) {
    throw new ValidationError(
      "lab pod",
      "node",
      `no node "${pod.node}" (have ${plan.nodes.map((n) => `"${n.name}"`).join(", ")})`,
    );
  }
  const block = parseCidr(node.podCidr);
  const used = new Set(existing.filter((p) => p.node === node.name).map((p) => p.slot));
  let slot = 1;
  while (used.has(slot)) slot++;
  if (slot > maxPodsPerBlock(block)) {
    throw new ValidationError(
      "lab pod",
      "node",
      `pod CIDR "${node.podCidr}" of node "${node.name}" is full (${maxPodsPerBlock(block)} pods)`,
    );
  }
  const name = pod.name ?? `${node.name}-pod-${slot}`;
  const namespace = pod.namespace ?? "default";
  if (!DNS_LABEL.test(name)) {
    throw new ValidationError(
      "lab pod",
      "name",
      `"${name}" is not a DNS label (lowercase letters, digits, "-", at most 63)`,
    );
  }
  if (!DNS_LABEL.test(namespace)) {
    throw new ValidationError(
      "lab pod",
      "namespace",
      `"${namespace}" is not a DNS label (lowercase letters, digits, "-", at most 63)`,
    );
  }
  if (existing.some((p) => p.name === name && p.namespace === namespace)) {
    throw new ValidationError("lab pod", "name", `pod "${name}" already exists in namespace "${namespace}"`);
  }
  for (const [k, v] of Object.entries(pod.labels ?? {})) {
    const problem = labelProblem(k, v);
    if (problem)
      throw new ValidationError(
        "lab pod",
        `labels.${k}`,
        `"${k}=${v}" is not a valid Kubernetes label: ${problem}`,
      );
  }
  const netns = podNetns(plan.name, node.index, slot);
  return {
    name,
    namespace,
    node: node.name,
    slot,
    netns,
    // Slot k takes host k+1: host 1 stays free (a Calico-style node would put its tunnel address there).
    ip: formatIpv4(block.base + slot + 1),
    hostIface: hostIfaceName(netns),
    labels: pod.labels ?? plan.spec.podLabels,
    ...(pod.ports !== undefined && pod.ports.length > 0 ? { ports: pod.ports } : {}),
  };
}

/** maxPodsPerBlock: every address but the network address, host 1 and the broadcast address. */
export function maxPodsPerBlock(block: Ipv4Cidr): number {
  return Math.max(0, cidrSize(block) - 3);
}
