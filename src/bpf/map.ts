/**
 * BpfMap is a live kernel map (it owns the fd), created from a MapSpec blueprint or opened from a
 * bpffs pin. Keys and values are raw bytes; typed views come from the generated codecs. Named
 * BpfMap so it does not shadow the global Map. Every operation needs CAP_BPF.
 */
import {
  mapCreate,
  mapCreateAsync,
  type MapCreateAttr,
  mapDeleteElem,
  mapFreeze,
  mapGetNextKey,
  mapLookupAndDelete,
  mapLookupElem,
  mapScanU32,
  mapUpdateElem,
  UpdateFlag,
} from "../kernel/bpf-map.ts";
import { mapInfo, objGet, type MapInfo } from "../kernel/bpf-obj.ts";
import { possibleCpus } from "../kernel/cpus.ts";
import type { Fd } from "../kernel/fd.ts";
import { KeyNotFoundError } from "../errors/key-not-found-error.ts";
import { lookupBatch, updateBatch, updateBatchPacked, visitBatches, visitBatchesAsync } from "./map-batch.ts";
import type { MapSpec } from "./map-spec.ts";
import { isPerCpu } from "./map-type.ts";
import { PinnableObject } from "./pinnable-object.ts";

/** UpdateMode picks create-or-replace ("any"), create-only ("noexist") or replace-only ("exist"). */
export type UpdateMode = keyof typeof UpdateFlag;

/** MapCreateOptions carries the BTF to describe key/value types, when the kernel took the object's BTF. */
export interface MapCreateOptions {
  readonly btfFd?: number;
  /** Inner map fd template for map-in-map types. */
  readonly innerMapFd?: number;
}

/** MapShape is what must match for a pinned map to be reused in place of a spec. */
export type MapShape = Pick<MapSpec, "type" | "keySize" | "valueSize" | "maxEntries" | "flags">;

export class BpfMap extends PinnableObject {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  private constructor(fd: Fd, name: string, shape: MapShape, pinPath?: string) {
    super(fd, pinPath);
    this.name = name;
    this.type = shape.type;
    this.keySize = shape.keySize;
    this.valueSize = shape.valueSize;
    this.maxEntries = shape.maxEntries;
    this.flags = shape.flags;
  }

  /** BpfMap.create issues BPF_MAP_CREATE for `spec` (it does not write global-data contents; the loader does). */
  static create(spec: MapSpec, options: MapCreateOptions = {}): BpfMap {
    return new BpfMap(mapCreate(createAttr(spec, options)), spec.name, spec);
  }

  /** BpfMap.createAsync is create with the kernel's work on a libuv worker (see mapCreateAsync). */
  static async createAsync(spec: MapSpec, options: MapCreateOptions = {}): Promise<BpfMap> {
    return new BpfMap(await mapCreateAsync(createAttr(spec, options)), spec.name, spec);
  }

  /** BpfMap.openPinned opens the map pinned at `path` and reads its shape from the kernel. */
  static openPinned(path: string, name?: string): BpfMap {
    const fd = objGet(path);
    try {
      const info = mapInfo(fd.value);
      return new BpfMap(fd, name ?? info.name, info, path);
    } catch (cause) {
      fd.close();
      throw cause;
    }
  }

  /** BpfMap.fromFd wraps an fd the caller hands over (e.g. from getFdById). */
  static fromFd(fd: Fd, name?: string): BpfMap {
    const info = mapInfo(fd.value);
    return new BpfMap(fd, name ?? info.name, info);
  }

  /** perCpu tells whether values hold one slot per possible CPU. */
  get perCpu(): boolean {
    return isPerCpu(this.type);
  }

  /** valueBufferSize is the bytes one lookup returns: `roundup(valueSize, 8) × possible CPUs` for per-CPU maps. */
  get valueBufferSize(): number {
    return this.perCpu ? roundUp8(this.valueSize) * possibleCpus() : this.valueSize;
  }

  /** lookup returns the value bytes for key, or throws KeyNotFoundError. */
  lookup(key: Uint8Array): Uint8Array {
    const v = this.get(key);
    if (v === undefined) throw new KeyNotFoundError(this.name);
    return v;
  }

  /** get returns the value bytes for key, or undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    this.#checkKey(key);
    const value = new Uint8Array(this.valueBufferSize);
    return mapLookupElem(this.fd, key, value, this.name) ? value : undefined;
  }

  /**
   * scanU32 visits the keys first..last (u32 keys) that hold a value, in order, with the value's
   * first u32 (a prog array's: the program id), until `visit` returns false (mapScanU32).
   */
  scanU32(first: number, last: number, visit: (index: number, value: number) => boolean): void {
    if (this.keySize !== 4) throw new RangeError(`map "${this.name}": scanU32 needs u32 keys`);
    mapScanU32(this.fd, this.valueBufferSize, first, last, this.name, visit);
  }

  /** lookupPerCpu returns one `valueSize` slice per possible CPU (index = CPU number). */
  lookupPerCpu(key: Uint8Array): Uint8Array[] {
    return this.splitPerCpu(this.lookup(key));
  }

  /** splitPerCpu cuts a per-CPU value buffer into per-CPU values (dropping the 8-byte padding). */
  splitPerCpu(buf: Uint8Array): Uint8Array[] {
    const stride = roundUp8(this.valueSize);
    return Array.from({ length: buf.byteLength / stride }, (_, i) =>
      buf.slice(i * stride, i * stride + this.valueSize),
    );
  }

  /** joinPerCpu builds the padded per-CPU buffer from one value per CPU (or one value for every CPU). */
  joinPerCpu(values: readonly Uint8Array[] | Uint8Array): Uint8Array {
    const n = possibleCpus();
    const stride = roundUp8(this.valueSize);
    const out = new Uint8Array(stride * n);
    for (let i = 0; i < n; i++) {
      const v = values instanceof Uint8Array ? values : values[i];
      if (v === undefined) throw new RangeError(`update map "${this.name}": no value for cpu ${i} of ${n}`);
      out.set(v.subarray(0, this.valueSize), i * stride);
    }
    return out;
  }

  /** updateBatch writes all pairs in one BPF_MAP_UPDATE_BATCH, or one by one where the kernel or map type has none (map-batch.ts). */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], mode: UpdateMode = "any"): void {
    updateBatch(this, keys, values, mode);
  }

  /** updateBatchPacked writes `count` pairs laid end to end in `keys` and `values` (map-batch.ts). */
  updateBatchPacked(keys: Uint8Array, values: Uint8Array, count: number, mode: UpdateMode = "any"): void {
    updateBatchPacked(this, keys, values, count, mode);
  }

  /**
   * dumpBatch reads every entry in BPF_MAP_LOOKUP_BATCH calls of 4,096 (one entry at a time where
   * the kernel or map type has none): adopting 100k NAT entries at a restart is ~25 syscalls
   * instead of 200k GET_NEXT_KEY + LOOKUP pairs.
   */
  dumpBatch(): [Uint8Array, Uint8Array][] {
    return lookupBatch(this, { chunk: 4096 });
  }

  /** visitBatches reads every entry in batches of 4,096 into reused buffers (map-batch.ts). */
  visitBatches(visit: (keys: Uint8Array, values: Uint8Array, count: number) => void): boolean {
    return visitBatches(this, visit, { chunk: 4096 });
  }

  /** visitBatchesAsync is visitBatches with each batch of 4,096 read on a worker thread. */
  visitBatchesAsync(visit: (keys: Uint8Array, values: Uint8Array, count: number) => void): Promise<boolean> {
    return visitBatchesAsync(this, visit, { chunk: 4096 });
  }

  /** update writes key → value; `mode` "noexist"/"exist" make it fail with EEXIST/ENOENT. */
  update(key: Uint8Array, value: Uint8Array, mode: UpdateMode = "any"): void {
    this.#checkKey(key);
    if (value.byteLength !== this.valueBufferSize) {
      throw new RangeError(
        `update map "${this.name}": value is ${value.byteLength} bytes, want ${this.valueBufferSize}`,
      );
    }
    mapUpdateElem(this.fd, key, value, UpdateFlag[mode], this.name);
  }

  /** updatePerCpu writes one value per CPU (or the same value on every CPU). */
  updatePerCpu(key: Uint8Array, values: readonly Uint8Array[] | Uint8Array, mode: UpdateMode = "any"): void {
    this.update(key, this.joinPerCpu(values), mode);
  }

  /** delete removes key; throws KeyNotFoundError when absent. */
  delete(key: Uint8Array): void {
    this.#checkKey(key);
    mapDeleteElem(this.fd, key, this.name);
  }

  /** lookupAndDelete returns and removes the value for key (hash maps need kernel >= 5.14). */
  lookupAndDelete(key: Uint8Array): Uint8Array {
    const value = new Uint8Array(this.valueBufferSize);
    if (!mapLookupAndDelete(this.fd, key, value, this.name)) throw new KeyNotFoundError(this.name);
    return value;
  }

  /** keys walks keys with BPF_MAP_GET_NEXT_KEY (a hash map restarts if the current key is deleted meanwhile). */
  *keys(): Generator<Uint8Array> {
    let prev: Uint8Array | undefined;
    for (;;) {
      const next = new Uint8Array(this.keySize);
      if (!mapGetNextKey(this.fd, prev, next, this.name)) return;
      yield next;
      prev = next;
    }
  }

  /** entries walks key/value pairs; entries deleted between key and value reads are skipped. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const key of this.keys()) {
      const value = this.get(key);
      if (value !== undefined) yield [key, value];
    }
  }

  /** freeze makes the map read-only from userspace for good; `.rodata` is frozen before program load. */
  freeze(): void {
    mapFreeze(this.fd, this.name);
  }

  /** info reads the kernel's view of the map (id, shape, name). */
  info(): MapInfo {
    return mapInfo(this.fd);
  }

  #checkKey(key: Uint8Array): void {
    if (key.byteLength !== this.keySize) {
      throw new RangeError(`use map "${this.name}": key is ${key.byteLength} bytes, want ${this.keySize}`);
    }
  }
}

/** createAttr is BPF_MAP_CREATE's input for `spec`; BTF ids go only with a BTF fd. */
function createAttr(spec: MapSpec, options: MapCreateOptions): MapCreateAttr {
  const useBtf = options.btfFd !== undefined && spec.keyType !== undefined && spec.valueType !== undefined;
  return {
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
    flags: spec.flags,
    name: spec.name,
    ...(options.innerMapFd !== undefined ? { innerMapFd: options.innerMapFd } : {}),
    ...(useBtf
      ? { btfFd: options.btfFd, btfKeyTypeId: spec.keyType.id, btfValueTypeId: spec.valueType.id }
      : {}),
  };
}

function roundUp8(n: number): number {
  return (n + 7) & ~7;
}
