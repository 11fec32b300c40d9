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
 * checks the maps against what it applied (nat-fingerprint.ts) and, when they differ or it cannot
 * tell, forgets what it knows and re-reads them: the safety net under both paths.
 *
 * With a state directory (AgentConfig.stateDir) the reconciler's applied state is persisted
 * (nat-snapshot.ts) a few seconds after a sync wrote something, and the first sync over a new
 * set of maps restores it instead of reading them, when the maps' fingerprint still matches:
 * a restart then recomputes only the Services whose input changed while no agent ran.
 */
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import type { ClusterCache } from "../datastore/cluster-cache.ts";
import type { RawMap } from "../datapath/maps/raw-map.ts";
import { join } from "node:path";
import { KernelNatMapBackend } from "../proxy/kernel-nat-map-backend.ts";
import type { EndpointSlice, Service } from "../model/index.ts";
import { NatReconciler } from "../proxy/nat-reconciler.ts";
import type { NatServiceLookup, NatSyncResult } from "../proxy/nat-reconciler.ts";
import type { AgentConfig } from "./agent-config.ts";
import type { AgentLogger } from "./agent-logger.ts";
import { QuietTimer } from "../datastore/quiet-timer.ts";
import { resultsFingerprint } from "./nat-fingerprint.ts";
import { inputDigest, mapsFingerprint, NatSnapshotStore } from "./nat-snapshot.ts";
import type { ServiceSyncContext, ServiceSyncFactory, ServiceSyncReport } from "./service-sync.ts";

/** How often a pass checks the NAT maps against what it applied (and re-reads them if they differ). */
const FULL_EVERY_MS = 30 * 60_000;

/**
 * SNAPSHOT_DELAY_MS: the NAT snapshot is written this long after the last sync that wrote, once
 * they stop (the agent gives the datastore's index snapshot the same delay, and releases the
 * start's memory only after both: agent.ts RELEASE_DELAY_MS).
 */
export const SNAPSHOT_DELAY_MS = 3000;

/** SNAPSHOT_MAX_DELAY_MS: under a steady stream of writes, a snapshot at least this often. */
export const SNAPSHOT_MAX_DELAY_MS = 60_000;

/** PREPARE_DELAY_MS: the serving index is built this long after a full pass (see afterPass). */
const PREPARE_DELAY_MS = 50;

/** NAT_SNAPSHOT_FILE is the snapshot's name in the agent's state directory. */
export const NAT_SNAPSHOT_FILE = "nat-state.json";

/** serviceSyncFactory returns the proxy's ServiceSync factory for this agent. */
export function serviceSyncFactory(
  config: AgentConfig,
  options: { readonly fullEveryMs?: number; readonly snapshotDelayMs?: number } = {},
): ServiceSyncFactory | undefined {
  const fullEveryMs = options.fullEveryMs ?? FULL_EVERY_MS;
  const snapshotPath = config.stateDir === undefined ? undefined : join(config.stateDir, NAT_SNAPSHOT_FILE);
  const snapshotDelayMs = options.snapshotDelayMs ?? SNAPSHOT_DELAY_MS;
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
    const natMaps = [maps.get(SL_MAP.nat_fe), maps.get(SL_MAP.nat_be), maps.get(SL_MAP.nat_src)];
    const store =
      snapshotPath === undefined
        ? undefined
        : new NatSnapshotStore(snapshotPath, (m) => log.info({ op: "nat-snapshot" }, m));
    let restoreDue = store !== undefined;
    /** What a snapshot records now: the applied results and the fingerprint of the maps holding them. */
    const capture = () => {
      const applied = reconciler.applied();
      if (applied === undefined) return undefined;
      return { ...applied, fingerprint: resultsFingerprint(applied.services.map((s) => s.result)) };
    };
    /** The reconciler whose full sync left the serving index to build (afterPass). */
    let prepareDue: NatReconciler | undefined;
    const takeSnapshot = (): void => {
      const now = store === undefined ? undefined : capture();
      if (store === undefined || now === undefined) return;
      store
        .write(now.node, now.fingerprint, now.services)
        .catch((err: unknown) =>
          log.warn({ op: "nat-snapshot", err }, `write nat snapshot ${store.path} failed`),
        );
    };
    // After the last write's lull, or once a minute under a steady stream (quiet-timer.ts): the
    // journal holds every write in between.
    const snapshotTimer = new QuietTimer(takeSnapshot, {
      quietMs: snapshotDelayMs,
      maxDelayMs: SNAPSHOT_MAX_DELAY_MS,
    });
    /**
     * After a NAT write: one journal line against the snapshot on disk (nat-snapshot.ts), so a
     * kill before the next snapshot still restores. After the write, not before it. A write by
     * the fast path changed only Services `names`: their line costs what changed (~0.1 ms); a
     * pass's line compares every applied Service with the recorded one (~5 ms at 10k Services).
     */
    const journal = (report: ServiceSyncReport, names?: ReadonlySet<string>): void => {
      // Before the first snapshot (a cold start) there is no journal to append to: not even the
      // capture, whose fingerprint of a cold start's results is ~0.25 s at 10k Services.
      if (store === undefined || !store.journaling || report.written + report.deleted === 0) return;
      try {
        if (names !== undefined) {
          const now = reconciler.appliedOf(names);
          if (now === undefined || store.journalChanged(names, now.services)) return;
        }
        const now = capture();
        if (now !== undefined) store.journal(now.fingerprint, now.services);
      } catch (err) {
        log.warn({ op: "nat-snapshot", err }, `append to the nat snapshot's journal failed`);
      }
    };
    /** After a sync that wrote (or read the maps: no usable snapshot), record the new state soon. */
    const snapshotSoon = (report: ServiceSyncReport, adopted: boolean): void => {
      if (store === undefined) return;
      if (report.written + report.deleted === 0 && !adopted) return;
      snapshotTimer.touch();
    };
    return {
      async sync(cache, context) {
        if (restoreDue && store !== undefined) {
          restoreDue = false;
          restoreFromSnapshot(store, reconciler, natMaps, cache, context, log);
        }
        if (Date.now() - fullAt >= fullEveryMs) {
          fullAt = Date.now();
          // The safety net: the maps must hold exactly what this agent applied (their fingerprint
          // against the applied results', one batch read). When they do not — another writer, a
          // write this agent lost track of — or the reconciler cannot vouch for them (maps full, a
          // failed write), a new reconciler adopts the maps and diffs every Service against them
          // (~2 s of loop at 10k Services, where the check is ~0.1–0.3 s).
          const applied = reconciler.applied();
          const same =
            applied !== undefined &&
            mapsFingerprint(natMaps) === resultsFingerprint(applied.services.map((a) => a.result));
          if (!same) {
            if (applied !== undefined)
              log.warn(
                { op: "nat-check" },
                "the NAT maps differ from what this agent wrote: reading them again and rewriting what differs",
              );
            reconciler = new NatReconciler(backend, options);
            last = undefined;
          }
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
        journal(report);
        snapshotSoon(report, r.adopted);
        prepareDue = reconciler;
        return report;
      },
      afterPass() {
        // The fast path's index of serving endpoints: built after the pass, so neither the pass
        // (readiness: scheduled in its waits for the hand-over's tools it held up their
        // completion) nor the next change (its latency) waits for it. On a timer, not
        // setImmediate: an immediate runs before the loop next reads its sockets, so a readiness
        // probe that arrived during the pass was answered only after the build (~85 ms at 10k
        // Services, ~1.3 s at 100k, of a restart's ready time; bench/README.md).
        const prepared = prepareDue;
        prepareDue = undefined;
        if (prepared !== undefined) setTimeout(() => prepared.prepare(), PREPARE_DELAY_MS).unref();
      },
      syncChanged(cache, names, context) {
        const r = reconciler.syncServices(names, lookupOf(cache), context);
        if (r === undefined) return undefined;
        const report = reportOf(r);
        // Every change the cache holds went through here (the agent hands each event's names
        // over at once), so a pass with nothing newer has nothing to do for Services.
        last = { input: inputKey(cache, context), report };
        journal(report, names);
        snapshotSoon(report, false);
        return report;
      },
      async close() {
        // The reconciler holds no fds (the maps belong to the agent), but its clean-up may be
        // reading sl_ct on a worker thread: the maps are closed after this returns.
        await reconciler.idle();
        // Record a pending snapshot at once, else let a running write finish (it holds the
        // latest state).
        if (store === undefined) return;
        if (snapshotTimer.pending) {
          snapshotTimer.cancel();
          const now = capture();
          try {
            if (now !== undefined) store.writeNow(now.node, now.fingerprint, now.services);
          } catch (err) {
            log.warn({ op: "nat-snapshot", err }, `write nat snapshot ${store.path} failed`);
          }
        }
        await store.idle();
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

/**
 * restoreFromSnapshot seeds a fresh reconciler from the NAT snapshot when the live maps are the
 * ones it recorded (their fingerprint); true when it did. The Services whose input digest
 * matches are reused, every other one is recomputed by the sync that follows.
 */
function restoreFromSnapshot(
  store: NatSnapshotStore,
  reconciler: NatReconciler,
  natMaps: readonly RawMap[],
  cache: ClusterCache,
  context: ServiceSyncContext,
  log: AgentLogger,
): boolean {
  const node = { nodeName: context.nodeName, nodeAddresses: context.nodeAddresses };
  try {
    const snap = store.load(node);
    if (snap === undefined) return false;
    if (mapsFingerprint(natMaps) !== snap.fingerprint) {
      log.info(
        { op: "nat-snapshot" },
        `nat snapshot ${store.path} not used: the pinned maps changed since it was taken; reading the maps`,
      );
      return false;
    }
    const reuse = new Map<string, { service: Service; slices: readonly EndpointSlice[]; claims: string }>();
    for (const s of snap.services) {
      const name = s.result.name;
      const service = cache.get("Service", name);
      if (service === undefined) continue;
      const slices = cache.endpointSlicesOf(name);
      if (inputDigest(service, slices) === s.digest) reuse.set(name, { service, slices, claims: s.claims });
    }
    reconciler.restore(
      node,
      snap.services.map((s) => s.result),
      reuse,
    );
    log.info(
      { op: "nat-snapshot", services: snap.services.length, unchanged: reuse.size },
      `restored nat state from ${store.path}`,
    );
    return true;
  } catch (err) {
    log.warn({ op: "nat-snapshot", err }, `restore nat snapshot ${store.path} failed; reading the maps`);
    return false;
  }
}
