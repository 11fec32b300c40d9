/**
 * What a service proxy (the eBPF NAT reconciler, the nftables fallback) is told about this node
 * and reports back after a pass: plain data, so the proxies need nothing from the agent.
 */
import type { HealthCheckService } from "./compute-nat-state.ts";

/** ServiceSyncContext is what a service sync needs besides the cluster state. */
export interface ServiceSyncContext {
  readonly nodeName: string;
  /** This node's addresses (NodePort frontends). */
  readonly nodeAddresses: readonly string[];
}

/** ServiceSyncReport summarises one service sync for the log. */
export interface ServiceSyncReport {
  readonly written: number;
  readonly deleted: number;
  readonly problems: readonly string[];
  /** Services whose healthCheckNodePort this node answers (kube-proxy's rule). */
  readonly healthChecks: readonly HealthCheckService[];
}
