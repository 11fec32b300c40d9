/**
 * BatchedMapWriter queues writes to one map and sends them as BPF_MAP_UPDATE_BATCH calls
 * (RawMap.updateBatch: a live BpfMap, whose src/bpf/map-batch.ts falls back to one update per entry where the kernel or the map type has
 * no batch support)). A cold start at 10,000 Services × 10 endpoints is ~110,000 writes: in
 * batches of 4,096 that is ~30 syscalls instead of 110,000. A map without updateBatch (a test
 * double) is written through at once.
 *
 * When the entry sizes are known (given, or read from a live map) the queue is two buffers the
 * entries are laid into end to end, the layout the batch syscall takes: putEncoded writes an
 * entry's fields straight into them (the generated `writeSl*` codecs), so a cold start allocates
 * no key and value buffer per entry and copies nothing before the syscall.
 */
import type { RawMap } from "../datapath/maps/index.ts";

/** EntryEncoder writes one entry's key at `keyOffset` of `keys` and its value at `valueOffset` of `values`. */
export type EntryEncoder<K, V> = (
  keys: DataView,
  keyOffset: number,
  values: DataView,
  valueOffset: number,
  key: K,
  value: V,
) => void;

/** EntrySizes are the bytes of one key and one value as the map takes them. */
export interface EntrySizes {
  readonly keySize: number;
  readonly valueSize: number;
}

/** BatchedMapWriter buffers puts to one map until flush (or until `chunk` are queued). */
export class BatchedMapWriter {
  readonly #map: RawMap;
  readonly #chunk: number;
  readonly #sizes: EntrySizes | undefined;
  /** Packed queue: `#count` entries laid end to end (allocated on first use, zeroed after each flush). */
  #keyBytes: Uint8Array | undefined;
  #valueBytes: Uint8Array | undefined;
  #keyView: DataView | undefined;
  #valueView: DataView | undefined;
  #count = 0;
  /** Unpacked queue (sizes unknown): one buffer per key and value. */
  #keys: Uint8Array[] = [];
  #values: Uint8Array[] = [];

  /** `sizes` default to the map's own (a live BpfMap knows them); without them puts are queued one buffer each. */
  constructor(map: RawMap, chunk = 4096, sizes?: EntrySizes) {
    this.#map = map;
    this.#chunk = chunk;
    const keySize = sizes?.keySize ?? map.keySize;
    const valueSize = sizes?.valueSize ?? map.valueBufferSize;
    if (map.keySize !== undefined && map.keySize !== keySize)
      throw new RangeError(`batched writer: map keys are ${map.keySize} bytes, not ${keySize}`);
    if (map.valueBufferSize !== undefined && map.valueBufferSize !== valueSize)
      throw new RangeError(`batched writer: map values are ${map.valueBufferSize} bytes, not ${valueSize}`);
    this.#sizes = keySize !== undefined && valueSize !== undefined ? { keySize, valueSize } : undefined;
  }

  /** pending is how many writes are queued. */
  get pending(): number {
    return this.#count + this.#keys.length;
  }

  /** put queues one write (or writes it now when the map cannot batch). */
  put(key: Uint8Array, value: Uint8Array): void {
    if (this.#map.updateBatch === undefined && this.#map.updateBatchPacked === undefined)
      return this.#map.update(key, value);
    const sizes = this.#sizes;
    if (sizes === undefined) {
      this.#keys.push(key);
      this.#values.push(value);
      if (this.#keys.length >= this.#chunk) this.flush();
      return;
    }
    if (key.byteLength !== sizes.keySize || value.byteLength !== sizes.valueSize)
      throw new RangeError(
        `batched write: key ${key.byteLength} and value ${value.byteLength} bytes, want ${sizes.keySize} and ${sizes.valueSize}`,
      );
    const i = this.#slot(sizes);
    this.#keyBytes!.set(key, i * sizes.keySize);
    this.#valueBytes!.set(value, i * sizes.valueSize);
    this.#filled();
  }

  /**
   * putEncoded queues one write whose bytes `encode` writes into the queue itself (needs the
   * entry sizes); a map that cannot batch gets it at once, encoded into buffers of its own.
   */
  putEncoded<K, V>(encode: EntryEncoder<K, V>, key: K, value: V): void {
    const sizes = this.#sizes;
    if (sizes === undefined)
      throw new Error(
        "batched write: putEncoded needs the key and value sizes (none given, none on the map)",
      );
    if (this.#map.updateBatch === undefined && this.#map.updateBatchPacked === undefined) {
      const k = new Uint8Array(sizes.keySize);
      const v = new Uint8Array(sizes.valueSize);
      encode(new DataView(k.buffer), 0, new DataView(v.buffer), 0, key, value);
      return this.#map.update(k, v);
    }
    const i = this.#slot(sizes);
    encode(this.#keyView!, i * sizes.keySize, this.#valueView!, i * sizes.valueSize, key, value);
    this.#filled();
  }

  /** flush sends every queued write. */
  flush(): void {
    if (this.#keys.length > 0) {
      const keys = this.#keys;
      const values = this.#values;
      this.#keys = [];
      this.#values = [];
      this.#map.updateBatch?.(keys, values);
    }
    const sizes = this.#sizes;
    const count = this.#count;
    if (count === 0 || sizes === undefined) return;
    const keys = this.#keyBytes!.subarray(0, count * sizes.keySize);
    const values = this.#valueBytes!.subarray(0, count * sizes.valueSize);
    this.#count = 0;
    const map = this.#map;
    try {
      if (map.updateBatchPacked !== undefined) return map.updateBatchPacked(keys, values, count);
      const ks: Uint8Array[] = [];
      const vs: Uint8Array[] = [];
      for (let i = 0; i < count; i++) {
        ks.push(keys.slice(i * sizes.keySize, (i + 1) * sizes.keySize));
        vs.push(values.slice(i * sizes.valueSize, (i + 1) * sizes.valueSize));
      }
      map.updateBatch?.(ks, vs);
    } finally {
      // The buffers are reused: an encoder leaves padding untouched, and it must read zero.
      keys.fill(0);
      values.fill(0);
    }
  }

  /** #slot is the index of the next packed entry, with room for it. */
  #slot(sizes: EntrySizes): number {
    if (this.#keyBytes === undefined) {
      this.#keyBytes = new Uint8Array(this.#chunk * sizes.keySize);
      this.#valueBytes = new Uint8Array(this.#chunk * sizes.valueSize);
      this.#keyView = new DataView(this.#keyBytes.buffer);
      this.#valueView = new DataView(this.#valueBytes.buffer);
    }
    return this.#count;
  }

  #filled(): void {
    if (++this.#count >= this.#chunk) this.flush();
  }
}
