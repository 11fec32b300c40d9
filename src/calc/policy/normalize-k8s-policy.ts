/**
 * normalizeK8sPolicy: a Kubernetes NetworkPolicy as Calico enforces it — a policy named
 * `knp.default.<name>` in the default tier at order 1000, selecting the namespace's pods
 * (`projectcalico.org/orchestrator == "k8s"`, so network sets never match), with one Allow rule
 * per (peer × port) of each rule. A rule without peers allows every source; without ports,
 * every protocol and port. An ipBlock is `nets` with its `except` as `notNets`.
 */
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from "../../model/network-policy.ts";
import { formatSelectorNode, type SelectorNode } from "../../model/selector/selector-node.ts";
import { LABEL_ORCHESTRATOR } from "./endpoint-labels.ts";
import { k8sSelectorNode } from "./k8s-selector.ts";
import { entitySelector, policySelector } from "./policy-selectors.ts";
import {
  EMPTY_ENTITY,
  protocolNumber,
  type EntityMatch,
  type PolicySpec,
  type RuleSpec,
} from "./policy-spec.ts";

/** KNP_ORDER is the order Calico gives every Kubernetes NetworkPolicy. */
export const KNP_ORDER = 1000;

const podsOnly: SelectorNode = { kind: "value", op: "==", label: LABEL_ORCHESTRATOR, value: "k8s" };

function podSelectorText(sel: NetworkPolicyPeer["podSelector"]): string {
  const node = sel === undefined ? { kind: "all" as const } : k8sSelectorNode(sel);
  const parts = node.kind === "all" ? [podsOnly] : [node, podsOnly];
  return formatSelectorNode(
    parts.length === 1
      ? podsOnly
      : { kind: "and", operands: parts.flatMap((p) => (p.kind === "and" ? p.operands : [p])) },
  );
}

function peerMatch(
  peer: NetworkPolicyPeer | undefined,
  namespace: string,
): Pick<EntityMatch, "nets" | "notNets" | "selector"> {
  if (peer === undefined) return { nets: [], notNets: [] };
  if (peer.ipBlock !== undefined) return { nets: [peer.ipBlock.cidr], notNets: peer.ipBlock.except ?? [] };
  const selector = entitySelector(
    {
      selector: podSelectorText(peer.podSelector),
      ...(peer.namespaceSelector !== undefined
        ? { namespaceSelector: formatSelectorNode(k8sSelectorNode(peer.namespaceSelector)) }
        : {}),
    },
    { namespace },
  ) as string;
  return { nets: [], notNets: [], selector };
}

function portParts(
  port: NetworkPolicyPort | undefined,
): Pick<RuleSpec, "protocol"> & { ports: EntityMatch["ports"] } {
  if (port === undefined) return { ports: [] };
  const protocol = protocolNumber(port.protocol);
  if (port.port === undefined) return { protocol, ports: [] };
  if (typeof port.port === "string") return { protocol, ports: [{ name: port.port }] };
  return { protocol, ports: [{ min: port.port, max: port.endPort ?? port.port }] };
}

function rules(
  list: ReadonlyArray<{ peers?: NetworkPolicyPeer[] | undefined; ports?: NetworkPolicyPort[] | undefined }>,
  direction: "ingress" | "egress",
  namespace: string,
): RuleSpec[] {
  return list.flatMap((r) => {
    const peers: Array<NetworkPolicyPeer | undefined> =
      r.peers !== undefined && r.peers.length > 0 ? r.peers : [undefined];
    const ports: Array<NetworkPolicyPort | undefined> =
      r.ports !== undefined && r.ports.length > 0 ? r.ports : [undefined];
    return peers.flatMap((peer) =>
      ports.map((port): RuleSpec => {
        const { protocol, ports: destPorts } = portParts(port);
        const peerSide: EntityMatch = { ...EMPTY_ENTITY, ...peerMatch(peer, namespace) };
        const ownSide: EntityMatch = EMPTY_ENTITY;
        return {
          action: "Allow",
          ...(protocol !== undefined ? { protocol } : {}),
          source: direction === "ingress" ? peerSide : ownSide,
          destination: { ...(direction === "ingress" ? ownSide : peerSide), ports: destPorts },
        };
      }),
    );
  });
}

/** normalizeK8sPolicy converts a validated Kubernetes NetworkPolicy. */
export function normalizeK8sPolicy(p: NetworkPolicy): PolicySpec {
  const namespace = p.metadata.namespace as string;
  const types = p.spec.policyTypes;
  const ingress = types.includes("Ingress");
  const egress = types.includes("Egress");
  return {
    id: `knp/${namespace}/${p.metadata.name}`,
    kind: "KubernetesNetworkPolicy",
    name: `knp.default.${p.metadata.name}`,
    namespace,
    tier: "default",
    order: KNP_ORDER,
    selector: policySelector({ selector: podSelectorText(p.spec.podSelector) }, { namespace }),
    ingress: ingress
      ? rules(
          (p.spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
          "ingress",
          namespace,
        )
      : undefined,
    egress: egress
      ? rules(
          (p.spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
          "egress",
          namespace,
        )
      : undefined,
    appliesIngress: ingress,
    appliesEgress: egress,
    preDNAT: false,
    doNotTrack: false,
    applyOnForward: false,
  };
}
