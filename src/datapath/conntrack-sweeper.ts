/**
 * ConntrackSweeper is Calico's conntrack scanner for sl_ct: every 10 s it reads the table in
 * chunks (each a BPF_MAP_LOOKUP_BATCH on a worker thread, yielding to the event loop between
 * chunks, so 512k entries never stall the agent), judges each entry with judgeConntrackEntry
 * (the datapath's own lifetime rule), and
 *   - deletes expired entries in pairs (NAT_REV with its NAT_FWD) and NAT_FWD entries whose
 *     NAT_REV is gone — each only if its last_seen_ns is still what the scan read, so a flow
 *     that got a packet meanwhile is left alone;
 *   - for a NAT entry whose backend is no Service's backend any more (not in sl_nat_be, not an
 *     endpoint of any EndpointSlice, on two sweeps in a row): deletes it (UDP and others) or
 *     flags the pair SL_CT_F_RESET (TCP), so the client's next packet gets a RST;
 *   - exports sluice_conntrack_* metrics, and under bpfMapSizeConntrackScaling DoubleIfFull asks
 *     for a table twice as big when it stays over 90 % full after sweeping (Calico's rule).
 * Needs CAP_BPF.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import { lookupBatchChunks } from "../bpf/map-batch.ts";
import type { BpfMap } from "../bpf/map.ts";
import { resolveCtTimeouts } from "../calc/conntrack-lifetime.ts";
import { judgeConntrackEntry, revKeyOf, type SweepContext } from "../calc/judge-conntrack-entry.ts";
import type { CtEndpoint, CtKey } from "../calc/select-conntrack-cleanup.ts";
import { SL_CT_F_RESET, SL_HAIRPIN_IP_DEFAULT, decodeSlNatBeValue, encodeSlCtKey } from "./abi/abi.ts";
import { ctEndpointId, decodeCtEntry, encodeCtEntry, type CtEntry } from "./maps/conntrack-map.ts";
import type { CtTimeouts } from "./maps/globals-map.ts";
import { ipv4FromNumber, ipv4ToNumber } from "../model/ipv4.ts";

/** SWEEP_PERIOD_MS is Calico's conntrack scan period. */
export const SWEEP_PERIOD_MS = 10_000;
/** FULL_RATIO: live entries over max_entries after a sweep above which the table counts as full. */
export const FULL_RATIO = 0.9;
/** FULL_SWEEPS: how many sweeps in a row the table must stay full before DoubleIfFull grows it. */
export const FULL_SWEEPS = 2;

/** SweeperLog is the slice of the agent's logger the sweeper uses. */
export interface SweeperLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

/** ConntrackSweeperOptions wire the sweeper to the agent. */
export interface ConntrackSweeperOptions {
  /** The live sl_ct and sl_nat_be (undefined outside eBPF mode or between rebuilds). */
  readonly maps: () => { readonly ct: BpfMap; readonly natBe: BpfMap } | undefined;
  /** The bpfConntrackTimeouts in effect. */
  readonly timeouts: () => CtTimeouts;
  /** Every endpoint of every EndpointSlice ("addr:port"), ready or not: a draining backend is still a backend. */
  readonly endpoints: () => ReadonlySet<string>;
  /** bpfMapSizeConntrackScaling is DoubleIfFull. */
  readonly doubleIfFull: () => boolean;
  /** Called with the new size when the table must grow (the caller rebuilds sl_ct and logs). */
  readonly grow: (toEntries: number) => void;
  readonly log: SweeperLog;
  readonly registry?: Registry;
  readonly hairpinIp?: string;
  /**
   * A number that moves whenever the agent writes sl_nat_be (DataplaneSync.natGeneration): while
   * it stays, the sweeper reuses its index of sl_nat_be's backends instead of reading the map
   * again. Without it the map is read on every sweep that meets a NAT_REV entry.
   */
  readonly natGeneration?: () => number;
  /** CLOCK_MONOTONIC ns, the datapath's bpf_ktime_get_ns. */
  readonly now?: () => bigint;
  readonly chunk?: number;
}

/** SweepStats are one sweep's counts. */
export interface SweepStats {
  scanned: number;
  expired: number;
  orphans: number;
  staleDeleted: number;
  resetFlagged: number;
  /** Entries left alone because a packet touched them after the scan read them. */
  changed: number;
  live: number;
  maxEntries: number;
}

const keyHex = (k: Uint8Array): string => Buffer.from(k).toString("hex");
const ctKeyBytes = (k: CtKey): Uint8Array =>
  encodeSlCtKey({
    addrA: ipv4ToNumber(k.a.addr),
    portA: k.a.port,
    addrB: ipv4ToNumber(k.b.addr),
    portB: k.b.port,
    proto: k.proto,
  });

/** ConntrackSweeper runs the sweep on a timer; sweep() runs one now. */
export class ConntrackSweeper {
  readonly #o: ConntrackSweeperOptions;
  readonly #m;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepStats | undefined> | undefined;
  /** Keys found stale by the previous sweep: acted on only when stale twice (a NAT sync may be mid-write). */
  #stale = new Set<string>();
  #fullSweeps = 0;
  /**
   * sl_nat_be's backends as ctEndpointId (addr × 65536 + port), from the map object and NAT generation it was
   * read at. Reading and indexing the map was ~0.2–0.7 s of CPU per sweep at 10k Services × 10
   * endpoints, i.e. several % of a core on any node with Service flows while nothing changed.
   */
  #natIndex: { natBe: BpfMap; generation: number; backends: Set<number> } | undefined;

  constructor(options: ConntrackSweeperOptions) {
    this.#o = options;
    const registers = options.registry ? [options.registry] : [];
    this.#m = {
      sweeps: new Counter({
        name: "sluice_conntrack_sweeps_total",
        help: "Conntrack sweeps completed",
        registers,
      }),
      entries: new Gauge({
        name: "sluice_conntrack_entries",
        help: "Live sl_ct entries after the last sweep",
        registers,
      }),
      fill: new Gauge({
        name: "sluice_conntrack_fill_ratio",
        help: "Live sl_ct entries over max_entries after the last sweep",
        registers,
      }),
      deleted: new Counter({
        name: "sluice_conntrack_deleted_total",
        help: "sl_ct entries the sweeper deleted, by reason (expired, orphan NAT_FWD, stale NAT)",
        labelNames: ["reason"],
        registers,
      }),
      reset: new Counter({
        name: "sluice_conntrack_reset_flagged_total",
        help: "TCP conntrack entries to a removed backend flagged for a RST",
        registers,
      }),
      changed: new Counter({
        name: "sluice_conntrack_changed_during_sweep_total",
        help: "Entries not deleted because a packet touched them after the scan read them",
        registers,
      }),
      duration: new Gauge({
        name: "sluice_conntrack_sweep_duration_seconds",
        help: "Duration of the last conntrack sweep",
        registers,
      }),
      resizes: new Counter({
        name: "sluice_conntrack_resizes_total",
        help: "sl_ct doublings by bpfMapSizeConntrackScaling DoubleIfFull",
        registers,
      }),
    };
  }

  /** start sweeps every `periodMs` (Calico: 10 s); overlapping sweeps are skipped. */
  start(periodMs = SWEEP_PERIOD_MS): void {
    this.#timer ??= setInterval(
      () =>
        void this.sweep().catch((e: unknown) =>
          this.#o.log.warn({ op: "ct-sweep", map: "sl_ct", err: e }, "conntrack sweep failed"),
        ),
      periodMs,
    );
    this.#timer.unref();
  }

  /** stop ends the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** sweep runs one sweep (or joins the one in progress); undefined when there is no table. */
  sweep(): Promise<SweepStats | undefined> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<SweepStats | undefined> {
    const maps = this.#o.maps();
    if (maps === undefined || maps.ct.closed) return undefined;
    const started = process.hrtime.bigint();
    // The backend index (every sl_nat_be entry and every slice endpoint: ~100k strings at 10k
    // Services) is built only once the scan meets a NAT_REV entry — the only kind it judges — so a
    // table with no Service flows (an idle node) costs no index at all.
    let isBackend: ((b: CtEndpoint, proto: number) => boolean) | undefined;
    const now = this.#o.now ?? (() => process.hrtime.bigint());
    const ctx: SweepContext = {
      timeouts: resolveCtTimeouts(this.#o.timeouts()),
      nowNs: now(),
      hairpinIp: this.#o.hairpinIp ?? ipv4FromNumber(SL_HAIRPIN_IP_DEFAULT),
      isBackend: (b, proto) => isBackend?.(b, proto) ?? true,
    };
    const stats: SweepStats = {
      scanned: 0,
      expired: 0,
      orphans: 0,
      staleDeleted: 0,
      resetFlagged: 0,
      changed: 0,
      live: 0,
      maxEntries: maps.ct.maxEntries,
    };
    const staleNow = new Set<string>();
    for await (const chunk of lookupBatchChunks(maps.ct, { chunk: this.#o.chunk ?? 4096 })) {
      if (maps.ct.closed) return undefined; // rebuilt under us: the next sweep reads the new table
      if (isBackend === undefined && chunk.some(([k, v]) => decodeCtEntry(k, v).type === "nat-rev"))
        isBackend = await this.#backendIndex(maps.natBe);
      for (const [k, v] of chunk) this.#judge(maps.ct, k, v, ctx, stats, staleNow);
      await new Promise<void>((r) => setImmediate(r));
    }
    this.#stale = staleNow;
    const deleted = stats.expired + stats.orphans + stats.staleDeleted;
    stats.live = Math.max(0, stats.scanned - deleted);
    this.#report(stats, Number(process.hrtime.bigint() - started) / 1e9);
    this.#maybeGrow(stats);
    return stats;
  }

  #judge(
    ct: BpfMap,
    k: Uint8Array,
    v: Uint8Array,
    ctx: SweepContext,
    stats: SweepStats,
    staleNow: Set<string>,
  ): void {
    stats.scanned++;
    const e = decodeCtEntry(k, v);
    let rev: CtEntry | undefined;
    if (e.type === "nat-fwd") {
      const rk = ctKeyBytes(revKeyOf(e, ctx.hairpinIp));
      const rv = ct.get(rk);
      rev = rv === undefined ? undefined : decodeCtEntry(rk, rv);
    }
    const verdict = judgeConntrackEntry(e, rev, ctx);
    if (verdict.action === "keep") return;
    if (verdict.action === "reset" || verdict.reason === "stale") {
      const id = keyHex(k);
      staleNow.add(id);
      if (!this.#stale.has(id)) return; // confirm on the next sweep
    }
    const pair = verdict.pair ? ctKeyBytes(verdict.pair) : undefined;
    const current = ct.get(k);
    if (current === undefined) return;
    if (decodeCtEntry(k, current).lastSeenNs !== e.lastSeenNs) {
      stats.changed++;
      return;
    }
    if (verdict.action === "reset") {
      for (const key of pair ? [k, pair] : [k]) {
        const now = ct.get(key);
        if (now === undefined) continue;
        const d = decodeCtEntry(key, now);
        const [, flagged] = encodeCtEntry({ ...d, flags: d.flags | SL_CT_F_RESET });
        try {
          ct.update(key, flagged, "exist");
        } catch {
          // gone meanwhile (LRU or the datapath): nothing to flag
        }
      }
      stats.resetFlagged++;
      return;
    }
    for (const key of pair ? [k, pair] : [k]) {
      try {
        ct.delete(key);
      } catch {
        // already gone (the datapath expired it on lookup, or LRU eviction)
      }
    }
    if (verdict.reason === "expired") stats.expired += pair ? 2 : 1;
    else if (verdict.reason === "orphan") stats.orphans++;
    else stats.staleDeleted += pair ? 2 : 1;
  }

  /** The backends the maps hold plus every EndpointSlice endpoint. */
  async #backendIndex(natBe: BpfMap): Promise<(b: CtEndpoint, proto: number) => boolean> {
    // The slice endpoints are the caller's set, used as is (not copied: it may be cached).
    const endpoints = this.#o.endpoints();
    const backends = await this.#natBackends(natBe);
    return (b) =>
      backends.has(ctEndpointId(ipv4ToNumber(b.addr), b.port)) || endpoints.has(`${b.addr}:${b.port}`);
  }

  async #natBackends(natBe: BpfMap): Promise<Set<number>> {
    const generation = this.#o.natGeneration?.();
    const kept = this.#natIndex;
    if (generation !== undefined && kept?.natBe === natBe && kept.generation === generation)
      return kept.backends;
    const backends = new Set<number>();
    for await (const chunk of lookupBatchChunks(natBe, { chunk: 4096 })) {
      for (const [, v] of chunk) {
        const d = decodeSlNatBeValue(v);
        backends.add(ctEndpointId(d.addr, d.port));
      }
    }
    // Kept only when no NAT write happened while the chunks were read (the read could be torn).
    this.#natIndex =
      generation !== undefined && this.#o.natGeneration?.() === generation
        ? { natBe, generation, backends }
        : undefined;
    return backends;
  }

  #report(s: SweepStats, seconds: number): void {
    const m = this.#m;
    m.sweeps.inc();
    m.entries.set(s.live);
    m.fill.set(s.maxEntries > 0 ? s.live / s.maxEntries : 0);
    if (s.expired) m.deleted.inc({ reason: "expired" }, s.expired);
    if (s.orphans) m.deleted.inc({ reason: "orphan" }, s.orphans);
    if (s.staleDeleted) m.deleted.inc({ reason: "stale" }, s.staleDeleted);
    if (s.resetFlagged) m.reset.inc(s.resetFlagged);
    if (s.changed) m.changed.inc(s.changed);
    m.duration.set(seconds);
    const acted = s.expired + s.orphans + s.staleDeleted + s.resetFlagged;
    if (acted > 0) this.#o.log.debug({ op: "ct-sweep", map: "sl_ct", ...s, seconds }, "conntrack swept");
    if (s.resetFlagged + s.staleDeleted > 0) {
      this.#o.log.info(
        { op: "ct-sweep", map: "sl_ct", reset: s.resetFlagged, deleted: s.staleDeleted },
        `conntrack: ${s.resetFlagged} TCP flow(s) to removed backends flagged for a RST, ${s.staleDeleted} stale entries deleted`,
      );
    }
  }

  #maybeGrow(s: SweepStats): void {
    const full = s.maxEntries > 0 && s.live / s.maxEntries > FULL_RATIO;
    this.#fullSweeps = full ? this.#fullSweeps + 1 : 0;
    if (!full || this.#fullSweeps < FULL_SWEEPS || !this.#o.doubleIfFull()) return;
    this.#fullSweeps = 0;
    const to = s.maxEntries * 2;
    this.#o.log.warn(
      { op: "ct-grow", map: "sl_ct", live: s.live, fromEntries: s.maxEntries, toEntries: to },
      `conntrack table ${Math.round((100 * s.live) / s.maxEntries)} % full after ${FULL_SWEEPS} sweeps: growing sl_ct ${s.maxEntries} → ${to} entries (bpfMapSizeConntrackScaling DoubleIfFull)`,
    );
    this.#m.resizes.inc();
    this.#o.grow(to);
  }
}
