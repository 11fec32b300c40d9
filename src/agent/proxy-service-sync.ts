/**
 * serviceSyncFactory wires the service proxy into the agent's loop: a NatReconciler over the
 * pinned NAT (sl_nat_src included, for loadBalancerSourceRanges), conntrack and affinity maps, fed the cluster's Services and EndpointSlices. A new
 * reconciler per set of maps adopts what they hold, so neither a restart nor a map rebuild
 * rewrites unchanged services.
 *
 * Two ways in. The agent's pass calls sync(): the whole cluster through the reconciler's
 * per-Service cache; it is skipped when its input did not move since the last successful sync
 * (the same Service and EndpointSlice generations, the same node), so an idle resync costs
 * nothing. A datastore event for a Service or an EndpointSlice calls syncChanged() at once: the
 * named Services only, read from the cache's indexes (reconciler.syncServices); when that
 * succeeds the next pass has nothing left to do for Services. Every `fullEveryMs` the pass
 * forgets what it knows and re-reads the maps: the safety net under both paths.
 */
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import { KernelNatMapBackend } from "../proxy/kernel-nat-map-backend.ts";
import { NatReconciler } from "../proxy/nat-reconciler.ts";
import type { NatServiceLookup, NatSyncResult } from "../proxy/nat-reconciler.ts";
import type { AgentConfig } from "./agent-config.ts";
import type { ServiceSyncContext, ServiceSyncFactory, ServiceSyncReport } from "./service-sync.ts";

/** How often a pass re-reads the NAT maps and recomputes every Service from scratch. */
const FULL_EVERY_MS = 30 * 60_000;

/** serviceSyncFactory returns the proxy's ServiceSync factory for this agent. */
export function serviceSyncFactory(
  _config: AgentConfig,
  options: { readonly fullEveryMs?: number } = {},
): ServiceSyncFactory | undefined {
  const fullEveryMs = options.fullEveryMs ?? FULL_EVERY_MS;
  return (maps, log) => {
    const backend = new KernelNatMapBackend({
      frontends: maps.get(SL_MAP.nat_fe),
      backends: maps.get(SL_MAP.nat_be),
      conntrack: maps.get(SL_MAP.ct),
      affinity: maps.get(SL_MAP.affinity),
      sourceRanges: maps.get(SL_MAP.nat_src),
    });
    // The flows of removed backends are ended on the next turn of the loop, after the write.
    const options = { logger: log, deferCleanUp: (work: () => void) => void setImmediate(work) };
    let reconciler = new NatReconciler(backend, options);
    let fullAt = Date.now();
    let last: { input: string; report: ServiceSyncReport } | undefined;
    return {
      async sync(cache, context) {
        if (Date.now() - fullAt >= fullEveryMs) {
          // The safety net: a new reconciler adopts the maps and diffs every Service against them.
          reconciler = new NatReconciler(backend, options);
          fullAt = Date.now();
          last = undefined;
        }
        const input = inputKey(cache, context);
        if (last?.input === input) return { ...last.report, written: 0, deleted: 0 };
        const r = reconciler.sync({
          services: cache.list("Service"),
          endpointSlices: cache.list("EndpointSlice"),
          nodeName: context.nodeName,
          nodeAddresses: context.nodeAddresses,
        });
        const report = reportOf(r);
        last = { input, report };
        // The fast path's index of serving endpoints: built on a later turn of the loop, so
        // neither this pass (readiness) nor the next change (its latency) waits for it.
        const prepared = reconciler;
        setImmediate(() => prepared.prepare());
        return report;
      },
      syncChanged(cache, names, context) {
        const r = reconciler.syncServices(names, lookupOf(cache), context);
        if (r === undefined) return undefined;
        const report = reportOf(r);
        // Every change the cache holds went through here (the agent hands each event's names
        // over at once), so a pass with nothing newer has nothing to do for Services.
        last = { input: inputKey(cache, context), report };
        return report;
      },
      async close() {
        // the reconciler holds no fds: the maps belong to the agent
      },
    };
  };
}

/** The NAT input's identity: its kinds' generations and the node. */
function inputKey(cache: ClusterCache, context: ServiceSyncContext): string {
  return `${cache.generationOf("Service")}/${cache.generationOf("EndpointSlice")}\n${context.nodeName}\n${context.nodeAddresses.join(",")}`;
}

/** lookupOf reads the cache's indexes: a Service by key, its slices by Service. */
function lookupOf(cache: ClusterCache): NatServiceLookup {
  return {
    service: (name) => cache.get("Service", name),
    slices: (name) => cache.endpointSlicesOf(name),
  };
}

function reportOf(r: NatSyncResult): ServiceSyncReport {
  const sum = (c: { added: number; updated: number; deleted: number }): number => c.added + c.updated;
  return {
    written: sum(r.frontends) + sum(r.backends) + sum(r.sourceRanges),
    deleted: r.frontends.deleted + r.backends.deleted + r.sourceRanges.deleted + r.conntrackDeleted,
    problems: r.problems.map((p) => `service ${p.service}: ${p.reason}`),
    healthChecks: r.healthChecks,
    notProgrammed: r.notProgrammed,
  };
}
