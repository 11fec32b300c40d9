/**
 * sameContent: what a manifest says equals what a backend stores, ignoring metadata the server
 * owns (uid, resourceVersion, timestamps, generation) — how `apply` tells "unchanged" from
 * "configured" without writing. Pure.
 */
import type { Resource } from "../model/resource.ts";
import { stableJson } from "./stable-json.ts";

/** sameContent compares two resources on everything but server-owned metadata. */
export function sameContent(a: Resource, b: Resource): boolean {
  const own = (r: Resource): unknown => {
    const { name, namespace, labels, annotations } = r.metadata;
    return { ...r, metadata: { name, namespace, labels, annotations } };
  };
  return stableJson(own(a)) === stableJson(own(b));
}
