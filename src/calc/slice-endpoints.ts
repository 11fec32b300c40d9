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
