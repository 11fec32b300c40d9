/** The service proxy: NAT map reconciler, map backends, health server. Re-exports only. */
export { countingBackend, type CountingBackend } from "./counting-backend.ts";
export { HealthServer, type HealthServerOptions } from "./kube-proxy-health-server.ts";
export { InMemoryNatMapBackend } from "./in-memory-nat-map-backend.ts";
export { KernelNatMapBackend, type KernelNatMaps } from "./kernel-nat-map-backend.ts";
export type { NatMapBackend } from "./nat-map-backend.ts";
export {
  NatReconciler,
  type ChangeCounts,
  type NatReconcilerOptions,
  type NatSyncResult,
} from "./nat-reconciler.ts";
export { normaliseCtKey } from "./normalise-ct-key.ts";
export { planNatUpdate, type NatOp, type NatPlan } from "./plan-nat-update.ts";
export { ProxyHealth, type ProxyHealthStatus } from "./proxy-health.ts";
export { silentLogger, type ProxyLogFields, type ProxyLogger } from "./proxy-logger.ts";
