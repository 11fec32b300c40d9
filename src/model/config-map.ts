/**
 * ConfigMap (core/v1). One ConfigMap has meaning to Sluice: `kubernetes-services-endpoint`, the
 * how-to's way to give the dataplane the API server's real address (it cannot use the ClusterIP
 * it is itself implementing), so its two keys are checked.
 */
import { z } from "zod";
import { stringMap } from "./field-schemas.ts";
import { objectMeta } from "./object-meta.ts";

/** SERVICES_ENDPOINT_CONFIG_MAP names the ConfigMap holding KUBERNETES_SERVICE_HOST/PORT. */
export const SERVICES_ENDPOINT_CONFIG_MAP = "kubernetes-services-endpoint";

/** configMapSchema validates a ConfigMap, and the API server address in `kubernetes-services-endpoint`. */
export function configMapSchema() {
  return z
    .strictObject({
      apiVersion: z.literal("v1"),
      kind: z.literal("ConfigMap"),
      metadata: objectMeta({ namespaced: true }),
      data: stringMap.optional(),
      binaryData: stringMap.optional(),
      immutable: z.boolean().optional(),
    })
    .check((ctx) => {
      if (ctx.issues.length > 0 || ctx.value.metadata.name !== SERVICES_ENDPOINT_CONFIG_MAP) return;
      const data = ctx.value.data ?? {};
      const host = data["KUBERNETES_SERVICE_HOST"];
      const port = data["KUBERNETES_SERVICE_PORT"];
      if (host === undefined || host.trim() === "" || /[\s/]/.test(host)) {
        ctx.issues.push({
          code: "custom",
          path: ["data", "KUBERNETES_SERVICE_HOST"],
          message: host === undefined ? "required" : `invalid host ${JSON.stringify(host)}`,
          input: host,
        });
      }
      if (port === undefined || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
        ctx.issues.push({
          code: "custom",
          path: ["data", "KUBERNETES_SERVICE_PORT"],
          message: port === undefined ? "required" : `must be a port 1-65535, got ${JSON.stringify(port)}`,
          input: port,
        });
      }
    });
}

/** ConfigMap is a validated core/v1 ConfigMap. */
export type ConfigMap = z.output<ReturnType<typeof configMapSchema>>;
