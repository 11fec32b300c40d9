/**
 * serviceSyncFactory wires the service proxy into the agent's loop: a NatReconciler over the
 * pinned NAT (sl_nat_src included, for loadBalancerSourceRanges), conntrack and affinity maps, fed the cluster's Services and EndpointSlices. A new
 * reconciler per set of maps adopts what they hold, so neither a restart nor a map rebuild
 * rewrites unchanged services. A pass whose input did not move since the last successful one
 * (same cache generation, same node) is skipped: the reconciler would recompute 10,000 Services
 * from its cache to write nothing, and the periodic resync would pay that every 30 s.
 */
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import { KernelNatMapBackend } from "../proxy/kernel-nat-map-backend.ts";
import { NatReconciler } from "../proxy/nat-reconciler.ts";
import type { AgentConfig } from "./agent-config.ts";
import type { ServiceSyncFactory, ServiceSyncReport } from "./service-sync.ts";

/** serviceSyncFactory returns the proxy's ServiceSync factory for this agent. */
export function serviceSyncFactory(_config: AgentConfig): ServiceSyncFactory | undefined {
  return (maps, log) => {
    const reconciler = new NatReconciler(
      new KernelNatMapBackend({
        frontends: maps.get(SL_MAP.nat_fe),
        backends: maps.get(SL_MAP.nat_be),
        conntrack: maps.get(SL_MAP.ct),
        affinity: maps.get(SL_MAP.affinity),
        sourceRanges: maps.get(SL_MAP.nat_src),
      }),
      { logger: log },
    );
    let last: { input: string; report: ServiceSyncReport } | undefined;
    return {
      async sync(cache, context) {
        const input = `${cache.generation}\n${context.nodeName}\n${context.nodeAddresses.join(",")}`;
        if (last?.input === input) return { ...last.report, written: 0, deleted: 0 };
        const r = reconciler.sync({
          services: cache.list("Service"),
          endpointSlices: cache.list("EndpointSlice"),
          nodeName: context.nodeName,
          nodeAddresses: context.nodeAddresses,
        });
        const sum = (c: { added: number; updated: number; deleted: number }): number => c.added + c.updated;
        const report: ServiceSyncReport = {
          written: sum(r.frontends) + sum(r.backends) + sum(r.sourceRanges),
          deleted: r.frontends.deleted + r.backends.deleted + r.sourceRanges.deleted + r.conntrackDeleted,
          problems: r.problems.map((p) => `service ${p.service}: ${p.reason}`),
          healthChecks: r.healthChecks,
          notProgrammed: r.notProgrammed,
        };
        last = { input, report };
        return report;
      },
      async close() {
        // the reconciler holds no fds: the maps belong to the agent
      },
    };
  };
}
