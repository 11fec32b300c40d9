/**
 * ResourceKey: a resource's identity — API group, kind, namespace (namespaced kinds only), name.
 * Two manifests with the same key are the same resource, whatever file they live in.
 */

/** ResourceKey identifies one resource. The version is not part of identity, as in Kubernetes. */
export interface ResourceKey {
  readonly group: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/**
 * resourceKeyId is a stable string for maps: "projectcalico.org/FelixConfiguration//default".
 * Joined, not a template literal: the agent keeps one per resource in several maps, and V8 keeps
 * a template's result as a tree of concatenated pieces (~190 bytes here), a join as one flat
 * string (~70).
 */
export function resourceKeyId(key: ResourceKey): string {
  return [key.group, key.kind, key.namespace ?? "", key.name].join("/");
}

/** formatResourceKey names a resource for people: "Service default/web", "FelixConfiguration default". */
export function formatResourceKey(key: ResourceKey): string {
  return key.namespace === undefined ? `${key.kind} ${key.name}` : `${key.kind} ${key.namespace}/${key.name}`;
}
