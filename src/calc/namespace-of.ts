/**
 * namespaceOf reads metadata.namespace of a namespaced resource. The model always sets it
 * (defaulting to "default") but types metadata as a union with the cluster-scoped shape.
 */
export function namespaceOf(obj: { readonly metadata: object }): string {
  const ns = (obj.metadata as { namespace?: unknown }).namespace;
  return typeof ns === "string" ? ns : "default";
}
