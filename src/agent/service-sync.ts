/**
 * ServiceSync is the slot the service proxy (src/proxy) plugs into the agent's sync loop: given
 * the cluster state and this node's addresses it writes the NAT maps. The agent builds one per
 * set of maps (a map rebuild makes a new one), so the proxy never holds a stale map.
 */
import type { ServiceSyncContext, ServiceSyncReport } from "../calc/service-sync-context.ts";
import type { AgentLogger } from "./agent-logger.ts";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import type { DatapathMapSet } from "../datapath/datapath-backend.ts";

export type { ServiceSyncContext, ServiceSyncReport };

/** ServiceSync writes the NAT maps. */
export interface ServiceSync {
  sync(cache: ClusterCache, context: ServiceSyncContext): Promise<ServiceSyncReport>;
  /**
   * syncChanged is the fast path for a few changed Services ("namespace/name"): it writes only
   * their entries, or returns undefined when it cannot tell without a full sync (the agent then
   * runs its pass). Optional: a proxy without one always gets the full pass.
   */
  syncChanged?(
    cache: ClusterCache,
    names: ReadonlySet<string>,
    context: ServiceSyncContext,
  ): ServiceSyncReport | undefined;
  /**
   * afterPass is called when the pass that called sync() is done (programs attached, policy,
   * hand-over): follow-up work of a full sync that nothing in the pass waits for goes after it,
   * not into the pass's waits, where it would delay readiness. Optional.
   */
  afterPass?(): void;
  close(): Promise<void>;
}

/** ServiceSyncFactory builds a ServiceSync over one set of maps (live or the in-memory fake's). */
export type ServiceSyncFactory = (maps: DatapathMapSet, log: AgentLogger) => ServiceSync;
