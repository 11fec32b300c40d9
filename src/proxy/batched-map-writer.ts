/**
 * BatchedMapWriter queues writes to one map and sends them as BPF_MAP_UPDATE_BATCH calls
 * (RawMap.updateBatch: a live BpfMap, whose src/bpf/map-batch.ts falls back to one update per entry where the kernel or the map type has
 * no batch support)). A cold start at 10,000 Services × 10 endpoints is ~110,000 writes: in
 * batches of 4,096 that is ~30 syscalls instead of 110,000. A map without updateBatch (a test
 * double) is written through at once.
 */
import type { RawMap } from "../datapath/maps/index.ts";

/** BatchedMapWriter buffers puts to one map until flush (or until `chunk` are queued). */
export class BatchedMapWriter {
  readonly #map: RawMap;
  readonly #chunk: number;
  #keys: Uint8Array[] = [];
  #values: Uint8Array[] = [];

  constructor(map: RawMap, chunk = 4096) {
    this.#map = map;
    this.#chunk = chunk;
  }

  /** pending is how many writes are queued. */
  get pending(): number {
    return this.#keys.length;
  }

  /** put queues one write (or writes it now when the map cannot batch). */
  put(key: Uint8Array, value: Uint8Array): void {
    if (this.#map.updateBatch === undefined) return this.#map.update(key, value);
    this.#keys.push(key);
    this.#values.push(value);
    if (this.#keys.length >= this.#chunk) this.flush();
  }

  /** flush sends every queued write. */
  flush(): void {
    if (this.#keys.length === 0 || this.#map.updateBatch === undefined) return;
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = [];
    this.#values = [];
    this.#map.updateBatch(keys, values);
  }
}
