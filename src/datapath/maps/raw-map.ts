/**
 * RawMap is the slice of src/bpf/map.ts's BpfMap the views use, so a view can sit on a live map
 * or on an in-memory fake (tests, --dry-run).
 */
export interface RawMap {
  get(key: Uint8Array): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, mode?: "any" | "noexist" | "exist"): void;
  delete(key: Uint8Array): void;
  entries(): Iterable<[Uint8Array, Uint8Array]>;
  /** The map's max_entries, when known (BpfMap has it; test doubles may not). */
  readonly maxEntries?: number;
  /** updateBatch (optional: a live BpfMap has it) writes many pairs in one syscall where the kernel can. */
  updateBatch?(keys: readonly Uint8Array[], values: readonly Uint8Array[]): void;
  /**
   * updateBatchPacked (optional: a live BpfMap has it) is updateBatch over `count` pairs laid end
   * to end, keySize and valueBufferSize bytes each.
   */
  updateBatchPacked?(keys: Uint8Array, values: Uint8Array, count: number): void;
  /** Bytes per key, when known (BpfMap has it). */
  readonly keySize?: number;
  /** Bytes per value as written (per-CPU maps: every CPU's slot), when known (BpfMap has it). */
  readonly valueBufferSize?: number;
  /** scanU32 (optional: a live BpfMap with u32 keys has it) visits the keys holding a value with their first u32, until told to stop. */
  scanU32?(first: number, last: number, visit: (index: number, value: number) => boolean): void;
  /** dumpBatch (optional: a live BpfMap has it) reads every entry in a few syscalls where the kernel can. */
  dumpBatch?(): Iterable<[Uint8Array, Uint8Array]>;
  /**
   * visitBatches (optional: a live BpfMap has it) hands every entry over in batches, in buffers
   * reused from one batch to the next (entry i: key at i × keySize, value at i × valueBufferSize),
   * so a reader can judge a big table's entries on their bytes and copy only what it keeps.
   * False, nothing visited, when the kernel cannot batch the map (then read entries()).
   */
  visitBatches?(visit: (keys: Uint8Array, values: Uint8Array, count: number) => void): boolean;
  /**
   * visitBatchesAsync (optional: a live BpfMap has it) is visitBatches with each batch read on a
   * worker thread, so a walk of a big table leaves the event loop free between batches.
   */
  visitBatchesAsync?(visit: (keys: Uint8Array, values: Uint8Array, count: number) => void): Promise<boolean>;
}

/** rawEntries is every entry of `map`, batched when the map can (see RawMap.dumpBatch). */
export function rawEntries(map: RawMap): Iterable<[Uint8Array, Uint8Array]> {
  return map.dumpBatch?.() ?? map.entries();
}

/** PerCpuRawMap adds the per-CPU read of BpfMap. */
export interface PerCpuRawMap extends RawMap {
  lookupPerCpu(key: Uint8Array): Uint8Array[];
}

/** pinName is the pinned file name of a map: the map name plus the ABI layout version. */
export function pinName(map: string, version: number): string {
  return `${map}_v${version}`;
}

/** BatchJudge decides on an entry's bytes (key at keyAt in keys, value at valueAt in values). */
export type BatchJudge = (keys: DataView, keyAt: number, values: DataView, valueAt: number) => boolean;

/** pickFrom is the visitor both pickBatched and pickBatchedAsync hand the batches to. */
function pickFrom<T>(
  ks: number,
  vs: number,
  keep: BatchJudge,
  decode: (key: Uint8Array, value: Uint8Array) => T,
  out: T[],
): (keys: Uint8Array, values: Uint8Array, count: number) => void {
  return (keys, values, count) => {
    const kv = new DataView(keys.buffer, keys.byteOffset, keys.byteLength);
    const vv = new DataView(values.buffer, values.byteOffset, values.byteLength);
    for (let i = 0; i < count; i++)
      if (keep(kv, i * ks, vv, i * vs))
        out.push(decode(keys.subarray(i * ks, (i + 1) * ks), values.subarray(i * vs, (i + 1) * vs)));
  };
}

/**
 * pickBatched reads `map` in batches (RawMap.visitBatches) and decodes only the entries `keep`
 * accepts, judged on their bytes where they lie in the reused batch buffers (entry i's key at
 * i × keySize in `keys`, its value at i × valueBufferSize in `values`; DataViews over both given):
 * a table of 100k entries costs its reads, not 100k decodes. Undefined when the map cannot batch
 * (no visitBatches, or the kernel refused): then read entries().
 */
export function pickBatched<T>(
  map: RawMap,
  keep: BatchJudge,
  decode: (key: Uint8Array, value: Uint8Array) => T,
): T[] | undefined {
  const ks = map.keySize;
  const vs = map.valueBufferSize;
  if (ks === undefined || vs === undefined || map.visitBatches === undefined) return undefined;
  const out: T[] = [];
  return map.visitBatches(pickFrom(ks, vs, keep, decode, out)) ? out : undefined;
}

/**
 * pickBatchedAsync is pickBatched with the batches read on a worker thread
 * (RawMap.visitBatchesAsync); undefined when the map cannot batch that way.
 */
export async function pickBatchedAsync<T>(
  map: RawMap,
  keep: BatchJudge,
  decode: (key: Uint8Array, value: Uint8Array) => T,
): Promise<T[] | undefined> {
  const ks = map.keySize;
  const vs = map.valueBufferSize;
  if (ks === undefined || vs === undefined || map.visitBatchesAsync === undefined) return undefined;
  const out: T[] = [];
  return (await map.visitBatchesAsync(pickFrom(ks, vs, keep, decode, out))) ? out : undefined;
}

/** fieldOffset is a field's byte offset in a generated struct layout (abi.ts). */
export function fieldOffset(
  layout: { readonly name: string; readonly fields: readonly { name: string; offset: number }[] },
  field: string,
): number {
  const f = layout.fields.find((x) => x.name === field);
  if (f === undefined) throw new Error(`struct ${layout.name}: no field ${field}`);
  return f.offset;
}
