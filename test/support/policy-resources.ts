/**
 * Builders for policy calc tests: validated resources from short descriptions, so tests read
 * as the manifests an operator would write.
 */
import type { Resource } from "../../src/model/resource.ts";
import { validateResource } from "../../src/model/validate-resource.ts";

/** valid validates a manifest or throws with the validation error. */
export function valid(raw: unknown): Resource {
  const r = validateResource(raw);
  if (!r.ok) throw r.error;
  return r.resource;
}

/** pod builds a running pod with an IP, labels, named ports and a service account. */
export function pod(
  namespace: string,
  name: string,
  ip: string,
  labels: Record<string, string> = {},
  extra: {
    sa?: string;
    ports?: Array<{ name: string; containerPort: number; protocol?: string }>;
    node?: string;
  } = {},
): Resource {
  return valid({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels },
    spec: {
      nodeName: extra.node ?? "node-1",
      ...(extra.sa ? { serviceAccountName: extra.sa } : {}),
      containers: [{ name: "c", ports: extra.ports ?? [] }],
    },
    status: { phase: "Running", podIP: ip },
  });
}

/** namespace builds a namespace with labels. */
export function namespace(name: string, labels: Record<string, string> = {}): Resource {
  return valid({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

/** knp builds a Kubernetes NetworkPolicy. */
export function knp(ns: string, name: string, spec: Record<string, unknown>): Resource {
  return valid({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec: { podSelector: {}, ...spec },
  });
}

/** gnp builds a GlobalNetworkPolicy. */
export function gnp(name: string, spec: Record<string, unknown>): Resource {
  return valid({ apiVersion: "projectcalico.org/v3", kind: "GlobalNetworkPolicy", metadata: { name }, spec });
}

/** cnp builds a Calico NetworkPolicy. */
export function cnp(ns: string, name: string, spec: Record<string, unknown>): Resource {
  return valid({
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec,
  });
}

/** tier builds a Tier. */
export function tier(name: string, order?: number, defaultAction?: string): Resource {
  return valid({
    apiVersion: "projectcalico.org/v3",
    kind: "Tier",
    metadata: { name },
    spec: { ...(order !== undefined ? { order } : {}), ...(defaultAction ? { defaultAction } : {}) },
  });
}

/** globalNetworkSet builds a GlobalNetworkSet. */
export function globalNetworkSet(
  name: string,
  nets: string[],
  labels: Record<string, string> = {},
  allowedEgressDomains?: string[],
): Resource {
  return valid({
    apiVersion: "projectcalico.org/v3",
    kind: "GlobalNetworkSet",
    metadata: { name, labels },
    spec: { nets, ...(allowedEgressDomains !== undefined ? { allowedEgressDomains } : {}) },
  });
}

/** networkSet builds a NetworkSet. */
export function networkSet(
  ns: string,
  name: string,
  nets: string[],
  labels: Record<string, string> = {},
): Resource {
  return valid({
    apiVersion: "projectcalico.org/v3",
    kind: "NetworkSet",
    metadata: { name, namespace: ns, labels },
    spec: { nets },
  });
}

/** hostEndpoint builds a HostEndpoint. */
export function hostEndpoint(name: string, ip: string, labels: Record<string, string> = {}): Resource {
  return valid({
    apiVersion: "projectcalico.org/v3",
    kind: "HostEndpoint",
    metadata: { name, labels },
    spec: { node: "node-1", interfaceName: "eth0", expectedIPs: [ip] },
  });
}
