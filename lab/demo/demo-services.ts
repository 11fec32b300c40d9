/**
 * demoServices is the demo's Service and EndpointSlice manifests for a lab (as a Service
 * controller would write them): every kind of Service the e2e tests and `npm start` exercise,
 * with addresses from the lab's service range and endpoints on the lab's pods. Pure.
 *
 *   web      ClusterIP, TCP 80→8080 and UDP 53→5353, every pod
 *   nodeport NodePort 30080→8080, one backend on node-2 (so other nodes forward: Tunnel / DSR)
 *   local    NodePort 30081→8080, externalTrafficPolicy Local, backends on node-1 and node-2 only
 *   sticky   ClusterIP 80→8080, sessionAffinity ClientIP, every pod
 *   empty    ClusterIP 80, no endpoints: refused at once
 */
import type { LabPlan, PlannedPod } from "../plan.ts";

/** DEMO_PORTS are the ports the demo's traffic servers listen on in every pod. */
export const DEMO_PORTS = { tcp: 8080, udp: 5353 } as const;

/** DemoServiceInfo says where to reach each demo Service. */
export interface DemoServiceInfo {
  readonly web: string;
  readonly sticky: string;
  readonly empty: string;
  readonly nodePort: number;
  readonly localNodePort: number;
}

function nthAddress(cidr: string, n: number): string {
  const [base = "0.0.0.0"] = cidr.split("/");
  const v = base.split(".").reduce((a, p) => a * 256 + Number(p), 0) + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

/** demoServiceInfo derives the demo's ClusterIPs from the lab's service CIDR. */
export function demoServiceInfo(plan: Pick<LabPlan, "serviceCidr">): DemoServiceInfo {
  return {
    web: nthAddress(plan.serviceCidr, 10),
    sticky: nthAddress(plan.serviceCidr, 12),
    empty: nthAddress(plan.serviceCidr, 13),
    nodePort: 30080,
    localNodePort: 30081,
  };
}

type Port = {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: "TCP" | "UDP";
  readonly nodePort?: number;
};

/** serviceManifest builds a Service. */
export function serviceManifest(
  name: string,
  clusterIP: string,
  ports: readonly Port[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { type: "ClusterIP", clusterIP, clusterIPs: [clusterIP], ports, ...extra },
  };
}

/** endpointSliceManifest builds the EndpointSlice of `service` over `pods`, all ready. */
export function endpointSliceManifest(
  service: string,
  pods: readonly PlannedPod[],
  ports: readonly Port[],
  suffix = "demo",
): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${service}-${suffix}`,
      namespace: "default",
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
    endpoints: pods.map((p) => ({
      addresses: [p.ip],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: p.node,
      targetRef: { kind: "Pod", namespace: p.namespace, name: p.name },
    })),
    ports: ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
  };
}

/** demoServices returns the manifests (Services first, then their EndpointSlices). */
export function demoServices(
  plan: Pick<LabPlan, "serviceCidr">,
  pods: readonly PlannedPod[],
): Record<string, unknown>[] {
  const ip = demoServiceInfo(plan);
  const http: Port = { name: "http", port: 80, targetPort: DEMO_PORTS.tcp, protocol: "TCP" };
  const webPorts: Port[] = [http, { name: "dns", port: 53, targetPort: DEMO_PORTS.udp, protocol: "UDP" }];
  const np: Port = { ...http, nodePort: ip.nodePort };
  const lp: Port = { ...http, nodePort: ip.localNodePort };
  const on = (node: string): PlannedPod[] => pods.filter((p) => p.node === node);
  const remote = on("node-2").slice(0, 1);
  const local = [...on("node-1").slice(0, 1), ...on("node-2").slice(0, 1)];
  return [
    serviceManifest("web", ip.web, webPorts),
    serviceManifest("nodeport", nthAddress(plan.serviceCidr, 11), [np], {
      type: "NodePort",
      externalTrafficPolicy: "Cluster",
    }),
    serviceManifest("local", nthAddress(plan.serviceCidr, 14), [lp], {
      type: "NodePort",
      externalTrafficPolicy: "Local",
    }),
    serviceManifest("sticky", ip.sticky, [http], {
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
    }),
    serviceManifest("empty", ip.empty, [http]),
    endpointSliceManifest("web", pods, webPorts),
    endpointSliceManifest("nodeport", remote, [np]),
    endpointSliceManifest("local", local, [lp]),
    endpointSliceManifest("sticky", pods, [http]),
  ];
}
