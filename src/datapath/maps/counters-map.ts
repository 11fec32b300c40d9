/** CountersMap: a typed view of sl_counters (per-CPU hash {ifindex, reason}; read by CLI/metrics). */
import { SlReason, decodeSlCounterKey, decodeSlCounterValue, encodeSlCounterKey } from "../abi/abi.ts";
import type { PerCpuRawMap } from "./raw-map.ts";

/** CounterTotal is one {interface, reason} summed over CPUs. */
export interface CounterTotal {
  ifindex: number;
  reason: number;
  /** e.g. "DROP_MALFORMED" (SL_R_ stripped), or "REASON_<n>" for a number this build does not know. */
  reasonName: string;
  packets: bigint;
  bytes: bigint;
}

const names = new Map<number, string>(Object.entries(SlReason).map(([n, v]) => [v, n.replace(/^SL_R_/, "")]));

/** reasonName names an enum sl_reason value. */
export function reasonName(reason: number): string {
  return names.get(reason) ?? `REASON_${reason}`;
}

/** sumPerCpu adds up per-CPU sl_counter_value slots. */
export function sumPerCpu(values: readonly Uint8Array[]): { packets: bigint; bytes: bigint } {
  let packets = 0n;
  let bytes = 0n;
  for (const v of values) {
    const d = decodeSlCounterValue(v);
    packets += d.packets;
    bytes += d.bytes;
  }
  return { packets, bytes };
}

/** CountersMap reads the datapath's counters. */
export class CountersMap {
  readonly #map: PerCpuRawMap;

  constructor(map: PerCpuRawMap) {
    this.#map = map;
  }

  /** get returns one counter (zero when the datapath never counted it). */
  get(ifindex: number, reason: number): { packets: bigint; bytes: bigint } {
    const key = encodeSlCounterKey({ ifindex, reason });
    if (this.#map.get(key) === undefined) return { packets: 0n, bytes: 0n };
    return sumPerCpu(this.#map.lookupPerCpu(key));
  }

  /** totals lists every counter summed over CPUs. */
  *totals(): Generator<CounterTotal> {
    for (const [k] of this.#map.entries()) {
      const key = decodeSlCounterKey(k);
      yield { ...key, reasonName: reasonName(key.reason), ...sumPerCpu(this.#map.lookupPerCpu(k)) };
    }
  }
}
