/**
 * Pod (core/v1): where a pod runs, its IPs, labels and phase, and its containers' ports
 * (hostPort included, which eBPF mode does not implement but must be able to see). Everything
 * else in a pod spec is kept unchecked.
 */
import { z } from "zod";
import {
  dnsLabel,
  dnsSubdomain,
  ipAddress,
  portName,
  optionalPortNumber,
  portNumber,
  protocol,
} from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

const containerPort = z.strictObject({
  // IANA_SVC_NAME: NetworkPolicy ports refer to it by name.
  name: portName.optional(),
  containerPort: portNumber,
  hostPort: optionalPortNumber.optional(),
  hostIP: ipAddress.optional(),
  protocol: protocol.default("TCP"),
});

const container = z.looseObject({
  name: dnsLabel,
  image: z.string().optional(),
  ports: z.array(containerPort).optional(),
});

/** podSchema validates a Pod. */
export function podSchema() {
  return z.looseObject({
    apiVersion: z.literal("v1"),
    kind: z.literal("Pod"),
    metadata: objectMeta({ namespaced: true }),
    spec: z.looseObject({
      nodeName: dnsSubdomain.optional(),
      hostNetwork: z.boolean().optional(),
      // Calico matches serviceAccounts rules on it; the API server sets "default" when absent.
      serviceAccountName: dnsSubdomain.default("default"),
      containers: z.array(container).min(1),
    }),
    status: z
      .looseObject({
        phase: z.enum(["Pending", "Running", "Succeeded", "Failed", "Unknown"]).optional(),
        hostIP: z.union([z.literal(""), ipAddress]).optional(),
        podIP: z.union([z.literal(""), ipAddress]).optional(),
        podIPs: z
          .array(z.looseObject({ ip: ipAddress }))
          .max(2)
          .optional(),
      })
      .default({}),
  });
}

/** Pod is a validated core/v1 Pod. */
export type Pod = z.output<ReturnType<typeof podSchema>>;

/** podIps lists a pod's addresses (podIPs, else podIP), empty before the CNI assigned one. */
export function podIps(pod: Pod): string[] {
  if (pod.status.podIPs !== undefined && pod.status.podIPs.length > 0)
    return pod.status.podIPs.map((p) => p.ip);
  return pod.status.podIP ? [pod.status.podIP] : [];
}
