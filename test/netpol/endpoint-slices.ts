/**
 * endpointSlicesFor writes what Kubernetes' EndpointSlice controller would for one Service: the
 * lab plays the cluster's API, and Sluice — like kube-proxy — learns a Service's backends only
 * from EndpointSlices, never from the selector. Without them every ClusterIP has no backend and
 * is refused (what the netpol lab saw before it wrote them). Pure.
 *
 * As the controller does: the pods of the Service's namespace its selector matches, that have an
 * IPv4 address and are not finished; each service port's targetPort resolved per pod (a number
 * as is, a name through the pod's container ports of that name and protocol — a pod without it
 * is left out of that port); pods grouped by their resolved ports, one slice per group.
 */
import type { Pod } from "../../src/model/pod.ts";
import type { Service } from "../../src/model/service.ts";

function resolvePort(pod: Pod, target: number | string, protocol: string): number | undefined {
  if (typeof target === "number") return target;
  for (const c of pod.spec.containers)
    for (const p of c.ports ?? [])
      if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
  return undefined;
}

const selects = (selector: Readonly<Record<string, string>>, pod: Pod): boolean =>
  Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v);

/** endpointSlicesFor returns the EndpointSlice manifests of `service` over `pods` (empty without a selector). */
export function endpointSlicesFor(service: Service, pods: readonly Pod[]): Record<string, unknown>[] {
  const selector = service.spec.selector;
  if (selector === undefined || Object.keys(selector).length === 0) return [];
  const ns = service.metadata.namespace;
  const members = pods.filter(
    (p) =>
      p.metadata.namespace === ns &&
      selects(selector, p) &&
      p.status.phase !== "Succeeded" &&
      p.status.phase !== "Failed" &&
      p.status.podIP !== undefined &&
      p.status.podIP !== "" &&
      !p.status.podIP.includes(":"),
  );
  type SlicePort = { name?: string; port: number; protocol: string };
  const groups = new Map<string, { ports: SlicePort[]; pods: Pod[] }>();
  for (const pod of members) {
    const ports = service.spec.ports.flatMap((sp): SlicePort[] => {
      const port = resolvePort(pod, sp.targetPort, sp.protocol);
      return port === undefined
        ? []
        : [{ ...(sp.name !== undefined ? { name: sp.name } : {}), port, protocol: sp.protocol }];
    });
    const key = JSON.stringify(ports);
    const group = groups.get(key) ?? { ports, pods: [] };
    group.pods.push(pod);
    groups.set(key, group);
  }
  return [...groups.values()].map((g, i) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${service.metadata.name}-${i + 1}`,
      namespace: ns,
      labels: {
        "kubernetes.io/service-name": service.metadata.name,
        "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
      },
    },
    addressType: "IPv4",
    endpoints: g.pods.map((p) => ({
      addresses: [p.status.podIP],
      conditions: { ready: true, serving: true, terminating: false },
      ...(p.spec.nodeName !== undefined ? { nodeName: p.spec.nodeName } : {}),
      targetRef: { kind: "Pod", namespace: ns, name: p.metadata.name },
    })),
    ports: g.ports,
  }));
}
