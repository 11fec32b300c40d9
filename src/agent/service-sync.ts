/**
 * ServiceSync is the slot the service proxy (src/proxy) plugs into the agent's sync loop: given
 * the cluster state and this node's addresses it writes the NAT maps. The agent builds one per
 * set of maps (a map rebuild makes a new one), so the proxy never holds a stale map.
 */
import type { HealthCheckService } from "../calc/compute-nat-state.ts";
import type { AgentLogger } from "./agent-logger.ts";
import type { ClusterCache } from "./cluster-cache.ts";
import type { DatapathMaps } from "../datapath/datapath-maps.ts";

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

/** ServiceSync writes the NAT maps. */
export interface ServiceSync {
  sync(cache: ClusterCache, context: ServiceSyncContext): Promise<ServiceSyncReport>;
  close(): Promise<void>;
}

/** ServiceSyncFactory builds a ServiceSync over one set of maps. */
export type ServiceSyncFactory = (maps: DatapathMaps, log: AgentLogger) => ServiceSync;
