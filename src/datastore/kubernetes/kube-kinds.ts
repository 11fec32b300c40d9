/**
 * KUBE_KINDS: every kind the `kubernetes` datastore lists and watches, with the REST path parts
 * the API server serves it under. Kinds the model does not know yet (the Calico policy kinds)
 * are watched too, so they flow as soon as the model learns them; until then the datastore
 * ignores them with one debug line per kind. Pure.
 */
import type { ResourceKey } from "../../model/resource-key.ts";

/** KubeKind is one watched kind. `group` is "" for the core group. */
export interface KubeKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

function k(group: string, version: string, kind: string, plural: string, namespaced: boolean): KubeKind {
  return { group, version, kind, plural, namespaced };
}

/** KUBE_KINDS lists the watched kinds. */
export const KUBE_KINDS: readonly KubeKind[] = [
  k("", "v1", "Service", "services", true),
  k("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true),
  k("", "v1", "Pod", "pods", true),
  k("", "v1", "Node", "nodes", false),
  k("", "v1", "Namespace", "namespaces", false),
  k("", "v1", "ConfigMap", "configmaps", true),
  k("apps", "v1", "DaemonSet", "daemonsets", true),
  k("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
  k("projectcalico.org", "v3", "FelixConfiguration", "felixconfigurations", false),
  k("projectcalico.org", "v3", "Tier", "tiers", false),
  k("projectcalico.org", "v3", "GlobalNetworkPolicy", "globalnetworkpolicies", false),
  k("projectcalico.org", "v3", "NetworkPolicy", "networkpolicies", true),
  k("projectcalico.org", "v3", "NetworkSet", "networksets", true),
  k("projectcalico.org", "v3", "GlobalNetworkSet", "globalnetworksets", false),
  k("projectcalico.org", "v3", "HostEndpoint", "hostendpoints", false),
  k("projectcalico.org", "v3", "IPPool", "ippools", false),
  k("operator.tigera.io", "v1", "Installation", "installations", false),
];

/** apiVersionOf is `v1` or `group/version`. */
export function apiVersionOf(kind: KubeKind): string {
  return kind.group === "" ? kind.version : `${kind.group}/${kind.version}`;
}

/** kubeKindOf finds the watched kind for a key, or undefined. */
export function kubeKindOf(key: Pick<ResourceKey, "group" | "kind">): KubeKind | undefined {
  return KUBE_KINDS.find((x) => x.group === key.group && x.kind === key.kind);
}

/** collectionPath is where a kind's objects are listed: `/api/v1/services`, `/apis/g/v/namespaces/ns/plural`. */
export function collectionPath(kind: KubeKind, namespace?: string): string {
  const base = kind.group === "" ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return kind.namespaced && namespace !== undefined
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`
    : `${base}/${kind.plural}`;
}

/** objectPath is one object's path. */
export function objectPath(kind: KubeKind, key: ResourceKey): string {
  return `${collectionPath(kind, kind.namespaced ? (key.namespace ?? "default") : undefined)}/${encodeURIComponent(key.name)}`;
}
