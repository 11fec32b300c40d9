/**
 * AgentMetrics is the agent's Prometheus registry: sync latency, map occupancy per map, datapath
 * drop counters per reason (from sl_counters), resources rejected by validation, the dataplane
 * mode and attached interfaces. Values are set by the agent; map occupancy is read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { FlowLogCounts } from "./flow-log-service.ts";

/**
 * MapOccupancyReader gives entries and capacity per map name, read when scraped: apart, because
 * counting entries walks the maps (~35 ms of CPU at 10k Services, ~0.36 s at 100k) and a
 * capacity is max_entries — one reader of both walked every map twice per scrape.
 */
export interface MapOccupancyReader {
  entries(): readonly { readonly map: string; readonly entries: number }[];
  capacity(): readonly { readonly map: string; readonly capacity: number }[];
}

/**
 * EVENT_LOOP_MONITOR_MS is the sampling period of the event-loop lag metrics. prom-client's
 * default, 10 ms, wakes the process 100 times a second: ~0.8 % of a core on this VM, which is most
 * of what an idle agent costs. Lag that matters to a dataplane agent is tens of ms and up.
 */
export const EVENT_LOOP_MONITOR_MS = 100;

/** AgentMetrics holds every metric the agent exports. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly syncDuration: Histogram<"result">;
  readonly syncs: Counter<"result">;
  /** Service/EndpointSlice changes written by the fast path (outside the pass). */
  readonly serviceChanges: Counter;
  readonly datapathPackets: Counter<"reason">;
  readonly datapathDrops: Counter<"reason">;
  readonly rejected: Gauge<"kind">;
  readonly mode: Gauge<"mode" | "reason">;
  readonly activeDataplane: Gauge<"dataplane">;
  readonly interfaces: Gauge<"role">;
  readonly mapRebuilds: Counter<"map">;
  /** Services kept out of the NAT maps because a map is full, by map (0 when every one fits). */
  readonly servicesNotProgrammed: Gauge<"map">;
  /** Local endpoints (pod veths, host interfaces) with a sl_pol_endpoints entry. */
  readonly policyEndpoints: Gauge;
  /** Policy program chunks this agent loaded and keeps in sl_pol_jump. */
  readonly policyPrograms: Gauge;
  /** Members in sl_ipsets. */
  readonly ipSetEntries: Gauge;
  /** Endpoint policy applies that failed (compile, verifier, no free slots), by outcome. */
  readonly policyApplyFailures: Counter<"outcome">;
  /** Flow logs: events read, records written, events lost (ring full), malformed events. */
  readonly flowLogs: FlowLogCounts;
  /** Log rules' events the ring could not take (sl_pol_hits' lost-Log slot). */
  readonly policyLogLost: Counter;
  readonly #last = new Map<string, bigint>();
  #logLostSeen = 0n;
  #occupancy: MapOccupancyReader = { entries: () => [], capacity: () => [] };

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({
      register: this.registry,
      prefix: "sluice_agent_",
      eventLoopMonitoringPrecision: EVENT_LOOP_MONITOR_MS,
    });
    this.syncDuration = new Histogram({
      name: "sluice_sync_duration_seconds",
      help: "Time of one dataplane sync (datastore state to maps and programs)",
      labelNames: ["result"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.syncs = new Counter({
      name: "sluice_syncs_total",
      help: "Dataplane syncs by result",
      labelNames: ["result"],
      registers,
    });
    this.serviceChanges = new Counter({
      name: "sluice_service_change_syncs_total",
      help: "Service and EndpointSlice changes written to the NAT maps at once, outside the dataplane sync pass",
      registers,
    });
    this.datapathPackets = new Counter({
      name: "sluice_datapath_packets_total",
      help: "Packets counted by the datapath per reason (sl_counters summed over CPUs and interfaces); DROP_* reasons are drops",
      labelNames: ["reason"],
      registers,
    });
    this.policyLogLost = new Counter({
      name: "sluice_policy_log_events_lost_total",
      help: "Log rules' events the datapath could not put on sl_pol_events (ring buffer full; raise bpfExportBufferSizeMB)",
      registers,
    });
    this.datapathDrops = new Counter({
      name: "sluice_datapath_drops_total",
      help: "Packets the datapath dropped, per reason (the DROP_* counters of sl_counters)",
      labelNames: ["reason"],
      registers,
    });
    this.rejected = new Gauge({
      name: "sluice_resources_rejected",
      help: "Manifests currently rejected by validation, by kind",
      labelNames: ["kind"],
      registers,
    });
    this.mode = new Gauge({
      name: "sluice_dataplane_mode",
      help: "1 for the dataplane mode in effect (bpf or standard), with the reason",
      labelNames: ["mode", "reason"],
      registers,
    });
    this.activeDataplane = new Gauge({
      name: "sluice_dataplane_active",
      help: "1 for the dataplane serving Services: bpf, nftables-fallback, or routing-only (the fallback could not be applied)",
      labelNames: ["dataplane"],
      registers,
    });
    this.interfaces = new Gauge({
      name: "sluice_attached_interfaces",
      help: "Interfaces with Sluice programs attached, by role",
      labelNames: ["role"],
      registers,
    });
    this.mapRebuilds = new Counter({
      name: "sluice_map_rebuilds_total",
      help: "Maps rebuilt because bpfMapSize* changed",
      labelNames: ["map"],
      registers,
    });
    this.servicesNotProgrammed = new Gauge({
      name: "sluice_services_not_programmed",
      help: "Services kept out of the NAT maps because the map is full (raise its bpfMapSize* field), by map",
      labelNames: ["map"],
      registers,
    });
    for (const map of ["sl_nat_fe", "sl_nat_be", "sl_nat_src"]) this.servicesNotProgrammed.set({ map }, 0);
    this.policyEndpoints = new Gauge({
      name: "sluice_policy_endpoints",
      help: "Local endpoints (pod veths, host interfaces) policed: with a sl_pol_endpoints entry",
      registers,
    });
    this.policyPrograms = new Gauge({
      name: "sluice_policy_programs_loaded",
      help: "Policy program chunks the agent loaded into sl_pol_jump",
      registers,
    });
    this.ipSetEntries = new Gauge({
      name: "sluice_ipset_entries",
      help: "IP set members in sl_ipsets",
      registers,
    });
    this.policyApplyFailures = new Counter({
      name: "sluice_policy_apply_failures_total",
      help: "Endpoint policy programs that could not be built or loaded; outcome kept-previous (the endpoint runs its old programs) or failed-closed (new flows dropped)",
      labelNames: ["outcome"],
      registers,
    });
    this.flowLogs = flowLogCounters(registers);
    const occupancy = (): MapOccupancyReader => this.#occupancy;
    new Gauge({
      name: "sluice_map_entries",
      help: "Entries in each datapath map",
      labelNames: ["map"],
      registers,
      collect() {
        for (const o of occupancy().entries()) this.set({ map: o.map }, o.entries);
      },
    });
    new Gauge({
      name: "sluice_map_capacity",
      help: "max_entries of each datapath map",
      labelNames: ["map"],
      registers,
      collect() {
        for (const o of occupancy().capacity()) this.set({ map: o.map }, o.capacity);
      },
    });
  }

  /** setOccupancyReader installs the scrape-time reader of map occupancy. */
  setOccupancyReader(reader: MapOccupancyReader): void {
    this.#occupancy = reader;
  }

  /** setMode records the mode in effect (one series at 1). */
  setMode(mode: string, reason: string): void {
    this.mode.reset();
    this.mode.set({ mode, reason }, 1);
  }

  /** setActiveDataplane records which dataplane serves Services (one series at 1). */
  setActiveDataplane(dataplane: string): void {
    this.activeDataplane.reset();
    this.activeDataplane.set({ dataplane }, 1);
  }

  /** observePolicyLogLost turns the absolute count of lost Log events into an increment; returns it. */
  observePolicyLogLost(total: bigint): number {
    const delta = total >= this.#logLostSeen ? total - this.#logLostSeen : total;
    this.#logLostSeen = total;
    if (delta > 0n) this.policyLogLost.inc(Number(delta));
    return Number(delta);
  }

  /** observeCounters turns absolute datapath counter totals into counter increments. */
  observeCounters(totals: ReadonlyMap<string, bigint>): void {
    for (const [reason, value] of totals) {
      const last = this.#last.get(reason) ?? 0n;
      // A smaller value means the map was rebuilt or cleared: count the new value from zero.
      const delta = value >= last ? value - last : value;
      if (delta > 0n) this.datapathPackets.inc({ reason }, Number(delta));
      if (delta > 0n && reason.startsWith("DROP_"))
        this.datapathDrops.inc({ reason: reason.slice(5) }, Number(delta));
      this.#last.set(reason, value);
    }
  }
}

/** flowLogCounters registers the flow-log counters and returns them as FlowLogService's sink. */
function flowLogCounters(registers: Registry[]): FlowLogCounts {
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers });
  const read = counter("sluice_flowlog_events_read_total", "Flow events read from sl_pol_events");
  const written = counter(
    "sluice_flowlog_records_written_total",
    "Flow log records written (file and GET /flows)",
  );
  const lost = counter(
    "sluice_flowlog_events_lost_total",
    "Flow events the datapath could not reserve in sl_pol_events (ring buffer full, SL_R_EVENT_LOST); the interval's records carry lost_events too",
  );
  const malformed = counter(
    "sluice_flowlog_events_malformed_total",
    "Records on sl_pol_events that did not decode as a flow event (skipped)",
  );
  const add = (c: Counter) => (n: number) => {
    if (n > 0) c.inc(n);
  };
  return {
    eventsRead: add(read),
    recordsWritten: add(written),
    eventsLost: add(lost),
    eventsMalformed: add(malformed),
  };
}
