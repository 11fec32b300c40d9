/**
 * syntheticServices makes N ClusterIP Services × M endpoints with distinct, predictable
 * addresses in the benchmarking range 198.18.0.0/15 — the one description every layout
 * (Sluice's maps, kube-proxy's iptables, nftables) is generated from, so each side programs
 * exactly the same Services. Pure.
 */

/** SyntheticService is one single-port TCP ClusterIP (or NodePort) Service and its ready endpoints. */
export interface SyntheticService {
  readonly namespace: string;
  readonly name: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly targetPort: number;
  /** Endpoint addresses, all ready, in slice order. */
  readonly endpoints: readonly string[];
  /** Node name of every endpoint (only matters for Local traffic policy; kept for the manifests). */
  readonly nodeName: string;
  /** The NodePort (type NodePort, externalTrafficPolicy Cluster); absent for a ClusterIP Service. */
  readonly nodePort?: number;
}

/** SyntheticServicesOptions: how many, where the address blocks start, and the names. */
export interface SyntheticServicesOptions {
  readonly count: number;
  readonly endpointsPerService: number;
  /** First ClusterIP; Service i gets this + i. Default 198.18.128.0 (room for 32k). */
  readonly clusterIpBase?: string;
  /** First endpoint address; endpoints are numbered on from here. Default 198.19.0.1. */
  readonly endpointBase?: string;
  /** Name prefix; Service i is `<prefix>-<i>`. Default "bench". */
  readonly namePrefix?: string;
  readonly nodeName?: string;
  readonly port?: number;
  readonly targetPort?: number;
}

/** ipv4ToInt reads dotted text as an unsigned 32-bit number. */
export function ipv4ToInt(text: string): number {
  const p = text.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255))
    throw new RangeError(`parse ipv4: "${text}"`);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

/** intToIpv4 writes an unsigned 32-bit number as dotted text. */
export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** syntheticServices returns `count` Services; endpoint addresses skip .0 and .255 so none looks like a network or broadcast address. */
export function syntheticServices(o: SyntheticServicesOptions): SyntheticService[] {
  const vip0 = ipv4ToInt(o.clusterIpBase ?? "198.18.128.0");
  let ep = ipv4ToInt(o.endpointBase ?? "198.19.0.1");
  const nextEndpoint = (): string => {
    while ((ep & 255) === 0 || (ep & 255) === 255) ep++;
    return intToIpv4(ep++);
  };
  const out: SyntheticService[] = [];
  for (let i = 0; i < o.count; i++) {
    const endpoints: string[] = [];
    for (let j = 0; j < o.endpointsPerService; j++) endpoints.push(nextEndpoint());
    out.push({
      namespace: "bench",
      name: `${o.namePrefix ?? "bench"}-${i}`,
      clusterIP: intToIpv4(vip0 + i),
      port: o.port ?? 80,
      targetPort: o.targetPort ?? 8080,
      endpoints,
      nodeName: o.nodeName ?? "bench-node",
    });
  }
  return out;
}

/**
 * withOneEndpointChanged returns a copy where Service `index`'s first endpoint is replaced by
 * `replacement` — the smallest real-world change (a pod rescheduled), used to time one update.
 */
export function withOneEndpointChanged(
  services: readonly SyntheticService[],
  index: number,
  replacement: string,
): SyntheticService[] {
  return services.map((s, i) =>
    i === index ? { ...s, endpoints: [replacement, ...s.endpoints.slice(1)] } : s,
  );
}
