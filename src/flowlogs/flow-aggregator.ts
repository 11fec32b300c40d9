/**
 * FlowAggregator turns flow events and conntrack counters into flow records, one set per flush
 * interval, the way Calico's collector does: an allowed flow is followed while conntrack holds it
 * (its packets and bytes are the growth of conntrack's per-side counters between flushes; it
 * completes when the entry is gone or closed, or when the datapath reports a new flow on its
 * tuple), a denied flow is one record line on its own; records are
 * merged by a key that drops more fields the higher the aggregation level. Pure: events, counter
 * reads and the clock come in as arguments.
 */
import { SlReason } from "../datapath/abi/abi.ts";
import type { FlowEvent } from "./flow-event.ts";
import { MAX_DEST_DOMAINS, protoName, type FlowRecord } from "./flow-record.ts";
import type { EndpointInfo, NameResolver } from "./endpoint-names.ts";

/** AggregationLevel is Calico's flowLogsFileAggregationKindFor*: 0 none, 1 source port, 2 pod prefix, 3 + no destination port. */
export type AggregationLevel = 0 | 1 | 2 | 3;

/** FlowAggregatorOptions are FelixConfiguration's flow log settings. */
export interface FlowAggregatorOptions {
  readonly levelAllowed: AggregationLevel;
  readonly levelDenied: AggregationLevel;
  readonly includeLabels: boolean;
  readonly includePolicies: boolean;
  readonly includeService: boolean;
}

/** FlowCounters is what each side of a flow sent so far (conntrack's per-side counters). */
export interface FlowCounters {
  readonly initiatorPackets: bigint;
  readonly initiatorBytes: bigint;
  readonly responderPackets: bigint;
  readonly responderBytes: bigint;
  /**
   * The connection ended (TCP: both FINs or a RST): the counts are final and the flow completes
   * now, not when its entry expires (30 s later for TCP). Following it until then would count
   * it as a flow of every interval in between and cost a conntrack lookup per flush each time.
   */
  readonly closed?: boolean;
}

/** FlowTuple identifies a tracked flow as conntrack keys it (post-DNAT destination). */
export interface FlowTuple {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly proto: number;
}

/** FlushInput is what a flush needs from the outside. */
export interface FlushInput {
  /** Interval end, Unix seconds. */
  readonly now: number;
  /** Conntrack's counters of a flow, undefined once its entry is gone (the flow completed). */
  readonly counters: (t: FlowTuple) => FlowCounters | undefined;
}

const dropReasons: Record<number, string> = {
  [SlReason.SL_R_DROP_POLICY]: "policy",
  [SlReason.SL_R_DROP_SPOOFED]: "anti-spoof",
  [SlReason.SL_R_REJECT_NO_BACKEND]: "no-endpoints",
  [SlReason.SL_R_DROP_NO_LOCAL_BACKEND]: "no-local-endpoint",
  [SlReason.SL_R_DROP_SRC_RANGE]: "source-range",
};

interface Active {
  readonly tuple: FlowTuple;
  readonly base: Omit<Acc, "key">;
  readonly key: string;
  readonly reporter: "src" | "dst";
  last: FlowCounters;
}

interface Acc {
  key: string;
  record: FlowRecord;
}

const ZERO: FlowCounters = {
  initiatorPackets: 0n,
  initiatorBytes: 0n,
  responderPackets: 0n,
  responderBytes: 0n,
};

/** FlowAggregator collects one interval at a time; flush() closes it. */
export class FlowAggregator {
  readonly #o: FlowAggregatorOptions;
  #names: NameResolver;
  readonly #active = new Map<string, Active>();
  #interval = new Map<string, Acc>();
  #start: number;
  #lost = 0;

  constructor(options: FlowAggregatorOptions, names: NameResolver, start: number) {
    this.#o = options;
    this.#names = names;
    this.#start = start;
  }

  /** setNames swaps the resolver (the cluster changed); flows already followed keep their names. */
  setNames(names: NameResolver): void {
    this.#names = names;
  }

  /** lost notes datapath events the ring buffer dropped (SL_R_EVENT_LOST grew by n). */
  lost(n: number): void {
    if (n > 0) this.#lost += n;
  }

  /** activeFlows is how many allowed flows are being followed. */
  get activeFlows(): number {
    return this.#active.size;
  }

  /** add takes one event; ruleLabel turns a rule id into `tier|namespace/policy|action|rule-index`. */
  add(ev: FlowEvent, ruleLabel: (ruleId: number) => string | undefined): void {
    const src = this.#names.endpoint(ev.srcIp);
    const dst = this.#names.endpoint(ev.dstIp);
    const reporter = ev.hook === "egress" ? "src" : ev.hook === "ingress" ? "dst" : src.local ? "src" : "dst";
    const policy =
      ev.hook === "none" ? undefined : (ruleLabel(ev.ruleId) ?? `unknown|rule-${ev.ruleId}|${ev.action}|-1`);
    const service =
      ev.origDstIp !== ev.dstIp || ev.origDstPort !== ev.dstPort
        ? this.#names.service(ev.origDstIp, ev.origDstPort, ev.proto)
        : undefined;
    const level = ev.action === "allow" ? this.#o.levelAllowed : this.#o.levelDenied;
    const rec = this.#record(ev, src, dst, reporter, policy, service, level);
    rec.dest_domains = this.#domains(ev);
    const key = recordKey(rec);
    if (ev.action === "deny") {
      const acc = this.#acc(key, rec);
      acc.record.num_flows += 1;
      acc.record.num_flows_started += 1;
      acc.record.num_flows_completed += 1;
      // the one packet that was refused, seen from the reporter
      if (reporter === "src") acc.record.packets_out += 1;
      else acc.record.packets_in += 1;
      return;
    }
    const tuple: FlowTuple = {
      src: ev.srcIp,
      dst: ev.dstIp,
      sport: ev.srcPort,
      dport: ev.dstPort,
      proto: ev.proto,
    };
    const id = `${tuple.src}|${tuple.sport}|${tuple.dst}|${tuple.dport}|${tuple.proto}|${reporter}`;
    // The datapath reports a flow only when it creates its conntrack entry, so a second report
    // on a followed tuple is a new flow that replaced a closed entry (the port came back before
    // the old entry expired): the old flow completed, with the counts read at the last flush.
    const old = this.#active.get(id);
    if (old !== undefined) {
      const acc = this.#acc(old.key, old.base.record);
      acc.record.num_flows += 1;
      acc.record.num_flows_completed += 1;
      this.#active.delete(id);
    }
    this.#active.set(id, { tuple, base: { record: rec }, key, reporter, last: ZERO });
    this.#acc(key, rec).record.num_flows_started += 1;
  }

  /** flush closes the interval: counters for every followed flow, completions, the records. */
  flush(input: FlushInput): FlowRecord[] {
    for (const [id, f] of this.#active) {
      const acc = this.#acc(f.key, f.base.record);
      acc.record.num_flows += 1;
      const now = input.counters(f.tuple);
      if (now === undefined) {
        acc.record.num_flows_completed += 1;
        this.#active.delete(id);
        continue;
      }
      // A smaller counter than last time is a new entry on the tuple that was not reported
      // (its event was lost): count it from zero rather than negative.
      const last = now.initiatorPackets < f.last.initiatorPackets ? ZERO : f.last;
      const sent = Number(now.initiatorPackets - last.initiatorPackets);
      const sentBytes = Number(now.initiatorBytes - last.initiatorBytes);
      const got = Number(now.responderPackets - last.responderPackets);
      const gotBytes = Number(now.responderBytes - last.responderBytes);
      if (f.reporter === "src") {
        acc.record.packets_out += sent;
        acc.record.bytes_out += sentBytes;
        acc.record.packets_in += got;
        acc.record.bytes_in += gotBytes;
      } else {
        acc.record.packets_in += sent;
        acc.record.bytes_in += sentBytes;
        acc.record.packets_out += got;
        acc.record.bytes_out += gotBytes;
      }
      f.last = now;
      if (now.closed === true) {
        acc.record.num_flows_completed += 1;
        this.#active.delete(id);
      }
    }
    const out = [...this.#interval.values()].map((a) => ({
      ...a.record,
      start_time: this.#start,
      end_time: input.now,
    }));
    // A loss is reported on the records of its interval; with none, it waits for the next ones.
    if (this.#lost > 0 && out.length > 0) {
      for (const r of out) r.lost_events = this.#lost;
      this.#lost = 0;
    }
    this.#interval = new Map();
    this.#start = input.now;
    return out;
  }

  #acc(key: string, rec: FlowRecord): Acc {
    let acc = this.#interval.get(key);
    if (acc === undefined) {
      acc = {
        key,
        record: {
          ...rec,
          policies: { enforced: [...rec.policies.enforced], pending: [...rec.policies.pending] },
          dest_domains: [...rec.dest_domains],
          packets_in: 0,
          packets_out: 0,
          bytes_in: 0,
          bytes_out: 0,
          num_flows: 0,
          num_flows_started: 0,
          num_flows_completed: 0,
        },
      };
      this.#interval.set(key, acc);
    } else {
      if (this.#o.includeLabels) {
        acc.record.source_labels = intersect(acc.record.source_labels, rec.source_labels);
        acc.record.dest_labels = intersect(acc.record.dest_labels, rec.dest_labels);
      }
      if (rec.dest_domains.some((d) => !acc!.record.dest_domains.includes(d)))
        acc.record.dest_domains = union(acc.record.dest_domains, rec.dest_domains);
    }
    return acc;
  }

  /** #domains names the destination by what the source looked up: the address it dialled and the one it reached. */
  #domains(ev: FlowEvent): string[] {
    const lookup = this.#names.domains;
    if (lookup === undefined) return [];
    const dialled = lookup.call(this.#names, ev.srcIp, ev.origDstIp);
    if (ev.origDstIp === ev.dstIp) return union(dialled, []);
    return union(dialled, lookup.call(this.#names, ev.srcIp, ev.dstIp));
  }

  #record(
    ev: FlowEvent,
    src: EndpointInfo,
    dst: EndpointInfo,
    reporter: "src" | "dst",
    policy: string | undefined,
    service: { namespace: string; name: string; port: number } | undefined,
    level: AggregationLevel,
  ): FlowRecord {
    const o = this.#o;
    const byPrefix = level >= 2;
    const rec: FlowRecord = {
      start_time: 0,
      end_time: 0,
      source_ip: byPrefix ? null : ev.srcIp,
      source_port: level >= 1 ? null : ev.srcPort,
      source_type: src.type,
      source_namespace: src.namespace,
      source_name: byPrefix ? "-" : src.name,
      source_name_aggr: src.nameAggr,
      // labels are not in the record key: merged records keep the labels they share
      source_labels: o.includeLabels ? { ...src.labels } : null,
      dest_ip: byPrefix ? null : ev.dstIp,
      dest_port: level >= 3 ? null : ev.dstPort,
      dest_type: dst.type,
      dest_namespace: dst.namespace,
      dest_name: byPrefix ? "-" : dst.name,
      dest_name_aggr: dst.nameAggr,
      dest_labels: o.includeLabels ? { ...dst.labels } : null,
      dest_domains: [],
      dest_service_namespace: o.includeService && service ? service.namespace : "-",
      dest_service_name: o.includeService && service ? service.name : "-",
      dest_service_port: o.includeService && service ? service.port : null,
      proto: protoName(ev.proto),
      action: ev.action,
      reporter,
      policies: { enforced: o.includePolicies && policy !== undefined ? [policy] : [], pending: [] },
      packets_in: 0,
      packets_out: 0,
      bytes_in: 0,
      bytes_out: 0,
      num_flows: 0,
      num_flows_started: 0,
      num_flows_completed: 0,
    };
    if (ev.action === "deny") rec.drop_reason = dropReasons[ev.reason] ?? `reason-${ev.reason}`;
    return rec;
  }
}

/** recordKey is what makes two records one: every identifying field (labels only at level < 2). */
function recordKey(r: FlowRecord): string {
  return JSON.stringify([
    r.source_ip,
    r.source_port,
    r.source_type,
    r.source_namespace,
    r.source_name,
    r.source_name_aggr,
    r.dest_ip,
    r.dest_port,
    r.dest_type,
    r.dest_namespace,
    r.dest_name,
    r.dest_name_aggr,
    r.dest_service_namespace,
    r.dest_service_name,
    r.dest_service_port,
    r.proto,
    r.action,
    r.reporter,
    r.policies.enforced,
    r.drop_reason ?? "",
  ]);
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort().slice(0, MAX_DEST_DOMAINS);
}

function intersect(
  a: Record<string, string> | null,
  b: Record<string, string> | null,
): Record<string, string> | null {
  if (a === null || b === null) return a ?? b;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (b[k] === v) out[k] = v;
  return out;
}
