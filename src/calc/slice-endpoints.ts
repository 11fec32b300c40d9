/**
 * sliceEndpoints lists every endpoint of every EndpointSlice as "addr:port", whatever its
 * conditions: a terminating (draining) endpoint is still a Service's backend for the flows it
 * has, so the conntrack sweeper must not treat them as stale. Pure.
 */
import type { EndpointSlice } from "../model/index.ts";

/** sliceEndpoints returns the set of "addr:port" of all endpoints × ports of `slices`. */
export function sliceEndpoints(slices: Iterable<EndpointSlice>): Set<string> {
  const out = new Set<string>();
  for (const s of slices) {
    for (const ep of s.endpoints) {
      for (const addr of ep.addresses)
        for (const p of s.ports) if (p.port !== undefined) out.add(`${addr}:${p.port}`);
    }
  }
  return out;
}

/** SliceSource is the slice of a resource cache sliceEndpointsCached reads. */
export interface SliceSource {
  /** Grows whenever an EndpointSlice is added, changed or deleted. */
  generationOf(kind: "EndpointSlice"): number;
  list(kind: "EndpointSlice"): readonly EndpointSlice[];
}

/**
 * sliceEndpointsCached returns a function giving sliceEndpoints of the source's slices, recomputed
 * only when their generation moved: the conntrack sweeper asks every 10 s, and at 10k Services ×
 * 10 endpoints a recompute builds 100k strings while, on an idle cluster, nothing changed.
 */
export function sliceEndpointsCached(source: SliceSource): () => ReadonlySet<string> {
  let generation: number | undefined;
  let endpoints: ReadonlySet<string> = new Set();
  return () => {
    const now = source.generationOf("EndpointSlice");
    if (now !== generation) {
      endpoints = sliceEndpoints(source.list("EndpointSlice"));
      generation = now;
    }
    return endpoints;
  };
}
