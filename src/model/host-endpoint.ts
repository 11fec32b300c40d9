/**
 * HostEndpoint (projectcalico.org/v3): one of a node's interfaces (or, with `interfaceName: "*"`,
 * all of them) as a policy endpoint. Calico's rules: `node` is required, and an endpoint needs an
 * `interfaceName` or `expectedIPs` (the addresses other endpoints' policies see it by).
 */
import { z } from "zod";
import { calicoEnum, dnsSubdomain, ipAddress, portName, portNumber } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

const endpointPort = z.strictObject({
  name: portName,
  protocol: calicoEnum(["TCP", "UDP", "SCTP"]),
  port: portNumber,
});

/** hostEndpointSchema validates a HostEndpoint. */
export function hostEndpointSchema() {
  return z
    .strictObject({
      apiVersion: z.literal("projectcalico.org/v3"),
      kind: z.literal("HostEndpoint"),
      metadata: objectMeta({ namespaced: false }),
      spec: z.strictObject({
        node: dnsSubdomain,
        interfaceName: z.string().min(1).max(15).optional(),
        expectedIPs: z.array(ipAddress).optional(),
        profiles: z.array(z.string().min(1)).optional(),
        ports: z.array(endpointPort).optional(),
      }),
    })
    .check((ctx) => {
      const { spec } = ctx.value;
      if (spec.interfaceName === undefined && (spec.expectedIPs ?? []).length === 0) {
        ctx.issues.push({
          code: "custom",
          message: "a host endpoint needs interfaceName or expectedIPs",
          input: ctx.value,
          path: ["spec", "interfaceName"],
        });
      }
    });
}

/** HostEndpoint is a validated HostEndpoint. */
export type HostEndpoint = z.output<ReturnType<typeof hostEndpointSchema>>;
