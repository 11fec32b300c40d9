/**
 * Namespace (core/v1): only its name and labels matter to Sluice (policy namespace selectors).
 */
import { z } from "zod";
import { objectMeta } from "./object-meta.ts";

/** namespaceSchema validates a Namespace; its name is a DNS-1123 label. */
export function namespaceSchema() {
  return z.looseObject({
    apiVersion: z.literal("v1"),
    kind: z.literal("Namespace"),
    metadata: objectMeta({ namespaced: false, nameRule: "label" }),
    spec: z.looseObject({}).optional(),
    status: z.looseObject({}).optional(),
  });
}

/** Namespace is a validated core/v1 Namespace. */
export type Namespace = z.output<ReturnType<typeof namespaceSchema>>;
