/**
 * servingEndpoints lists every IPv4 endpoint the EndpointSlices still call serving (ready, or
 * terminating but serving: draining), as "addr:port/proto" ids — the backends whose established
 * flows must keep their conntrack entries although new flows may no longer pick them (kube-proxy
 * leaves conntrack alone for a draining endpoint). An endpoint that is gone from every slice, or
 * no longer serving, is not listed: its flows are cleaned up. Pure.
 */
import { IpProtocol } from "./ip-protocol.ts";
import type { EndpointSlice } from "../model/index.ts";

/** servingEndpointId is the id servingEndpoints uses for one backend. */
export function servingEndpointId(addr: string, port: number, proto: number): string {
  return `${addr}:${port}/${proto}`;
}

/** servingEndpoints returns the ids of every serving endpoint in `slices`. */
export function servingEndpoints(slices: readonly EndpointSlice[]): Set<string> {
  const out = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    for (const ep of slice.endpoints) {
      const addr = ep.addresses[0];
      const serving = ep.conditions.serving ?? ep.conditions.ready ?? true;
      if (addr === undefined || !serving) continue;
      for (const p of slice.ports) {
        if (p.port === undefined) continue;
        out.add(servingEndpointId(addr, p.port, IpProtocol[p.protocol ?? "TCP"]));
      }
    }
  }
  return out;
}
