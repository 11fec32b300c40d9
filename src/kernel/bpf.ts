/**
 * The bpf(2) syscall: command numbers, the zeroed attr buffer every command fills, and the one
 * sync and one async entry point. Per-command wrappers live beside this file (bpf-map.ts,
 * bpf-prog.ts, bpf-obj.ts, bpf-link.ts).
 *
 * Why a fixed 144-byte attr: the kernel rejects non-zero bytes past the fields it knows (E2BIG),
 * so every buffer starts zeroed and only the fields a command uses are written.
 */
import { errnoError, type SyscallErrorOptions } from "./errno.ts";
import { addressOf, lastErrno, SYS_BPF, sysBpf } from "./libc.ts";
import { koffi } from "./libc.ts";

/** BpfCommand holds the bpf(2) command numbers Sluice issues (uapi linux/bpf.h). */
export const BpfCommand = {
  MapCreate: 0,
  MapLookupElem: 1,
  MapUpdateElem: 2,
  MapDeleteElem: 3,
  MapGetNextKey: 4,
  ProgLoad: 5,
  ObjPin: 6,
  ObjGet: 7,
  ProgTestRun: 10,
  ProgGetNextId: 11,
  MapGetNextId: 12,
  ProgGetFdById: 13,
  MapGetFdById: 14,
  ObjGetInfoByFd: 15,
  BtfLoad: 18,
  MapLookupAndDeleteElem: 21,
  MapFreeze: 22,
  MapLookupBatch: 24,
  MapUpdateBatch: 26,
  MapDeleteBatch: 27,
  LinkCreate: 28,
  LinkUpdate: 29,
  LinkGetFdById: 30,
  LinkGetNextId: 31,
  LinkDetach: 34,
} as const;
export type BpfCommand = (typeof BpfCommand)[keyof typeof BpfCommand];

/** ATTR_SIZE is sizeof(union bpf_attr) as of 6.x; unused bytes stay zero. */
export const ATTR_SIZE = 144;

/**
 * BpfAttr is one zeroed bpf_attr being filled. Buffers whose address is embedded are kept in
 * `#pinned` so they stay alive (and unmoved) until the syscall returns — koffi.address() alone
 * does not hold them.
 */
export class BpfAttr {
  readonly buf = Buffer.alloc(ATTR_SIZE);
  readonly #pinned: Uint8Array[] = [];

  u32(offset: number, value: number): this {
    this.buf.writeUInt32LE(value >>> 0, offset);
    return this;
  }

  u64(offset: number, value: bigint | number): this {
    this.buf.writeBigUInt64LE(BigInt(value), offset);
    return this;
  }

  /** ptr writes the address of `data` (or 0 for undefined/empty) and keeps `data` alive. */
  ptr(offset: number, data: Uint8Array | undefined): this {
    if (data === undefined || data.byteLength === 0) return this;
    this.#pinned.push(data);
    return this.u64(offset, addressOf(data));
  }

  /** cstr writes a NUL-terminated string pointer. */
  cstr(offset: number, text: string): this {
    return this.ptr(offset, Buffer.from(`${text}\0`, "utf8"));
  }

  /** name copies an object name (at most 15 bytes + NUL) inline into the attr. */
  name(offset: number, text: string): this {
    Buffer.from(objectName(text), "ascii").copy(this.buf, offset);
    return this;
  }

  readU32(offset: number): number {
    return this.buf.readUInt32LE(offset);
  }

  /** held lists the buffers this attr points at (for async calls that must outlive the caller's frame). */
  get held(): readonly Uint8Array[] {
    return this.#pinned;
  }
}

/**
 * objectName sanitizes a map or program name as the kernel wants it: at most 15 characters of
 * [A-Za-z0-9_.], anything else turned into "_". (`.rodata` is legal; `sl-x` is not.)
 */
export function objectName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15);
}

/** bpfSyscall runs one command and returns its non-negative result, or throws via errnoError. */
export function bpfSyscall(
  cmd: BpfCommand,
  attr: BpfAttr,
  op: string,
  options?: SyscallErrorOptions,
): number {
  const r = Number(sysBpf(SYS_BPF, cmd, attr.buf, ATTR_SIZE));
  if (r < 0) throw errnoError(op, lastErrno(), options);
  return r;
}

/** bpfTry runs one command and returns its result or the negated errno, for callers that branch on errno. */
export function bpfTry(cmd: BpfCommand, attr: BpfAttr): number {
  const r = Number(sysBpf(SYS_BPF, cmd, attr.buf, ATTR_SIZE));
  return r < 0 ? -lastErrno() : r;
}

/**
 * bpfSyscallAsync runs one command on a libuv worker so a long verifier pass or a big batch dump
 * doesn't block the event loop. Resolves to the result, or to the negated errno (koffi exposes
 * the worker's errno inside the callback).
 */
export function bpfTryAsync(cmd: BpfCommand, attr: BpfAttr): Promise<number> {
  return new Promise((resolve, reject) => {
    sysBpf.async(SYS_BPF, cmd, attr.buf, ATTR_SIZE, (err: unknown, r: number | bigint) => {
      // Reference attr (and through it every pinned buffer) until the worker has finished.
      void attr.held.length;
      if (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const n = Number(r);
      resolve(n < 0 ? -koffi.errno() : n);
    });
  });
}
