/**
 * Node (core/v1): the fields routing and NodePorts need — pod CIDRs, addresses, labels. The rest
 * of a Node (capacity, conditions, images) is kept but not checked, so a node exported from a
 * real cluster loads as is.
 */
import { z } from "zod";
import { cidrFamilyOf } from "./ip-address.ts";
import { cidr, ipAddress } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

const ipAddressTypes = new Set(["InternalIP", "ExternalIP"]);

const nodeAddress = z
  .looseObject({
    type: z.enum(["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"]),
    address: z.string().min(1),
  })
  .check((ctx) => {
    if (ctx.issues.length > 0 || !ipAddressTypes.has(ctx.value.type)) return;
    const parsed = ipAddress.safeParse(ctx.value.address);
    if (!parsed.success) {
      ctx.issues.push({
        code: "custom",
        path: ["address"],
        message: `invalid IP address ${JSON.stringify(ctx.value.address)}`,
        input: ctx.value.address,
      });
    }
  });

/** nodeSchema validates a Node. */
export function nodeSchema() {
  return z.looseObject({
    apiVersion: z.literal("v1"),
    kind: z.literal("Node"),
    metadata: objectMeta({ namespaced: false }),
    spec: z
      .looseObject({
        podCIDR: cidr.optional(),
        podCIDRs: z.array(cidr).max(2).optional(),
        unschedulable: z.boolean().optional(),
        providerID: z.string().optional(),
      })
      .check((ctx) => {
        if (ctx.issues.length > 0) return;
        const { podCIDR, podCIDRs } = ctx.value;
        if (podCIDR !== undefined && podCIDRs?.[0] !== undefined && podCIDRs[0] !== podCIDR) {
          ctx.issues.push({
            code: "custom",
            path: ["podCIDRs", 0],
            message: `must equal podCIDR ${JSON.stringify(podCIDR)}`,
            input: podCIDRs[0],
          });
        }
        if (podCIDRs?.length === 2 && cidrFamilyOf(podCIDRs[0]!) === cidrFamilyOf(podCIDRs[1]!)) {
          ctx.issues.push({
            code: "custom",
            path: ["podCIDRs"],
            message: "two entries must be of different families",
            input: podCIDRs,
          });
        }
      })
      .default({}),
    status: z.looseObject({ addresses: z.array(nodeAddress).default([]) }).default({ addresses: [] }),
  });
}

/** Node is a validated core/v1 Node. */
export type Node = z.output<ReturnType<typeof nodeSchema>>;

/** nodeInternalIps lists a node's InternalIP addresses, in order. */
export function nodeInternalIps(node: Node): string[] {
  return node.status.addresses.filter((a) => a.type === "InternalIP").map((a) => a.address);
}
