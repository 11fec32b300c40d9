/**
 * EndpointNames answers "who is this address" for flow records from the cluster's resources:
 * pods (workload endpoints), host endpoints, network sets, and Services by frontend. Pure: the
 * agent builds one from its cache snapshot whenever the cache changes.
 */
import { ipv4ToNumber } from "../model/ipv4.ts";
import { podIps, type Pod } from "../model/pod.ts";
import type { Service } from "../model/service.ts";
import type { HostEndpoint } from "../model/host-endpoint.ts";
import type { GlobalNetworkSet, NetworkSet } from "../model/network-set.ts";
import type { EndpointType } from "./flow-record.ts";

/** EndpointInfo is what a record says about one side. */
export interface EndpointInfo {
  readonly type: EndpointType;
  readonly namespace: string;
  readonly name: string;
  readonly nameAggr: string;
  readonly labels: Readonly<Record<string, string>>;
  /** A workload of this node (decides the reporter of an event no policy reported). */
  readonly local: boolean;
}

/** ServiceInfo names the Service a frontend belongs to. */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
}

/** NameResolver is the interface the aggregator uses (tests give their own). */
export interface NameResolver {
  endpoint(ip: string): EndpointInfo;
  service(ip: string, port: number, proto: number): ServiceInfo | undefined;
  /** The names `client` looked up by DNS that answered `ip` (DNS policy's view), sorted; none when absent. */
  domains?(client: string, ip: string): readonly string[];
}

/** EndpointNamesInput is the snapshot an EndpointNames is built from. */
export interface EndpointNamesInput {
  readonly nodeName: string;
  readonly pods: readonly Pod[];
  readonly services: readonly Service[];
  readonly hostEndpoints?: readonly HostEndpoint[];
  readonly networkSets?: readonly (NetworkSet | GlobalNetworkSet)[];
}

const protoOf: Record<string, number> = { TCP: 6, UDP: 17, SCTP: 132 };

const PRIVATE: [number, number][] = [
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10],
  ["198.18.0.0", 15],
  ["169.254.0.0", 16],
  ["127.0.0.0", 8],
].map(([a, l]) => [ipv4ToNumber(a as string), l as number]);

function inCidr(ip: number, net: number, len: number): boolean {
  const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
  return (ip & mask) >>> 0 === (net & mask) >>> 0;
}

/** podPrefix is Calico's aggregated pod name: the generateName prefix and "*", else the name. */
export function podPrefix(pod: Pod): string {
  // metadata keeps fields it does not name (loose): generateName is one of them
  const g = (pod.metadata as Readonly<Record<string, unknown>>)["generateName"];
  return typeof g === "string" && g !== "" ? `${g}*` : pod.metadata.name;
}

/** EndpointNames implements NameResolver over one snapshot. */
export class EndpointNames implements NameResolver {
  readonly #byIp = new Map<string, EndpointInfo>();
  readonly #sets: { net: number; len: number; info: EndpointInfo }[] = [];
  readonly #services = new Map<string, ServiceInfo>();

  constructor(input: EndpointNamesInput) {
    for (const pod of input.pods) {
      if (pod.spec.hostNetwork === true) continue;
      const info: EndpointInfo = {
        type: "wep",
        namespace: text(pod.metadata.namespace, "default"),
        name: pod.metadata.name,
        nameAggr: podPrefix(pod),
        labels: pod.metadata.labels ?? {},
        local: pod.spec.nodeName === input.nodeName,
      };
      for (const ip of podIps(pod)) this.#byIp.set(ip, info);
    }
    for (const hep of input.hostEndpoints ?? []) {
      const info: EndpointInfo = {
        type: "hep",
        namespace: "-",
        name: hep.metadata.name,
        nameAggr: hep.metadata.name,
        labels: hep.metadata.labels ?? {},
        local: false,
      };
      for (const ip of hep.spec.expectedIPs ?? []) if (!this.#byIp.has(ip)) this.#byIp.set(ip, info);
    }
    for (const set of input.networkSets ?? []) {
      const info: EndpointInfo = {
        type: "ns",
        namespace: text(set.metadata.namespace, "-"),
        name: set.metadata.name,
        nameAggr: set.metadata.name,
        labels: set.metadata.labels ?? {},
        local: false,
      };
      for (const cidr of set.spec.nets ?? []) {
        const [addr, len] = cidr.split("/");
        if (addr === undefined || addr.includes(":")) continue;
        this.#sets.push({ net: ipv4ToNumber(addr), len: Number(len ?? 32), info });
      }
    }
    // longest prefix first, so the most specific set names an address
    this.#sets.sort((x, y) => y.len - x.len);
    for (const svc of input.services) {
      const ips = [svc.spec.clusterIP, ...(svc.spec.clusterIPs ?? []), ...(svc.spec.externalIPs ?? [])];
      for (const p of svc.spec.ports) {
        const proto = protoOf[p.protocol ?? "TCP"] ?? 6;
        const info: ServiceInfo = {
          namespace: text(svc.metadata.namespace, "default"),
          name: svc.metadata.name,
          port: p.port,
        };
        for (const ip of ips)
          if (ip !== undefined && ip !== "None" && ip !== "")
            this.#services.set(`${ip}|${p.port}|${proto}`, info);
      }
    }
  }

  endpoint(ip: string): EndpointInfo {
    const known = this.#byIp.get(ip);
    if (known !== undefined) return known;
    if (ip.includes(":")) return other(ip, false);
    const n = ipv4ToNumber(ip);
    for (const s of this.#sets) if (inCidr(n, s.net, s.len)) return s.info;
    return other(
      ip,
      PRIVATE.some(([net, len]) => inCidr(n, net, len)),
    );
  }

  service(ip: string, port: number, proto: number): ServiceInfo | undefined {
    return this.#services.get(`${ip}|${port}|${proto}`);
  }
}

// metadata is loose, so a namespace reads as unknown: only a string counts
function text(v: unknown, fallback: string): string {
  return typeof v === "string" && v !== "" ? v : fallback;
}

function other(_ip: string, isPrivate: boolean): EndpointInfo {
  return {
    type: "net",
    namespace: "-",
    name: "-",
    nameAggr: isPrivate ? "pvt" : "pub",
    labels: {},
    local: false,
  };
}
