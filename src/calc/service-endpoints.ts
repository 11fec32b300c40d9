/**
 * serviceEndpoints: the endpoints of one Service port, read from its EndpointSlices the way
 * kube-proxy's endpointslicecache does — match the slice port by name and protocol, take each
 * endpoint's first address, read absent conditions as ready/serving = true and terminating =
 * false, and collapse an address:port listed in several slices into one (preferring the copy on
 * this node, as kube-proxy does).
 */
import { endpointAddress, type EndpointSlice, type ServicePort } from "../model/index.ts";

/** EndpointInfo is one endpoint of a Service port with its kube-proxy conditions. */
export interface EndpointInfo {
  readonly addr: string;
  readonly port: number;
  /** On this node (endpoint.nodeName equals the node's name). */
  readonly local: boolean;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

/** ServiceEndpoints are the endpoints found and why slices (or endpoints) were passed over. */
export interface ServiceEndpoints {
  readonly endpoints: readonly EndpointInfo[];
  readonly problems: readonly string[];
}

/** serviceEndpoints collects the IPv4 endpoints of `port` from `slices` (all of one Service). */
export function serviceEndpoints(
  slices: readonly EndpointSlice[],
  port: ServicePort,
  nodeName: string,
): ServiceEndpoints {
  // address:port → its index in `endpoints`, by port number then address: the resource's own
  // address strings as keys, no "addr:port" string per endpoint (a full sync at 10k × 10 makes 100k).
  const indexOf = new Map<number, Map<string, number>>();
  const endpoints: EndpointInfo[] = [];
  const problems: string[] = [];
  const portName = port.name ?? "";
  // Slice order must not matter for the result: sort by name so duplicates resolve the same way.
  const ordered = [...slices].sort((a, b) =>
    a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
  );
  for (const slice of ordered) {
    // IPv6 and FQDN slices are another proxier's business (kube-proxy runs one per family).
    if (slice.addressType !== "IPv4") continue;
    const slicePort = slice.ports.find((p) => (p.name ?? "") === portName && p.protocol === port.protocol);
    if (slicePort === undefined) continue;
    // The slice's number is the resolved targetPort; a numeric targetPort stands in when a
    // hand-written slice leaves it out. A named one cannot be resolved without it.
    const number = slicePort.port ?? (typeof port.targetPort === "number" ? port.targetPort : undefined);
    if (number === undefined) {
      problems.push(
        `endpointslice "${slice.metadata.name}": port "${portName}" has no number and targetPort "${port.targetPort}" is named`,
      );
      continue;
    }
    let seenAt = indexOf.get(number);
    if (seenAt === undefined) indexOf.set(number, (seenAt = new Map()));
    for (const ep of slice.endpoints) {
      const addr = endpointAddress(ep);
      if (addr === undefined) continue;
      const info: EndpointInfo = {
        addr,
        port: number,
        local: ep.nodeName !== undefined && ep.nodeName === nodeName,
        ready: ep.conditions.ready ?? true,
        serving: ep.conditions.serving ?? true,
        terminating: ep.conditions.terminating ?? false,
      };
      // The first copy keeps its place; a copy on this node replaces one elsewhere.
      const at = seenAt.get(addr);
      if (at === undefined) {
        seenAt.set(addr, endpoints.length);
        endpoints.push(info);
      } else if (info.local && !endpoints[at]!.local) endpoints[at] = info;
    }
  }
  return { endpoints, problems };
}
