/**
 * Test fixtures for the fallback proxy: Services covering every feature the nftables ruleset
 * expresses, computed into a NatState the way the agent does. Used by the golden tests and the
 * root tests that load the ruleset into a kernel.
 */
import { computeNatState } from "../../src/calc/compute-nat-state.ts";
import type { NatDesired } from "../../src/calc/compute-nat-state.ts";
import { ServiceIdAllocator } from "../../src/calc/service-id-allocator.ts";
import type { EndpointSlice, Service } from "../../src/model/index.ts";
import { service, slice } from "./service-fixtures.ts";

/** FIXTURE_NODE is the node the fixtures are computed for; node-b is the other node. */
export const FIXTURE_NODE = { name: "node-a", ip: "198.18.0.1" } as const;

/** fixtureState computes the NatState of `services` and `slices` on FIXTURE_NODE with fresh ids. */
export function fixtureState(
  services: readonly Service[],
  slices: readonly EndpointSlice[] = [],
): NatDesired {
  return computeNatState(
    { services, endpointSlices: slices, nodeName: FIXTURE_NODE.name, nodeAddresses: [FIXTURE_NODE.ip] },
    new ServiceIdAllocator(),
  );
}

/** allFeatures is one Service per feature: ClusterIP, NodePort, LoadBalancer with ETP Local and source ranges, externalIP with UDP affinity, and a Service without endpoints. */
export function allFeatures(): NatDesired {
  const n = FIXTURE_NODE.name;
  return fixtureState(
    [
      service("web", { clusterIP: "198.19.0.10", ports: [{ name: "http", port: 80, targetPort: 8080 }] }),
      service("np", {
        type: "NodePort",
        clusterIP: "198.19.0.11",
        ports: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30080 }],
      }),
      service(
        "lb",
        {
          type: "LoadBalancer",
          clusterIP: "198.19.0.12",
          externalTrafficPolicy: "Local",
          loadBalancerSourceRanges: ["203.0.113.0/24", "192.0.2.128/25"],
          ports: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30081 }],
        },
        { status: { loadBalancer: { ingress: [{ ip: "192.0.2.50" }] } } },
      ),
      service("dns", {
        clusterIP: "198.19.0.13",
        externalIPs: ["192.0.2.60"],
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        ports: [{ name: "dns", port: 53, targetPort: 5353, protocol: "UDP" }],
      }),
      service("empty", { clusterIP: "198.19.0.14", ports: [{ name: "http", port: 80 }] }),
    ],
    [
      slice(
        "web",
        [
          { addr: "198.18.1.5", node: n },
          { addr: "198.18.2.5", node: "node-b" },
        ],
        { ports: [{ name: "http", port: 8080 }] },
      ),
      slice("np", [{ addr: "198.18.2.6", node: "node-b" }], { ports: [{ name: "http", port: 8080 }] }),
      slice(
        "lb",
        [
          { addr: "198.18.1.7", node: n },
          { addr: "198.18.2.7", node: "node-b" },
        ],
        { ports: [{ name: "http", port: 8080 }] },
      ),
      slice(
        "dns",
        [
          { addr: "198.18.1.8", node: n },
          { addr: "198.18.2.8", node: "node-b" },
        ],
        { ports: [{ name: "dns", port: 5353, protocol: "UDP" }] },
      ),
    ],
  );
}
