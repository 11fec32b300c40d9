/**
 * EndpointSlice (discovery.k8s.io/v1): a Service's backends. Addresses must match the slice's
 * addressType; conditions stay tri-state (absent = unknown) because kube-proxy treats an absent
 * `ready` as ready and an absent `serving` as equal to `ready`.
 */
import { z } from "zod";
import { ipFamilyOf } from "./ip-address.ts";
import { dnsLabel, dnsSubdomain, portNumber, protocol } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

/** SERVICE_NAME_LABEL is the label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

const endpoint = z.strictObject({
  addresses: z.array(z.string()).min(1).max(100),
  conditions: z
    .strictObject({
      ready: z.boolean().nullable().optional(),
      serving: z.boolean().nullable().optional(),
      terminating: z.boolean().nullable().optional(),
    })
    .default({}),
  hostname: dnsLabel.optional(),
  targetRef: z
    .looseObject({
      kind: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
    })
    .optional(),
  nodeName: dnsSubdomain.optional(),
  zone: z.string().optional(),
  hints: z.looseObject({}).optional(),
  deprecatedTopology: z.record(z.string(), z.string()).optional(),
});

const endpointPort = z.strictObject({
  name: z.string().max(63).optional(),
  protocol: protocol.default("TCP"),
  port: portNumber.optional(),
  appProtocol: z.string().optional(),
});

/** endpointSliceSchema validates an EndpointSlice. */
export function endpointSliceSchema() {
  return z
    .strictObject({
      apiVersion: z.literal("discovery.k8s.io/v1"),
      kind: z.literal("EndpointSlice"),
      metadata: objectMeta({ namespaced: true }),
      addressType: z.enum(["IPv4", "IPv6", "FQDN"]),
      endpoints: z.array(endpoint).default([]),
      ports: z.array(endpointPort).default([]),
    })
    .check((ctx) => {
      if (ctx.issues.length > 0) return;
      const { addressType, endpoints } = ctx.value;
      endpoints.forEach((ep, i) => {
        ep.addresses.forEach((addr, j) => {
          const ok = addressType === "FQDN" ? /^[a-z0-9.-]+$/.test(addr) : ipFamilyOf(addr) === addressType;
          if (!ok) {
            ctx.issues.push({
              code: "custom",
              path: ["endpoints", i, "addresses", j],
              message: `invalid ${addressType} address ${JSON.stringify(addr)}`,
              input: addr,
            });
          }
        });
      });
    });
}

/** EndpointSlice is a validated discovery.k8s.io/v1 EndpointSlice. */
export type EndpointSlice = z.output<ReturnType<typeof endpointSliceSchema>>;

/** Endpoint is one backend of an EndpointSlice. */
export type Endpoint = EndpointSlice["endpoints"][number];

/** endpointSliceServiceName is the Service a slice belongs to, or undefined for an unlabelled slice. */
export function endpointSliceServiceName(slice: EndpointSlice): string | undefined {
  return slice.metadata.labels?.[SERVICE_NAME_LABEL];
}
