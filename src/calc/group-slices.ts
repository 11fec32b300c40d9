/**
 * groupSlices groups EndpointSlices by the Service they belong to, "namespace/service", in
 * input order (the order that decides backend order); unlabelled slices go under "namespace/",
 * which no Service is called, so they count as serving (ServingIndex) but feed no Service. Pure.
 */
import { endpointSliceServiceName } from "../model/index.ts";
import type { EndpointSlice } from "../model/index.ts";
import { namespaceOf } from "./namespace-of.ts";

/** sliceGroupOf is the group key of one slice (the agent's ClusterCache indexes by the same key). */
export function sliceGroupOf(slice: EndpointSlice): string {
  return `${namespaceOf(slice)}/${endpointSliceServiceName(slice) ?? ""}`;
}

/** groupSlices returns every slice under its group key. */
export function groupSlices(slices: readonly EndpointSlice[]): Map<string, EndpointSlice[]> {
  const out = new Map<string, EndpointSlice[]>();
  for (const slice of slices) {
    const key = sliceGroupOf(slice);
    const list = out.get(key);
    if (list === undefined) out.set(key, [slice]);
    else list.push(slice);
  }
  return out;
}
