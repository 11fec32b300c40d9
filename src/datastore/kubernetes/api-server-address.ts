/**
 * checkApiServerAddress: the agent must reach the API server directly. When the address it was
 * given is a Service's ClusterIP (typically the `kubernetes` Service, 10.96.0.1:443), it would
 * depend on the very Service translation Sluice provides — a bootstrap loop the how-to avoids
 * with the `kubernetes-services-endpoint` ConfigMap. Pure.
 */
import type { Resource } from "../../model/resource.ts";

/** apiServerAddressProblem returns the error message when `host` is a ClusterIP of one of `resources`' Services, else undefined. */
export function apiServerAddressProblem(
  host: string,
  port: number,
  resources: readonly Resource[],
): string | undefined {
  for (const r of resources) {
    if (r.kind !== "Service") continue;
    const spec = r.spec as { clusterIP?: string; clusterIPs?: readonly string[] };
    const ips = [...(spec.clusterIPs ?? []), ...(spec.clusterIP !== undefined ? [spec.clusterIP] : [])];
    if (!ips.includes(host)) continue;
    return `check API server address ${JSON.stringify(`${host}:${port}`)}: it is the ClusterIP of Service ${r.metadata.namespace ?? "default"}/${r.metadata.name}, which Sluice itself implements; give the agent the API server's real address (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT from the kubernetes-services-endpoint ConfigMap in tigera-operator, or a kubeconfig whose server is the API server)`;
  }
  return undefined;
}
