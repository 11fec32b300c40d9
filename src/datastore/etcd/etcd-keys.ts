/**
 * The etcd datastore's key layout, Calico's for Calico kinds and the same shape for the rest:
 *
 *   <prefix>/resources/v3/projectcalico.org/<plural>/<name>               cluster-scoped Calico kinds
 *   <prefix>/resources/v3/projectcalico.org/<plural>/<namespace>/<name>   namespaced Calico kinds
 *   <prefix>/resources/v3/<group>/<plural>/[<namespace>/]<name>           other kinds; the core group is `core`
 *
 * e.g. /calico/resources/v3/projectcalico.org/felixconfigurations/default,
 * /calico/resources/v3/core/services/shop/web,
 * /calico/resources/v3/discovery.k8s.io/endpointslices/shop/web-abc12. The value is the
 * resource as JSON. Pure.
 */
import type { ResourceKey } from "../../model/resource-key.ts";
import { KUBE_KINDS, kubeKindOf, type KubeKind } from "../kubernetes/kube-kinds.ts";

/** resourcesRoot is where every resource lives under `prefix`. */
export function resourcesRoot(prefix: string): string {
  return `${prefix}/resources/v3/`;
}

/** kindRoot is where one kind's resources live. */
export function kindRoot(prefix: string, kind: KubeKind): string {
  return `${resourcesRoot(prefix)}${kind.group === "" ? "core" : kind.group}/${kind.plural}/`;
}

/** etcdKey is one resource's key. */
export function etcdKey(prefix: string, key: ResourceKey): string {
  const kind = kubeKindOf(key);
  if (kind === undefined)
    throw new Error(`map ${key.kind} to an etcd key: kind is not stored in the etcd datastore`);
  return `${kindRoot(prefix, kind)}${kind.namespaced ? `${key.namespace ?? "default"}/` : ""}${key.name}`;
}

/** parseEtcdKey finds the kind of a key under `prefix` and its namespace and name, or undefined for a key outside the layout. */
export function parseEtcdKey(
  prefix: string,
  key: string,
): { kind: KubeKind; namespace?: string; name: string } | undefined {
  for (const kind of KUBE_KINDS) {
    const root = kindRoot(prefix, kind);
    if (!key.startsWith(root)) continue;
    const parts = key.slice(root.length).split("/");
    if (kind.namespaced && parts.length === 2 && parts[0] !== "" && parts[1] !== "")
      return { kind, namespace: parts[0] ?? "", name: parts[1] ?? "" };
    if (!kind.namespaced && parts.length === 1 && parts[0] !== "") return { kind, name: parts[0] ?? "" };
  }
  return undefined;
}
