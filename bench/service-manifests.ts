/**
 * Synthetic Services as the resources the rest of Sluice reads: Service and EndpointSlice
 * manifests (for the lab's datastore) and the validated model objects computeNatState takes
 * (for the control-plane benchmark, validated outside the timed part). Pure.
 */
import type { NatInput } from "../src/calc/index.ts";
import { endpointSliceSchema, serviceSchema } from "../src/model/index.ts";
import type { SyntheticService } from "./synthetic-services.ts";

/** serviceManifest is the Service of `s` as plain JSON. */
export function serviceManifest(s: SyntheticService): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace: s.namespace },
    spec: {
      type: s.nodePort === undefined ? "ClusterIP" : "NodePort",
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      ports: [
        {
          name: "http",
          port: s.port,
          targetPort: s.targetPort,
          protocol: "TCP",
          ...(s.nodePort === undefined ? {} : { nodePort: s.nodePort }),
        },
      ],
    },
  };
}

/** endpointSliceManifest is the one EndpointSlice of `s` as plain JSON, every endpoint ready. */
export function endpointSliceManifest(s: SyntheticService): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${s.name}-bench`,
      namespace: s.namespace,
      labels: { "kubernetes.io/service-name": s.name },
    },
    addressType: "IPv4",
    endpoints: s.endpoints.map((addr) => ({
      addresses: [addr],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: s.nodeName,
    })),
    ports: [{ name: "http", port: s.targetPort, protocol: "TCP" }],
  };
}

/** natInputOf validates the manifests into the input of computeNatState / NatReconciler.sync. */
export function natInputOf(services: readonly SyntheticService[], nodeName = "bench-node"): NatInput {
  const svcSchema = serviceSchema();
  const sliceSchema = endpointSliceSchema();
  return {
    services: services.map((s) => svcSchema.parse(serviceManifest(s))),
    endpointSlices: services.map((s) => sliceSchema.parse(endpointSliceManifest(s))),
    nodeName,
    nodeAddresses: [],
  };
}
