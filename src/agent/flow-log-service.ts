/**
 * FlowLogService is the reader of sl_pol_events (RingBufReader on the shared poller) while the
 * eBPF dataplane is up, and flow logs in the agent. Log rules' events are written to the agent's
 * log whether or not flow logs are on (Calico's Log action; at most `policyLogPerSecond` lines a
 * second, the rest counted in the next line). When FelixConfiguration turns flow logs on, it
 * feeds the datapath's flow events to a
 * FlowAggregator, and every flowLogsFlushInterval closes the interval with conntrack's counters,
 * writes the records to the rotated file and hands them to RecentFlows (GET /flows). The ring's
 * losses (SL_R_EVENT_LOST growth) go into the interval's records. Turning flow logs off clears
 * the datapath flag (DataplaneSync) and stops reading here.
 */
import { RingBufReader } from "../bpf/ringbuf.ts";
import type { FlowLogSettings } from "../calc/dataplane-settings.ts";
import { SL_CT_F_INIT_A, SL_CT_LEG_FIN, SL_CT_LEG_RST } from "../datapath/abi/abi.ts";
import { SL_MAP } from "../datapath/abi/datapath-names.ts";
import type { DatapathMaps } from "../datapath/datapath-maps.ts";
import { readCounterTotals } from "../datapath/datapath-stats.ts";
import { ConntrackMap } from "../datapath/maps/conntrack-map.ts";
import { FlowAggregator, type FlowCounters, type FlowTuple } from "../flowlogs/flow-aggregator.ts";
import { decodeFlowEvent } from "../flowlogs/flow-event.ts";
import {
  decodePolicyLogEvent,
  describePolicyLog,
  type PolicyLogEvent,
} from "../flowlogs/policy-log-event.ts";
import { PolicyLogLimiter } from "../flowlogs/policy-log-limiter.ts";
import { FlowFileWriter } from "../flowlogs/flow-file-writer.ts";
import type { NameResolver } from "../flowlogs/endpoint-names.ts";
import { RecentFlows, type FlowSource } from "../flowlogs/recent-flows.ts";
import type { AgentLogger } from "./agent-logger.ts";

// counters-map reasonName drops the SL_R_ prefix
const LOST = "EVENT_LOST";

/**
 * FlowLogCounts receives what flow logs did, as increments (the agent's Prometheus counters):
 * events read from the ring, records written, events the datapath lost because the ring was full
 * (SL_R_EVENT_LOST growth) and records that did not decode as an event.
 */
export interface FlowLogCounts {
  eventsRead(n: number): void;
  recordsWritten(n: number): void;
  eventsLost(n: number): void;
  eventsMalformed(n: number): void;
}

/** FlowLogServiceOptions: where names and rule labels come from. */
export interface FlowLogServiceOptions {
  readonly log: AgentLogger;
  /** The current name resolver (rebuilt by the caller when the cluster changes). */
  readonly names: () => NameResolver;
  /** Rule id → `tier|namespace/policy|action|rule-index` (the policy programmer's RuleIdAllocator). */
  readonly ruleLabel?: (ruleId: number) => string | undefined;
  /** Clock in Unix seconds (tests). */
  readonly now?: () => number;
  /** Where the counts go (the agent's metrics); none when omitted. */
  readonly counts?: FlowLogCounts;
  /** Log-rule lines per second at most (default 100). */
  readonly policyLogPerSecond?: number;
}

interface Reading {
  readonly maps: DatapathMaps;
  readonly reader: RingBufReader;
}

interface Running {
  readonly key: string;
  readonly maps: DatapathMaps;
  readonly reader: RingBufReader;
  readonly aggregator: FlowAggregator;
  readonly writer: FlowFileWriter;
  readonly timer: NodeJS.Timeout;
  lostSeen: bigint;
  malformed: number;
  read: number;
}

export class FlowLogService {
  readonly #o: FlowLogServiceOptions;
  readonly #recent = new RecentFlows();
  readonly #limiter: PolicyLogLimiter;
  #reading: Reading | undefined;
  #running: Running | undefined;

  constructor(options: FlowLogServiceOptions) {
    this.#o = options;
    this.#limiter = new PolicyLogLimiter(options.policyLogPerSecond ?? 100);
  }

  /** source is what GET /flows reads; undefined while flow logs are off. */
  get source(): FlowSource | undefined {
    return this.#running === undefined ? undefined : this.#recent;
  }

  /**
   * configure follows each sync: read the ring while there are maps; start, restart on a change,
   * or stop flow logs as the settings say.
   */
  configure(settings: FlowLogSettings | undefined, maps: DatapathMaps | undefined): void {
    const events = maps?.byName.get(SL_MAP.pol_events);
    if (maps === undefined || events === undefined) {
      this.close();
      return;
    }
    if (this.#reading?.maps !== maps) {
      this.close();
      const reader = new RingBufReader(events);
      reader.onRecord((bytes) => this.#onRecord(bytes));
      this.#reading = { maps, reader };
    }
    const reader = this.#reading.reader;
    if (settings === undefined || !settings.enabled) {
      this.#stopFlowLogs();
      return;
    }
    const key = JSON.stringify(settings);
    if (this.#running?.key === key) return;
    this.#stopFlowLogs();
    const writer = new FlowFileWriter({
      directory: settings.directory,
      maxFiles: settings.maxFiles,
      maxFileSizeBytes: settings.maxFileSizeBytes,
    });
    const aggregator = new FlowAggregator(settings, this.#o.names(), this.#now());
    const timer = setInterval(() => {
      // A timer's exception would end the agent: log it and keep the service.
      try {
        this.flush();
      } catch (e) {
        this.#o.log.error({ op: "flowlogs", err: e }, "flush flow logs failed");
      }
    }, settings.flushIntervalS * 1000);
    timer.unref();
    const r: Running = {
      key,
      maps,
      reader,
      aggregator,
      writer,
      timer,
      lostSeen: readCounterTotals(maps).get(LOST) ?? 0n,
      malformed: 0,
      read: 0,
    };
    this.#running = r;
    this.#o.log.info(
      { op: "flowlogs", directory: settings.directory, interval: settings.flushIntervalS },
      `flow logs on: every ${settings.flushIntervalS}s to ${settings.directory}`,
    );
  }

  /** flush closes the interval now (the timer calls it; tests and stop too). */
  flush(): void {
    const r = this.#running;
    if (r === undefined) return;
    r.reader.poll();
    const counts = this.#o.counts;
    const lost = readCounterTotals(r.maps).get(LOST) ?? r.lostSeen;
    if (lost > r.lostSeen) {
      r.aggregator.lost(Number(lost - r.lostSeen));
      counts?.eventsLost(Number(lost - r.lostSeen));
    }
    r.lostSeen = lost;
    counts?.eventsRead(r.read);
    r.read = 0;
    const ctMap = r.maps.byName.get(SL_MAP.ct);
    const ct = ctMap === undefined || ctMap.closed ? undefined : new ConntrackMap(ctMap);
    const records = r.aggregator.flush({
      now: this.#now(),
      counters: (t) => (ct ? counters(ct, t) : undefined),
    });
    if (r.malformed > 0) {
      counts?.eventsMalformed(r.malformed);
      this.#o.log.warn(
        { op: "flowlogs", malformed: r.malformed },
        `skipped ${r.malformed} malformed flow events`,
      );
      r.malformed = 0;
    }
    try {
      r.writer.write(records);
      counts?.recordsWritten(records.length);
    } catch (e) {
      this.#o.log.error({ op: "flowlogs", err: e }, "write flow logs failed");
    }
    this.#recent.push(records);
  }

  /** retire stops reading (flushing flow logs' interval) when it reads `maps`, which are about to close. */
  retire(maps: DatapathMaps): void {
    if (this.#reading?.maps === maps) this.close();
  }

  /** close stops flow logs (the last interval is flushed first) and the reader; the datapath flag is DataplaneSync's. */
  close(): void {
    this.#stopFlowLogs();
    this.#reading?.reader.close();
    this.#reading = undefined;
  }

  #stopFlowLogs(): void {
    const r = this.#running;
    if (r === undefined) return;
    try {
      this.flush();
    } catch (e) {
      this.#o.log.error({ op: "flowlogs", err: e }, "flush flow logs at stop failed");
    } finally {
      clearInterval(r.timer);
      this.#running = undefined;
    }
  }

  /** #onRecord handles one ring record: a flow event (for flow logs, when on) or a Log rule's event. */
  #onRecord(bytes: Uint8Array): void {
    const r = this.#running;
    const d = decodeFlowEvent(bytes);
    if (r !== undefined) r.read++;
    if (d.kind === "flow") {
      if (r === undefined) return; // flow logs were just turned off: the flag is being cleared
      r.aggregator.setNames(this.#o.names());
      r.aggregator.add(d.event, this.#o.ruleLabel ?? (() => undefined));
      return;
    }
    if (d.kind === "other") {
      const l = decodePolicyLogEvent(bytes);
      if (l.kind === "log") return this.#policyLog(l.event);
      if (l.kind === "other") return; // not ours: counted as read
    }
    if (r !== undefined) r.malformed++;
  }

  #policyLog(e: PolicyLogEvent): void {
    const { ok, suppressed } = this.#limiter.admit(Date.now());
    if (!ok) return;
    const rule = this.#o.ruleLabel?.(e.ruleId);
    this.#o.log.info(
      {
        op: "policy-log",
        rule: rule ?? e.ruleId,
        src: e.srcIp,
        dst: e.dstIp,
        proto: e.proto,
        ...(e.proto === 1
          ? { icmpType: e.icmpType, icmpCode: e.icmpCode }
          : { sport: e.srcPort, dport: e.dstPort }),
        ...(suppressed > 0 ? { suppressed } : {}),
      },
      describePolicyLog(e, rule) + (suppressed > 0 ? ` (${suppressed} earlier lines suppressed)` : ""),
    );
  }

  #now(): number {
    return this.#o.now?.() ?? Math.floor(Date.now() / 1000);
  }
}

function counters(ct: ConntrackMap, t: FlowTuple): FlowCounters | undefined {
  const e = ct.get({ src: t.src, dst: t.dst, sport: t.sport, dport: t.dport, proto: t.proto });
  if (e === undefined || e.type === "nat-fwd") return undefined;
  const a = e.sent?.a ?? { packets: 0n, bytes: 0n };
  const b = e.sent?.b ?? { packets: 0n, bytes: 0n };
  const [init, resp] = e.flags & SL_CT_F_INIT_A ? [a, b] : [b, a];
  return {
    initiatorPackets: init.packets,
    initiatorBytes: init.bytes,
    responderPackets: resp.packets,
    responderBytes: resp.bytes,
    closed: conntrackClosed(e.legA, e.legB),
  };
}

/** conntrackClosed is the datapath's ct_closed (conntrack.h): a RST either way, or a FIN each way. */
export function conntrackClosed(legA: number, legB: number): boolean {
  return ((legA | legB) & SL_CT_LEG_RST) !== 0 || (legA & legB & SL_CT_LEG_FIN) !== 0;
}
