/**
 * Random Services and EndpointSlices for the NAT property tests: few names, addresses and ports,
 * so Services often collide on a frontend, and every feature the NAT computation has (node ports,
 * external IPs, traffic policies, affinity, source ranges, health check ports, terminating
 * endpoints). Seeded, so a failure replays from its seed.
 */
import { service, slice } from "./service-fixtures.ts";
import type { EndpointSlice, Service } from "../../src/model/index.ts";

/** mulberry32: a tiny seeded PRNG, so a failure can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const NAMES = ["a", "b", "c", "d", "e", "f"] as const;
export const NODE = "node-a";

export function randomService(rnd: () => number, name: string): Service {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const type = pick(["ClusterIP", "NodePort", "LoadBalancer"] as const);
  // Few addresses and ports, so Services often collide on a frontend.
  const clusterIP = pick(["198.19.0.1", "198.19.0.2", "198.19.0.3", "198.19.0.4", ""]);
  const ports = [
    {
      name: "p",
      port: pick([80, 443]),
      targetPort: 8080,
      ...(type !== "ClusterIP" ? { nodePort: pick([30001, 30002]) } : {}),
    },
  ];
  if (rnd() < 0.3)
    ports.push({
      name: "q",
      port: 53,
      targetPort: 8053,
      ...(type !== "ClusterIP" ? { nodePort: 30003 } : {}),
    });
  const spec: Record<string, unknown> = { type, ...(clusterIP !== "" ? { clusterIP } : {}), ports };
  if (rnd() < 0.3) spec["externalIPs"] = [pick(["198.18.9.1", "198.18.9.2"])];
  if (rnd() < 0.3) spec["internalTrafficPolicy"] = "Local";
  if (rnd() < 0.3) spec["sessionAffinity"] = "ClientIP";
  if (type === "LoadBalancer") {
    spec["loadBalancerIP"] = pick(["198.18.7.1", "198.18.7.2"]);
    if (rnd() < 0.5) {
      spec["externalTrafficPolicy"] = "Local";
      if (rnd() < 0.7) spec["healthCheckNodePort"] = 32000;
    }
    if (rnd() < 0.4)
      spec["loadBalancerSourceRanges"] = [pick(["10.0.0.0/8", "198.18.0.0/16", "192.0.2.0/24"])];
  }
  return service(name, spec);
}

export function randomSlice(rnd: () => number, svc: string, n: number): EndpointSlice {
  const eps = Array.from({ length: Math.floor(rnd() * 4) }, () => ({
    addr: `198.18.${n}.${1 + Math.floor(rnd() * 5)}`,
    node: rnd() < 0.5 ? NODE : "node-b",
    ready: rnd() < 0.7,
    serving: rnd() < 0.8,
    terminating: rnd() < 0.3,
  }));
  return slice(svc, eps, {
    name: `${svc}-${n}`,
    ports: [
      { name: "p", port: 8080 },
      { name: "q", port: 8053, protocol: "TCP" },
    ],
  });
}
