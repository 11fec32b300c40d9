/**
 * Agent is `sluice agent`: it watches the datastore and the node's links, and keeps the datapath
 * in sync through one debounced loop (DataplaneSync). It serves /liveness, /readiness and
 * /metrics, and exports datapath counters. Stopping it leaves every pin in place, so traffic
 * keeps flowing until the next agent adopts them. Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN).
 */
import { dirname, join } from "node:path";
import { readCachedCollectionSpec } from "./cached-collection-spec.ts";
import { sliceEndpointsCached } from "../calc/slice-endpoints.ts";
import { ConntrackSweeper } from "../datapath/conntrack-sweeper.ts";
import type { Watch } from "../datastore/datastore.ts";
import type { Datastore } from "../datastore/datastore.ts";
import { openDatastore } from "../datastore/open-datastore.ts";
import { snapshotWritesInFlight } from "../datastore/snapshot-writer.ts";
import { formatResourceKey } from "../model/resource-key.ts";
import { LinkMonitor } from "../netlink/monitor.ts";
import { HealthServer } from "../proxy/kube-proxy-health-server.ts";
import type { AgentConfig } from "./agent-config.ts";
import type { AgentLogger } from "./agent-logger.ts";
import { AgentMetrics } from "./agent-metrics.ts";
import { ClusterCache } from "../datastore/cluster-cache.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import {
  readCounterTotals,
  readMapCapacity,
  readMapEntries,
  readPolicyLogLost,
} from "../datapath/datapath-stats.ts";
import { DataplaneSync } from "./dataplane-sync.ts";
import { kernelPolicySync } from "./kernel-policy-sync.ts";
import { startHttpEndpoints } from "./http-endpoints.ts";
import type { HealthStatus, HttpEndpoints } from "./http-endpoints.ts";
import type { ServiceSyncFactory } from "./service-sync.ts";
import { SNAPSHOT_DELAY_MS, SNAPSHOT_MAX_DELAY_MS } from "./proxy-service-sync.ts";
import { getHeapSpaceStatistics } from "node:v8";
import { releaseMemory, shrinkYoungGenerationWhenQuiet } from "./release-memory.ts";
import { MemoryReleaseSchedule } from "./memory-release-schedule.ts";
import { mallocTrim } from "../kernel/libc.ts";
import { runStartupChecks } from "./startup-checks.ts";
import { SyncScheduler } from "./sync-scheduler.ts";
import { sliceServiceKey } from "../datastore/cluster-cache.ts";
import type { DatastoreEvent } from "../datastore/datastore.ts";
import type { Resource } from "../model/resource.ts";
import { FlowLogService } from "./flow-log-service.ts";
import { DnsPolicyService } from "./dns-policy-service.ts";
import { trustedDnsServers } from "./trusted-dns-servers.ts";
import { ruleLabel } from "../policy/rule-ids.ts";
import { EndpointNames } from "../flowlogs/endpoint-names.ts";

/** AgentOptions injects the logger and the service proxy. */
export interface AgentOptions {
  readonly log: AgentLogger;
  readonly services?: ServiceSyncFactory;
  /** Skip `sluice check` (tests); failed check names to pretend instead. */
  readonly failedChecks?: readonly string[];
}

/** What the agent needs from the datapath object: the four tc programs and the maps it writes. */
const REQUIRED_OBJECTS = [
  "from_wep",
  "to_wep",
  "from_hep",
  "to_hep",
  SL_MAP.routes,
  SL_MAP.globals,
  SL_MAP.nat_fe,
  SL_MAP.nat_be,
  SL_MAP.ct,
  SL_MAP.affinity,
  SL_MAP.counters,
  SL_MAP.pol_jump,
  SL_MAP.pol_endpoints,
  SL_MAP.ipsets,
  SL_MAP.pol_hits,
] as const;

const RESYNC_MS = 30_000;
/** The file datastore's index snapshot in the state directory (src/datastore/index-snapshot.ts). */
const DATASTORE_SNAPSHOT_FILE = "datastore-index.json";
const COUNTERS_MS = 5_000;
const PENDING_RETRY_MS = 500;
const ERROR_RETRY_MS = 2_000;
/**
 * A sync pass this long (the first one, a full resync, a map rebuild at thousands of Services)
 * leaves most of what it allocated as garbage: the heap is compacted and malloc trimmed after it
 * (releaseMemory), at most once per RELEASE_EVERY_MS, RELEASE_DELAY_MS later so the pass's own
 * follow-up work is done first: the fast path's index (the next turn of the loop) and the
 * restart snapshots (the NAT state and the datastore's index, each written SNAPSHOT_DELAY_MS
 * after the last change once changes stop; their serialization left ~25 MB of RSS behind at 10,000
 * Services when the release ran before them — bench/README.md).
 */
const RELEASE_AFTER_SYNC_S = 1;
const RELEASE_DELAY_MS = SNAPSHOT_DELAY_MS + 1_500;
const RELEASE_EVERY_MS = 60_000;
/**
 * A stream of small changes with this much sync work since the last release is judged too, after
 * the same pause or at the latest RELEASE_MAX_DELAY_MS into a stream that never pauses
 * (memory-release-schedule.ts). 0.1 s: 600 changes at 1,000 Services add up to ~0.2 s.
 */
const RELEASE_AFTER_WORK_S = 0.1;
const RELEASE_MAX_DELAY_MS = 10 * 60_000;
/**
 * After the release, a scavenge once the allocation has been quiet longer than V8's ~5 s window,
 * so the young generation the pass grew shrinks back (see shrinkYoungGeneration).
 */
const YOUNG_SHRINK_DELAY_MS = 6_000;
const YOUNG_SHRINK_TRIES = 5;

/** Agent is a running node agent. */
export class Agent {
  readonly metrics = new AgentMetrics();
  readonly #config: AgentConfig;
  readonly #log: AgentLogger;
  readonly #cache = new ClusterCache();
  readonly #timers: NodeJS.Timeout[] = [];
  #sync!: DataplaneSync;
  #scheduler!: SyncScheduler;
  #datastore: Datastore | undefined;
  #watch: Watch | undefined;
  #monitor: LinkMonitor | undefined;
  #http: HttpEndpoints | undefined;
  #proxyHealth: HealthServer | undefined;
  #sweeper: ConntrackSweeper | undefined;
  #flowLogs: FlowLogService | undefined;
  #dns: DnsPolicyService | undefined;
  #names: { generation: number; names: EndpointNames } | undefined;
  readonly #memory = new MemoryReleaseSchedule(
    {
      afterPassS: RELEASE_AFTER_SYNC_S,
      afterWorkS: RELEASE_AFTER_WORK_S,
      delayMs: RELEASE_DELAY_MS,
      maxDelayMs: RELEASE_MAX_DELAY_MS,
      everyMs: RELEASE_EVERY_MS,
    },
    {
      release: (after) => this.#releaseMemory(after),
      trim: () => this.#trimMalloc(),
      heapSpaces: getHeapSpaceStatistics,
      busy: () => snapshotWritesInFlight() > 0,
    },
  );
  #lastSync: { at: string; ok: boolean; error?: string; pending: number } | undefined;
  #lastTick = Date.now();
  /** Services ("namespace/name") whose change waits for the fast path (this turn of the loop). */
  #pendingServices = new Set<string>();
  #policyChangeQueued = false;
  #stopped = false;

  private constructor(config: AgentConfig, log: AgentLogger) {
    this.#config = config;
    this.#log = log;
  }

  /** Agent.start runs the startup checks, opens everything, and syncs once the datastore has delivered its state. */
  static async start(config: AgentConfig, options: AgentOptions): Promise<Agent> {
    const a = new Agent(config, options.log);
    try {
      await a.#start(options);
    } catch (e) {
      await a.stop();
      throw e;
    }
    return a;
  }

  async #start(options: AgentOptions): Promise<void> {
    const log = this.#log;
    const c = this.#config;
    log.info(
      { op: "start", datastore: c.datastoreDir, pinDir: c.pinDir, nodeIp: c.nodeIp ?? "autodetect" },
      `sluice agent starting on node ${c.nodeName}`,
    );
    this.#http = await startHttpEndpoints(
      { health: c.healthPort, metrics: c.metricsPort },
      () => this.health(),
      this.metrics,
      () => this.#flowLogs?.source,
      () => this.#dns?.dump((n) => this.#sync.policy?.calc.policiesUsingDomain(n) ?? []) ?? [],
    );
    this.#flowLogs = new FlowLogService({
      log,
      counts: this.metrics.flowLogs,
      names: () => {
        // dest_domains: what DNS policy saw each pod look up (nothing while it is off)
        const names = this.#endpointNames();
        return {
          endpoint: (ip: string) => names.endpoint(ip),
          service: (ip: string, port: number, proto: number) => names.service(ip, port, proto),
          domains: (client: string, ip: string) => this.#dns?.domainsOf(client, ip) ?? [],
        };
      },
      ruleLabel: (id) => {
        const info = this.#sync.policy?.ids.info(id);
        return info === undefined ? undefined : ruleLabel(info);
      },
    });
    this.#dns = new DnsPolicyService({
      log,
      trusted: () => trustedDnsServers(this.#cache, this.#sync.settings?.dns.trustedServers),
      extraTtlS: () => this.#sync.settings?.dns.extraTtlS ?? 0,
    });
    if (c.healthzPort > 0) {
      // Not fatal: probes fail visibly, and the datapath matters more than its health check.
      this.#proxyHealth = await HealthServer.start({ healthzPort: c.healthzPort, logger: log }).catch(
        (e: unknown) => {
          log.error(
            { op: "healthz", err: e },
            `kube-proxy health server on port ${c.healthzPort} did not start`,
          );
          return undefined;
        },
      );
    }
    const failed = [...(options.failedChecks ?? runStartupChecks(log).failed)];
    // Through the parsed-object cache in the state dir: a restart skips parsing tc.o (issue 10).
    const readSpec = (path: string) =>
      readCachedCollectionSpec(path, c.stateDir, (m) => log.warn({ op: "startup" }, m)).then((r) => r.spec);
    const spec = await readSpec(c.objectPath).catch((e: unknown) => {
      log.error({ op: "startup", err: e }, `read datapath object ${c.objectPath} failed`);
      failed.push("datapath-object");
      return undefined;
    });
    const missing =
      spec === undefined ? [] : REQUIRED_OBJECTS.filter((n) => !spec.programs.has(n) && !spec.maps.has(n));
    if (missing.length > 0) {
      log.error({ op: "startup" }, `datapath object ${c.objectPath} lacks ${missing.join(", ")}`);
      failed.push("datapath-object");
    }
    // doNotTrack ingress runs xdp.o, beside the tc object; without it that policy is reported only.
    const xdpPath = join(dirname(c.objectPath), "xdp.o");
    const xdpSpec = await readSpec(xdpPath).catch((e: unknown) => {
      log.warn(
        { op: "startup", err: e },
        `read ${xdpPath} failed: doNotTrack ingress will not be programmed`,
      );
      return undefined;
    });
    this.#sync = new DataplaneSync({
      config: c,
      spec: spec ?? { maps: new Map(), programs: new Map(), license: "" },
      ...(xdpSpec ? { xdpSpec } : {}),
      cache: this.#cache,
      log,
      metrics: this.metrics,
      failedChecks: failed,
      ...(options.services ? { services: options.services } : {}),
      policy: kernelPolicySync(c.pinDir),
      mapsRetiring: (maps) => {
        this.#flowLogs?.retire(maps);
        this.#dns?.retire(maps);
      },
    });
    // The maps' creation (kernel time) overlaps the datastore's first read below.
    this.#sync.prepareMaps();
    this.#scheduler = new SyncScheduler((reasons) => this.#runSync(reasons), {
      debounceMs: 100,
      maxDelayMs: 1000,
    });
    this.#sweeper = this.#conntrackSweeper();
    this.metrics.setOccupancyReader({
      entries: () => readMapEntries(this.#sync.maps),
      capacity: () => readMapCapacity(this.#sync.maps),
    });
    this.#datastore = await openDatastore(c.datastore, {
      debug: (message) => log.debug({ op: "datastore" }, message),
      ...(c.stateDir !== undefined
        ? {
            snapshot: {
              path: join(c.stateDir, DATASTORE_SNAPSHOT_FILE),
              delayMs: SNAPSHOT_DELAY_MS,
              maxDelayMs: SNAPSHOT_MAX_DELAY_MS,
              log: (message: string) => log.info({ op: "datastore-snapshot" }, message),
              // Not before the first pass is done: its readiness answer must not wait behind the capture.
              held: () => this.#lastSync === undefined,
            },
          }
        : {}),
    });
    this.#watch = await this.#datastore.watch(
      (event) => {
        if (event.type === "rejected") {
          const what = event.key ? formatResourceKey(event.key) : "manifest";
          log.warn(
            { op: "validate", source: event.source, field: event.error.field },
            `rejected ${what} (${event.source}): ${event.error.reason}`,
          );
        }
        if (!this.#cache.apply(event)) return;
        this.#proxyHealth?.queuedUpdate();
        this.#updateRejectedMetric();
        if (!this.#cache.synced) return;
        const services = changedServices(event);
        if (services !== undefined) this.#queueServiceChanges(services);
        else {
          if (changesPolicyMembers(event)) this.#queuePolicyChanges();
          // The initial state is whole: its pass starts at once, not after the debounce.
          if (event.type === "synced") this.#scheduler.requestNow("initial state");
          else this.#scheduler.request(`datastore ${event.type}`);
        }
      },
      { onError: (e) => log.error({ op: "watch", err: e }, "datastore watch listener failed") },
    );
    if (!failed.includes("privileges")) {
      this.#monitor = LinkMonitor.open(
        (e) => {
          if (e.type === "error") log.warn({ op: "monitor", err: e.error }, "link monitor error");
          else if (e.type !== "link-changed" && this.#cache.synced) this.#scheduler.request(e.type);
        },
        { routes: true },
      );
    }
    this.#every(RESYNC_MS, () => this.#scheduler.request("periodic resync"));
    this.#every(COUNTERS_MS, () => this.#observeCounters());
    this.#every(1000, () => (this.#lastTick = Date.now()));
  }

  /**
   * Calico's conntrack scanner: expiry, stale NAT, DoubleIfFull (a rebuild in the next sync
   * pass). Started by the first completed pass, not here: until then the cache is not the
   * cluster (a sweep judged every NAT flow's backend against a partial one, and at 100k Services
   * its first sweep, 10 s in, took ~3 s of the start's event loop).
   */
  #conntrackSweeper(): ConntrackSweeper {
    const sweeper = new ConntrackSweeper({
      maps: () => {
        const m = this.#sync.maps;
        const ct = m?.byName.get(SL_MAP.ct);
        const natBe = m?.byName.get(SL_MAP.nat_be);
        return ct && natBe ? { ct, natBe } : undefined;
      },
      timeouts: () => this.#sync.settings?.ctTimeouts ?? {},
      endpoints: sliceEndpointsCached(this.#cache),
      doubleIfFull: () => this.#sync.settings?.conntrackDoubleIfFull ?? true,
      natGeneration: () => this.#sync.natGeneration,
      grow: (to) => {
        this.#sync.growConntrack(to);
        this.#scheduler.request("conntrack table full");
      },
      log: this.#log,
      registry: this.metrics.registry,
    });
    return sweeper;
  }

  /** Gives malloc's free memory back alone, when #memory found no slack in V8's heap. */
  #trimMalloc(): void {
    if (this.#stopped) return;
    const rssBefore = process.memoryUsage.rss();
    mallocTrim(0);
    const rssAfter = process.memoryUsage.rss();
    this.#log.debug({ op: "memory", rssBefore, rssAfter }, "trimmed malloc after a stream of changes");
  }

  /** Gives the heap's slack back to the kernel (see releaseMemory) when #memory says so. */
  #releaseMemory(after: string): void {
    if (this.#stopped) return;
    const r = releaseMemory();
    this.#log.debug(
      {
        op: "memory",
        ms: Math.round(r.ms),
        rssBefore: r.before.rss,
        rssAfter: r.after.rss,
        heapUsedBefore: r.before.heapUsed,
        heapUsedAfter: r.after.heapUsed,
      },
      `released memory after ${after}`,
    );
    shrinkYoungGenerationWhenQuiet({
      delayMs: YOUNG_SHRINK_DELAY_MS,
      tries: YOUNG_SHRINK_TRIES,
      stopped: () => this.#stopped,
      done: (y, tries) =>
        this.#log.debug(
          {
            op: "memory",
            tries,
            newSpaceBefore: y.beforeBytes,
            newSpaceAfter: y.afterBytes,
            rssBefore: y.rssBefore,
            rssAfter: y.rssAfter,
          },
          `shrank the young generation after ${after}`,
        ),
    });
  }

  #every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.#timers.push(t);
  }

  async #runSync(reasons: readonly string[]): Promise<void> {
    if (this.#stopped) return;
    const end = this.metrics.syncDuration.startTimer();
    try {
      const out = await this.#sync.sync();
      const seconds = end({ result: "ok" });
      this.#memory.passed(seconds);
      this.metrics.syncs.inc({ result: "ok" });
      this.#lastSync = { at: new Date().toISOString(), ok: true, pending: out.pending };
      this.#sweeper?.start();
      this.#log.debug({ op: "sync", reasons, seconds, mode: out.mode.mode }, "synced");
      this.#proxyHealth?.updated();
      this.#configureFlowLogs();
      this.#configureDnsPolicy();
      await this.#proxyHealth?.syncServices(out.healthChecks);
      if (out.pending > 0) this.#retry(PENDING_RETRY_MS, "pending pods");
      this.#observeCounters();
    } catch (e) {
      end({ result: "error" });
      this.metrics.syncs.inc({ result: "error" });
      this.#lastSync = { at: new Date().toISOString(), ok: false, error: (e as Error).message, pending: 0 };
      this.#log.error({ op: "sync", reasons, err: e }, "sync failed; retrying");
      this.#retry(ERROR_RETRY_MS, "retry after error");
    }
  }

  /**
   * A Service or EndpointSlice changed: its NAT entries are written right away (after the
   * events of this turn of the loop, so a burst is one write), not after the pass's debounce —
   * the change-to-dataplane latency. When the fast path cannot tell, the pass does it.
   */
  #queueServiceChanges(names: readonly string[]): void {
    const first = this.#pendingServices.size === 0;
    for (const n of names) this.#pendingServices.add(n);
    if (first) setImmediate(() => this.#flushServiceChanges());
  }

  #flushServiceChanges(): void {
    const names = this.#pendingServices;
    this.#pendingServices = new Set();
    if (this.#stopped || names.size === 0) return;
    const t0 = performance.now();
    try {
      const report = this.#sync.syncServiceChanges(names);
      this.#memory.changed((performance.now() - t0) / 1000);
      if (report === undefined) {
        this.#scheduler.request("service change");
        return;
      }
      this.metrics.serviceChanges.inc();
      this.#proxyHealth?.updated();
      void this.#proxyHealth
        ?.syncServices(report.healthChecks)
        .catch((e: unknown) => this.#log.warn({ op: "healthz", err: e }, "update health check ports failed"));
    } catch (e) {
      this.#log.error({ op: "sync", err: e }, "sync of changed services failed; running a full pass");
      this.#scheduler.request("retry after error");
    }
  }

  /**
   * A Pod, Namespace or NetworkSet changed: policy's IP sets follow at once (one policy pass after
   * the events of this turn of the loop, usually a few sl_ipsets writes), not after the pass's
   * debounce; the pass still runs for what else the event changes (routes, a new pod's veth).
   */
  #queuePolicyChanges(): void {
    if (this.#policyChangeQueued) return;
    this.#policyChangeQueued = true;
    setImmediate(() => {
      this.#policyChangeQueued = false;
      if (this.#stopped) return;
      this.#sync.syncPolicyChanges().catch((e: unknown) => {
        this.#log.error({ op: "policy", err: e }, "policy fast path failed; the next pass retries");
        this.#scheduler.request("retry after error");
      });
    });
  }

  // DNS policy runs while policy does (the datapath holds answers only while it beats).
  #configureDnsPolicy(): void {
    try {
      this.#dns?.configure(this.#sync.maps, this.#sync.policy);
    } catch (e) {
      this.#log.error({ op: "dns-policy", err: e }, "start DNS policy failed");
    }
  }

  // Flow logs follow FelixConfiguration (the sync wrote the datapath flag); not fatal when they fail.
  #configureFlowLogs(): void {
    try {
      this.#flowLogs?.configure(this.#sync.settings?.flowLogs, this.#sync.maps);
    } catch (e) {
      this.#log.error({ op: "flowlogs", err: e }, "start flow logs failed");
    }
  }

  // Names for flow records, rebuilt only when the cache changed.
  #endpointNames(): EndpointNames {
    const g = this.#cache.generation;
    if (this.#names?.generation !== g) {
      const names = new EndpointNames({
        nodeName: this.#config.nodeName,
        pods: this.#cache.list("Pod"),
        services: this.#cache.list("Service"),
        hostEndpoints: this.#cache.list("HostEndpoint"),
        networkSets: [...this.#cache.list("NetworkSet"), ...this.#cache.list("GlobalNetworkSet")],
      });
      this.#names = { generation: g, names };
    }
    return this.#names.names;
  }

  #retry(ms: number, reason: string): void {
    const t = setTimeout(() => this.#scheduler.request(reason), ms);
    t.unref();
  }

  #observeCounters(): void {
    try {
      this.metrics.observeCounters(readCounterTotals(this.#sync.maps));
      const lost = this.metrics.observePolicyLogLost(readPolicyLogLost(this.#sync.maps));
      if (lost > 0)
        this.#log.warn(
          { op: "policy-log", lost },
          `${lost} Log rule event(s) lost: sl_pol_events was full (raise bpfExportBufferSizeMB)`,
        );
    } catch (e) {
      this.#log.debug({ op: "counters", err: e }, "read counters failed");
    }
  }

  #updateRejectedMetric(): void {
    this.metrics.rejected.reset();
    const byKind = new Map<string, number>();
    for (const r of this.#cache.rejections)
      byKind.set(r.key?.kind ?? "unknown", (byKind.get(r.key?.kind ?? "unknown") ?? 0) + 1);
    for (const [kind, n] of byKind) this.metrics.rejected.set({ kind }, n);
  }

  /** health is what /liveness and /readiness report. */
  health(): HealthStatus {
    const mode = this.#sync?.mode;
    const live = !this.#stopped && Date.now() - this.#lastTick < 60_000;
    // Falling back because eBPF mode cannot run is "not ready": the node is not what was asked for.
    const forced = mode?.mode === "standard" && mode.reason.startsWith("startup checks failed");
    const ready = live && this.#lastSync?.ok === true && !forced;
    return {
      live,
      ready,
      detail: {
        node: this.#config.nodeName,
        mode: mode?.mode ?? "starting",
        dataplane: this.#sync?.dataplane ?? "starting",
        reason: mode?.reason ?? "waiting for the first sync",
        nodeIp: this.#sync?.nodeIp ?? null,
        lastSync: this.#lastSync ?? null,
        rejected: this.#cache.rejections.map((r) => ({ source: r.source, error: r.error.message })),
      },
    };
  }

  /** synced resolves after the next completed sync pass (tests, `--once`). */
  async idle(): Promise<void> {
    await this.#scheduler.idle();
  }

  /** stop ends the loop and closes every fd and socket; pinned maps and links stay. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const t of this.#timers) clearInterval(t);
    this.#memory.close();
    this.#watch?.close();
    this.#monitor?.close();
    await this.#sweeper?.stop();
    await this.#scheduler?.stop();
    await this.#datastore?.close();
    this.#flowLogs?.close();
    this.#dns?.close();
    await this.#sync?.close();
    await this.#http?.close();
    await this.#proxyHealth?.close();
    this.#log.info({ op: "stop" }, "sluice agent stopped; pinned programs keep the datapath running");
  }
}

/** POLICY_MEMBER_KINDS are the kinds whose changes move addresses in and out of policy IP sets. */
const POLICY_MEMBER_KINDS: ReadonlySet<string> = new Set([
  "Pod",
  "Namespace",
  "NetworkSet",
  "GlobalNetworkSet",
]);

/** changesPolicyMembers says whether an event may change policy IP-set membership. */
function changesPolicyMembers(event: DatastoreEvent): boolean {
  if (event.type === "added") return POLICY_MEMBER_KINDS.has(event.resource.kind);
  if (event.type === "updated") return POLICY_MEMBER_KINDS.has(event.resource.kind);
  if (event.type === "deleted") return POLICY_MEMBER_KINDS.has(event.previous.kind);
  return false;
}

/** changedServices names the Services ("namespace/name") an event changes, or undefined when it is not a Service or EndpointSlice event. */
function changedServices(event: DatastoreEvent): readonly string[] | undefined {
  const of = (r: Resource): string | undefined =>
    r.kind === "Service"
      ? `${r.metadata.namespace ?? "default"}/${r.metadata.name}`
      : r.kind === "EndpointSlice"
        ? sliceServiceKey(r)
        : undefined;
  const names: (string | undefined)[] = [];
  if (event.type === "added" || event.type === "updated") names.push(of(event.resource));
  if (event.type === "updated" || event.type === "deleted") names.push(of(event.previous));
  if (names.length === 0 || names.some((n) => n === undefined)) return undefined;
  return names as string[];
}
