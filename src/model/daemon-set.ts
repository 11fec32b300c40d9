/**
 * DaemonSet (apps/v1): only so the how-to's `patch ds -n kube-system kube-proxy` step (park
 * kube-proxy with a node selector that matches nothing) works against the file datastore. The
 * pod template is kept unchecked except the node selector the how-to edits.
 */
import { z } from "zod";
import { labelMap, stringMap } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

/** daemonSetSchema validates a DaemonSet's identity and its template's nodeSelector. */
export function daemonSetSchema() {
  return z.looseObject({
    apiVersion: z.literal("apps/v1"),
    kind: z.literal("DaemonSet"),
    metadata: objectMeta({ namespaced: true }),
    spec: z.looseObject({
      selector: z.looseObject({ matchLabels: labelMap.optional() }).optional(),
      template: z
        .looseObject({
          metadata: z.looseObject({ labels: labelMap.optional() }).optional(),
          spec: z.looseObject({ nodeSelector: stringMap.optional() }).optional(),
        })
        .optional(),
    }),
  });
}

/** DaemonSet is a validated apps/v1 DaemonSet. */
export type DaemonSet = z.output<ReturnType<typeof daemonSetSchema>>;
