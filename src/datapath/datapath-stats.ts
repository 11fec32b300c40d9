/**
 * Reads for metrics: map occupancy (entries counted in lookup batches; capacity is max_entries)
 * datapath counters summed per reason over CPUs and interfaces, and the Log events policy
 * programs could not put on a full ring. Needs CAP_BPF.
 */
import { countEntries } from "../bpf/map-batch.ts";
import { LOG_LOST_HIT_ID } from "../policy/rule-ids.ts";
import { SL_MAP } from "./abi/datapath-names.ts";
import { CountersMap } from "./maps/counters-map.ts";
import type { DatapathMaps } from "./datapath-maps.ts";
import type { BpfMap } from "../bpf/map.ts";

const COUNTED = [
  SL_MAP.ct,
  SL_MAP.nat_fe,
  SL_MAP.nat_be,
  SL_MAP.affinity,
  SL_MAP.routes,
  SL_MAP.frags,
  SL_MAP.counters,
] as const;

/** readMapEntries counts the entries of each counted map (none before maps exist). */
export function readMapEntries(maps: DatapathMaps | undefined): { map: string; entries: number }[] {
  return countedMaps(maps).map((m) => ({
    map: m.name,
    // Batches, not a GET_NEXT_KEY walk: at 10k Services a scrape walked ~100k keys, ~2 s of CPU.
    entries: Math.min(countEntries(m.map), m.map.maxEntries),
  }));
}

/** readMapCapacity is each counted map's max_entries: no walk. */
export function readMapCapacity(maps: DatapathMaps | undefined): { map: string; capacity: number }[] {
  return countedMaps(maps).map((m) => ({ map: m.name, capacity: m.map.maxEntries }));
}

function countedMaps(maps: DatapathMaps | undefined): { name: string; map: BpfMap }[] {
  if (maps === undefined) return [];
  const out: { name: string; map: BpfMap }[] = [];
  for (const name of COUNTED) {
    const m = maps.byName.get(name);
    if (m !== undefined && !m.closed) out.push({ name, map: m });
  }
  return out;
}

/** readCounterTotals sums sl_counters per reason name. */
export function readCounterTotals(maps: DatapathMaps | undefined): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  const m = maps?.byName.get(SL_MAP.counters);
  if (m === undefined || m.closed) return totals;
  for (const t of new CountersMap(m).totals())
    totals.set(t.reasonName, (totals.get(t.reasonName) ?? 0n) + t.packets);
  return totals;
}

/** readPolicyLogLost is how many Log rules' events found sl_pol_events full (summed over CPUs). */
export function readPolicyLogLost(maps: DatapathMaps | undefined): bigint {
  const m = maps?.byName.get(SL_MAP.pol_hits);
  if (m === undefined || m.closed) return 0n;
  const key = new Uint8Array(new Uint32Array([LOG_LOST_HIT_ID]).buffer);
  let lost = 0n;
  for (const v of m.lookupPerCpu(key)) lost += new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
  return lost;
}
