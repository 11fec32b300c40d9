/**
 * bpf(2) map commands: create, element CRUD, batch operations and freeze. Raw bytes in and out;
 * src/bpf/map.ts gives them types. Every function needs CAP_BPF (root in practice).
 */
import { BpfAttr, BpfCommand, bpfSyscall, bpfTry, bpfTryAsync } from "./bpf.ts";
import { Errno, errnoError } from "./errno.ts";
import { Fd } from "./fd.ts";

/** MapCreateAttr is what BPF_MAP_CREATE needs. BTF ids are only sent together with btfFd. */
export interface MapCreateAttr {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly name: string;
  readonly innerMapFd?: number;
  readonly btfFd?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
}

/** mapCreate issues BPF_MAP_CREATE and returns the new map's fd. */
export function mapCreate(a: MapCreateAttr): Fd {
  return new Fd(bpfSyscall(BpfCommand.MapCreate, mapCreateAttr(a), `create map "${a.name}"`));
}

/**
 * mapCreateAsync is mapCreate on a libuv worker: creating a big map is kernel time (sl_ct's
 * 512,000 LRU entries ~130 ms here), so several can be created at once while the event loop runs.
 */
export async function mapCreateAsync(a: MapCreateAttr): Promise<Fd> {
  const r = await bpfTryAsync(BpfCommand.MapCreate, mapCreateAttr(a));
  if (r < 0) throw errnoError(`create map "${a.name}"`, -r);
  return new Fd(r);
}

function mapCreateAttr(a: MapCreateAttr): BpfAttr {
  const attr = new BpfAttr()
    .u32(0, a.type)
    .u32(4, a.keySize)
    .u32(8, a.valueSize)
    .u32(12, a.maxEntries)
    .u32(16, a.flags)
    .u32(20, a.innerMapFd ?? 0)
    .name(28, a.name);
  if (a.btfFd !== undefined) {
    attr
      .u32(48, a.btfFd)
      .u32(52, a.btfKeyTypeId ?? 0)
      .u32(56, a.btfValueTypeId ?? 0);
  }
  return attr;
}

/** UpdateFlag selects BPF_ANY / BPF_NOEXIST / BPF_EXIST for an update. */
export const UpdateFlag = { any: 0, noexist: 1, exist: 2 } as const;

function elemAttr(
  fd: number,
  key: Uint8Array | undefined,
  value: Uint8Array | undefined,
  flags = 0,
): BpfAttr {
  return new BpfAttr().u32(0, fd).ptr(8, key).ptr(16, value).u64(24, flags);
}

/** mapLookupElem fills `value` for `key`; false when the key is absent (ENOENT). */
export function mapLookupElem(fd: number, key: Uint8Array, value: Uint8Array, name: string): boolean {
  const r = bpfTry(BpfCommand.MapLookupElem, elemAttr(fd, key, value));
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw errnoError(`lookup map "${name}"`, -r);
  return true;
}

/**
 * mapScanU32 looks up the u32 keys first..last of an array-like map in order and calls `visit`
 * with each key that holds a value and the value's first u32 (a prog array's: the program's id),
 * until `visit` returns false. One attr, key and value buffer serve every lookup: probing the
 * 15k slots of a prog array at a restart costs the syscalls and little else, where a fresh attr
 * and value per key cost ~3× more (issue 10).
 */
export function mapScanU32(
  fd: number,
  valueSize: number,
  first: number,
  last: number,
  name: string,
  visit: (index: number, value: number) => boolean,
): void {
  const key = new Uint8Array(4);
  const keyView = new DataView(key.buffer);
  const value = new Uint8Array(Math.max(valueSize, 4));
  const valueView = new DataView(value.buffer);
  const attr = elemAttr(fd, key, value);
  for (let i = first; i <= last; i++) {
    keyView.setUint32(0, i, true);
    const r = bpfTry(BpfCommand.MapLookupElem, attr);
    if (r === -Errno.ENOENT) continue;
    if (r < 0) throw errnoError(`lookup map "${name}"`, -r);
    if (!visit(i, valueView.getUint32(0, true))) return;
  }
}

/** mapUpdateElem writes one element; throws SyscallError (EEXIST/ENOENT/E2BIG, or EPERM once frozen). */
export function mapUpdateElem(
  fd: number,
  key: Uint8Array,
  value: Uint8Array,
  flags: number,
  name: string,
): void {
  bpfSyscall(BpfCommand.MapUpdateElem, elemAttr(fd, key, value, flags), `update map "${name}"`);
}

/** mapDeleteElem removes one element; throws KeyNotFoundError when it is absent. */
export function mapDeleteElem(fd: number, key: Uint8Array, name: string): void {
  bpfSyscall(BpfCommand.MapDeleteElem, elemAttr(fd, key, undefined), `delete from map "${name}"`, {
    map: name,
  });
}

/** mapLookupAndDelete pops `key` into `value` (queues/stacks pass no key); false when absent. */
export function mapLookupAndDelete(
  fd: number,
  key: Uint8Array | undefined,
  value: Uint8Array,
  name: string,
): boolean {
  const r = bpfTry(BpfCommand.MapLookupAndDeleteElem, elemAttr(fd, key, value));
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw errnoError(`lookup and delete in map "${name}"`, -r);
  return true;
}

/** mapGetNextKey writes the key after `key` (or the first key when `key` is undefined); false at the end. */
export function mapGetNextKey(
  fd: number,
  key: Uint8Array | undefined,
  next: Uint8Array,
  name: string,
): boolean {
  const r = bpfTry(BpfCommand.MapGetNextKey, elemAttr(fd, key, next));
  if (r === -Errno.ENOENT) return false;
  if (r < 0) throw errnoError(`iterate map "${name}"`, -r);
  return true;
}

/** mapFreeze makes the map read-only for userspace (BPF_MAP_FREEZE); programs still see writes made before. */
export function mapFreeze(fd: number, name: string): void {
  bpfSyscall(BpfCommand.MapFreeze, new BpfAttr().u32(0, fd), `freeze map "${name}"`, {
    feature: { name: "map freeze", minKernel: "5.2" },
  });
}

/** BatchAttr is one BPF_MAP_*_BATCH call's buffers; `count` is in elements. */
export interface BatchAttr {
  readonly fd: number;
  readonly inBatch?: Uint8Array;
  readonly outBatch?: Uint8Array;
  readonly keys: Uint8Array;
  readonly values?: Uint8Array;
  readonly count: number;
  readonly elemFlags?: number;
}

/** BatchResult says how many elements the kernel handled and whether it reached the end (ENOENT). */
export interface BatchResult {
  readonly count: number;
  readonly done: boolean;
}

function batchAttr(b: BatchAttr): BpfAttr {
  return new BpfAttr()
    .ptr(0, b.inBatch)
    .ptr(8, b.outBatch)
    .ptr(16, b.keys)
    .ptr(24, b.values)
    .u32(32, b.count)
    .u32(36, b.fd)
    .u64(40, b.elemFlags ?? 0);
}

const BATCH_FEATURE = { name: "batch map operations", minKernel: "5.6" } as const;

function batchResult(cmd: BpfCommand, attr: BpfAttr, r: number, op: string): BatchResult {
  const count = attr.readU32(32);
  if (r === -Errno.ENOENT) return { count, done: true };
  if (r < 0) throw errnoError(op, -r, { feature: BATCH_FEATURE, detail: `command ${cmd}` });
  return { count, done: false };
}

/** mapLookupBatch reads up to `count` entries after `inBatch` (undefined = from the start). */
export function mapLookupBatch(b: BatchAttr, name: string): BatchResult {
  const attr = batchAttr(b);
  return batchResult(
    BpfCommand.MapLookupBatch,
    attr,
    bpfTry(BpfCommand.MapLookupBatch, attr),
    `batch lookup map "${name}"`,
  );
}

/** mapLookupBatchAsync is mapLookupBatch on a worker thread, for big dumps. */
export async function mapLookupBatchAsync(b: BatchAttr, name: string): Promise<BatchResult> {
  const attr = batchAttr(b);
  const r = await bpfTryAsync(BpfCommand.MapLookupBatch, attr);
  return batchResult(BpfCommand.MapLookupBatch, attr, r, `batch lookup map "${name}"`);
}

/** mapUpdateBatch writes `count` key/value pairs; returns how many the kernel applied. */
export function mapUpdateBatch(b: BatchAttr, name: string): number {
  const attr = batchAttr(b);
  const r = bpfTry(BpfCommand.MapUpdateBatch, attr);
  if (r < 0) throw errnoError(`batch update map "${name}"`, -r, { feature: BATCH_FEATURE });
  return attr.readU32(32);
}

/** mapDeleteBatch deletes `count` keys; ENOENT (a missing key) stops early and is reported via the count. */
export function mapDeleteBatch(b: BatchAttr, name: string): number {
  const attr = batchAttr(b);
  const r = bpfTry(BpfCommand.MapDeleteBatch, attr);
  if (r < 0 && r !== -Errno.ENOENT)
    throw errnoError(`batch delete from map "${name}"`, -r, { feature: BATCH_FEATURE });
  return attr.readU32(32);
}
