/**
 * Batch map operations (BPF_MAP_*_BATCH) with a transparent fallback to one-element calls where
 * the kernel or the map type has no batch support (LPM tries, kernels < 5.6). A dump of a big
 * conntrack table is one syscall per chunk instead of two per entry.
 */
import {
  mapLookupBatch,
  mapLookupBatchAsync,
  mapUpdateBatch,
  mapDeleteBatch,
  UpdateFlag,
  type BatchAttr,
  type BatchResult,
} from "../kernel/bpf-map.ts";
import { Errno } from "../kernel/errno.ts";
import { NotSupportedError } from "../errors/not-supported-error.ts";
import { SyscallError } from "../errors/syscall-error.ts";
import type { BpfMap, UpdateMode } from "./map.ts";

/** BatchOptions sizes each kernel round trip. */
export interface BatchOptions {
  /** Entries per syscall (default 256); grown automatically when a hash bucket doesn't fit (ENOSPC). */
  readonly chunk?: number;
}

/** Entry is one key/value pair as raw bytes (per-CPU values are the padded per-CPU buffer). */
export type Entry = [key: Uint8Array, value: Uint8Array];

function unsupported(e: unknown): boolean {
  return e instanceof NotSupportedError;
}

function tooSmall(e: unknown): boolean {
  return e instanceof SyscallError && e.errno === Errno.ENOSPC;
}

/** ENOSPC (a hash bucket larger than the batch) is answered with count −1: the cursor retries bigger. */
function retryBigger(e: unknown): BatchResult {
  if (!tooSmall(e)) throw e;
  return { count: -1, done: false };
}

/** One batch read for a cursor (dumpSteps, visitSteps), on this thread. */
function readBatch(b: BatchAttr, name: string): BatchResult {
  try {
    return mapLookupBatch(b, name);
  } catch (e) {
    return retryBigger(e);
  }
}

/** One batch read for a cursor, on a worker thread. */
async function readBatchAsync(b: BatchAttr, name: string): Promise<BatchResult> {
  try {
    return await mapLookupBatchAsync(b, name);
  } catch (e) {
    return retryBigger(e);
  }
}

// One generator drives both the sync and the async dump, so the cursor logic exists once.
function* dumpSteps(map: BpfMap, options: BatchOptions): Generator<BatchAttr, Entry[], BatchResult> {
  let chunk = options.chunk ?? 256;
  const cursorSize = Math.max(map.keySize, 8);
  const valueSize = map.valueBufferSize;
  const out: Entry[] = [];
  let inBatch: Uint8Array | undefined;
  for (;;) {
    const keys = new Uint8Array(chunk * map.keySize);
    const values = new Uint8Array(chunk * valueSize);
    const outBatch = new Uint8Array(cursorSize);
    const r = yield { fd: map.fd, keys, values, count: chunk, outBatch, ...(inBatch ? { inBatch } : {}) };
    if (r.count < 0) {
      chunk *= 2; // ENOSPC: a bucket larger than the chunk; retry the same cursor
      continue;
    }
    for (let i = 0; i < r.count; i++) {
      out.push([
        keys.slice(i * map.keySize, (i + 1) * map.keySize),
        values.slice(i * valueSize, (i + 1) * valueSize),
      ]);
    }
    if (r.done) return out;
    inBatch = outBatch;
  }
}

function fallbackDump(map: BpfMap): Entry[] {
  return [...map.entries()];
}

/** lookupBatch returns every entry of `map`, in chunks where the kernel supports batches. */
export function lookupBatch(map: BpfMap, options: BatchOptions = {}): Entry[] {
  const gen = dumpSteps(map, options);
  let next = gen.next();
  try {
    while (!next.done) next = gen.next(readBatch(next.value, map.name));
    return next.value;
  } catch (e) {
    if (unsupported(e)) return fallbackDump(map);
    throw e;
  }
}

/**
 * countEntries returns how many entries `map` holds, read in batches into reused buffers: at
 * 100k entries one syscall per `chunk` entries and no per-entry allocation, where a GET_NEXT_KEY
 * walk costs a syscall and a buffer per key. Falls back to that walk without batch support.
 * An entry added or removed during the count may or may not be counted.
 */
export function countEntries(map: BpfMap, options: BatchOptions = {}): number {
  let count = 0;
  const batched = visitBatches(map, (_keys, _values, n) => void (count += n), options);
  if (batched) return count;
  let n = 0;
  for (const _ of map.keys()) if (++n > map.maxEntries) break; // a hash walk can revisit keys under churn
  return n;
}

/** A batch the cursor asks the kernel for; its answer is a BatchResult, count −1 for ENOSPC. */
type VisitStep = Generator<BatchAttr, void, BatchResult>;

// One cursor drives both the sync and the async visit: buffers reused from one batch to the next.
function* visitSteps(
  map: BpfMap,
  visit: (keys: Uint8Array, values: Uint8Array, count: number) => void,
  options: BatchOptions,
): VisitStep {
  let chunk = options.chunk ?? 4096;
  const cursorSize = Math.max(map.keySize, 8);
  let keys = new Uint8Array(chunk * map.keySize);
  let values = new Uint8Array(chunk * map.valueBufferSize);
  let inBatch: Uint8Array | undefined;
  let outBatch: Uint8Array = new Uint8Array(cursorSize);
  for (;;) {
    const r = yield { fd: map.fd, keys, values, count: chunk, outBatch, ...(inBatch ? { inBatch } : {}) };
    if (r.count < 0) {
      chunk *= 2; // a bucket larger than the chunk: retry the same cursor with room for it
      keys = new Uint8Array(chunk * map.keySize);
      values = new Uint8Array(chunk * map.valueBufferSize);
      continue;
    }
    visit(keys, values, r.count);
    if (r.done) return;
    // The kernel reads in_batch and writes out_batch in one call: swap, never alias.
    [inBatch, outBatch] = [outBatch, inBatch ?? new Uint8Array(cursorSize)];
  }
}

/**
 * visitBatches reads every entry of `map` in batches into reused buffers and hands each batch to
 * `visit` (entry i: keys at i × keySize, values at i × valueBufferSize; the buffers are reused
 * for the next batch). False — nothing visited — when the map has no batch support.
 */
export function visitBatches(
  map: BpfMap,
  visit: (keys: Uint8Array, values: Uint8Array, count: number) => void,
  options: BatchOptions = {},
): boolean {
  const steps = visitSteps(map, visit, options);
  try {
    for (let next = steps.next(); !next.done;) next = steps.next(readBatch(next.value, map.name));
    return true;
  } catch (e) {
    if (!unsupported(e)) throw e;
    return false;
  }
}

/**
 * visitBatchesAsync is visitBatches with each batch read on a worker thread: the event loop
 * turns while the kernel copies a big table out (sl_ct holds 512k flows), and `visit` runs
 * between reads. A map closed during the walk throws at the next read: whoever closes the
 * maps waits for the walks over them first.
 */
export async function visitBatchesAsync(
  map: BpfMap,
  visit: (keys: Uint8Array, values: Uint8Array, count: number) => void,
  options: BatchOptions = {},
): Promise<boolean> {
  const steps = visitSteps(map, visit, options);
  try {
    for (let next = steps.next(); !next.done;) next = steps.next(await readBatchAsync(next.value, map.name));
    return true;
  } catch (e) {
    if (!unsupported(e)) throw e;
    return false;
  }
}

/** lookupBatchAsync is lookupBatch with each chunk read on a worker thread, for big tables. */
export async function lookupBatchAsync(map: BpfMap, options: BatchOptions = {}): Promise<Entry[]> {
  const gen = dumpSteps(map, options);
  let next = gen.next();
  try {
    while (!next.done) next = gen.next(await readBatchAsync(next.value, map.name));
    return next.value;
  } catch (e) {
    if (unsupported(e)) return fallbackDump(map);
    throw e;
  }
}

function concat(parts: readonly Uint8Array[], size: number, what: string): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  parts.forEach((p, i) => {
    if (p.byteLength !== size)
      throw new RangeError(`batch ${what}: element ${i} is ${p.byteLength} bytes, want ${size}`);
    out.set(p, i * size);
  });
  return out;
}

/** updateBatch writes all pairs (same length arrays) in one call, or one by one without batch support. */
export function updateBatch(
  map: BpfMap,
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[],
  mode: UpdateMode = "any",
): void {
  if (keys.length !== values.length)
    throw new RangeError(`batch update map "${map.name}": ${keys.length} keys but ${values.length} values`);
  if (keys.length === 0) return;
  updateBatchPacked(
    map,
    concat(keys, map.keySize, `update map "${map.name}" keys`),
    concat(values, map.valueBufferSize, `update map "${map.name}" values`),
    keys.length,
    mode,
  );
}

/**
 * updateBatchPacked writes `count` pairs laid end to end — `keys` is count × keySize bytes,
 * `values` count × valueBufferSize — in one call, or one by one without batch support. The
 * writer that encodes straight into such buffers (BatchedMapWriter.putEncoded) skips a small
 * buffer per key and value and the copy into one.
 */
export function updateBatchPacked(
  map: BpfMap,
  keys: Uint8Array,
  values: Uint8Array,
  count: number,
  mode: UpdateMode = "any",
): void {
  const ks = map.keySize;
  const vs = map.valueBufferSize;
  if (keys.byteLength !== count * ks || values.byteLength !== count * vs)
    throw new RangeError(
      `batch update map "${map.name}": ${keys.byteLength} key bytes and ${values.byteLength} value bytes for ${count} entries, want ${count * ks} and ${count * vs}`,
    );
  if (count === 0) return;
  try {
    mapUpdateBatch({ fd: map.fd, keys, values, count, elemFlags: UpdateFlag[mode] }, map.name);
  } catch (e) {
    if (!unsupported(e)) throw e;
    for (let i = 0; i < count; i++)
      map.update(keys.subarray(i * ks, (i + 1) * ks), values.subarray(i * vs, (i + 1) * vs), mode);
  }
}

/** deleteBatch removes all keys; keys that are already gone are ignored. Returns how many were deleted. */
export function deleteBatch(map: BpfMap, keys: readonly Uint8Array[]): number {
  if (keys.length === 0) return 0;
  try {
    let done = 0;
    let deleted = 0;
    // The kernel stops at the first missing key; skip it and continue with the rest.
    while (done < keys.length) {
      const rest = keys.slice(done);
      const n = mapDeleteBatch(
        { fd: map.fd, keys: concat(rest, map.keySize, `delete from map "${map.name}"`), count: rest.length },
        map.name,
      );
      deleted += n;
      done += n + (n < rest.length ? 1 : 0);
    }
    return deleted;
  } catch (e) {
    if (!unsupported(e)) throw e;
    let n = 0;
    for (const k of keys) {
      if (map.get(k) === undefined) continue;
      map.delete(k);
      n++;
    }
    return n;
  }
}

/**
 * lookupBatchChunks yields `map`'s entries chunk by chunk, each chunk read on a worker thread, so
 * a scan of a big table (the conntrack sweeper) can act on and yield between chunks instead of
 * holding every entry at once. Without batch support it falls back to one walk, sliced.
 */
export async function* lookupBatchChunks(map: BpfMap, options: BatchOptions = {}): AsyncGenerator<Entry[]> {
  let chunk = options.chunk ?? 256;
  const valueSize = map.valueBufferSize;
  let inBatch: Uint8Array | undefined;
  for (;;) {
    const keys = new Uint8Array(chunk * map.keySize);
    const values = new Uint8Array(chunk * valueSize);
    const outBatch = new Uint8Array(Math.max(map.keySize, 8));
    let r: BatchResult;
    try {
      r = await mapLookupBatchAsync(
        { fd: map.fd, keys, values, count: chunk, outBatch, ...(inBatch ? { inBatch } : {}) },
        map.name,
      );
    } catch (e) {
      if (tooSmall(e)) {
        chunk *= 2; // a bucket larger than the chunk; retry the same cursor
        continue;
      }
      if (!unsupported(e) || inBatch !== undefined) throw e;
      const all = fallbackDump(map);
      for (let i = 0; i < all.length; i += chunk) yield all.slice(i, i + chunk);
      return;
    }
    const out: Entry[] = [];
    for (let i = 0; i < r.count; i++) {
      out.push([
        keys.slice(i * map.keySize, (i + 1) * map.keySize),
        values.slice(i * valueSize, (i + 1) * valueSize),
      ]);
    }
    if (out.length > 0) yield out;
    if (r.done) return;
    inBatch = outBatch;
  }
}
