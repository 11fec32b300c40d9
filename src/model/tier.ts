/**
 * Tier (projectcalico.org/v3): an ordered group of Calico policies. Lower `order` goes first; a
 * tier without one goes last. The `default` tier always exists (policies that name no tier, and
 * Kubernetes NetworkPolicies, live there) with Calico's fixed order 1,000,000.
 * `defaultAction` is what happens to a packet that no policy of the tier decided (Deny, or Pass
 * to the next tier).
 */
import { z } from "zod";
import { calicoEnum } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";
import { policyOrder } from "./policy-fields.ts";

/** DEFAULT_TIER_ORDER is the `default` tier's order in Calico. */
export const DEFAULT_TIER_ORDER = 1_000_000;

/** tierSchema validates a Tier. */
export function tierSchema() {
  return z
    .strictObject({
      apiVersion: z.literal("projectcalico.org/v3"),
      kind: z.literal("Tier"),
      metadata: objectMeta({ namespaced: false, nameRule: "label" }),
      spec: z
        .strictObject({
          order: policyOrder.optional(),
          defaultAction: calicoEnum(["Deny", "Pass"]).default("Deny"),
        })
        .default({ defaultAction: "Deny" }),
    })
    .check((ctx) => {
      const { metadata, spec } = ctx.value;
      if (metadata.name === "default" && spec.order !== undefined && spec.order !== DEFAULT_TIER_ORDER) {
        ctx.issues.push({
          code: "custom",
          message: `the default tier's order is fixed at ${DEFAULT_TIER_ORDER}, got ${spec.order}`,
          input: ctx.value,
          path: ["spec", "order"],
        });
      }
    });
}

/** Tier is a validated Tier. */
export type Tier = z.output<ReturnType<typeof tierSchema>>;
