/**
 * Shared memory mappings of kernel objects (ring buffer pages). The returned ArrayBuffer aliases
 * kernel memory without a copy; it must not be touched after unmap().
 */
import { errnoError } from "./errno.ts";
import { getpagesize, koffi, lastErrno, mmap, munmap } from "./libc.ts";

/** PROT_READ / PROT_WRITE for mapFd. */
export const Prot = { Read: 0x1, Write: 0x2 } as const;
const MAP_SHARED = 0x01;
const MAP_FAILED = 0xffffffffffffffffn;

/** Mapping is one live mmap: a view of the memory and its release. */
export interface Mapping {
  readonly memory: ArrayBuffer;
  unmap(): void;
}

/** mapFd maps `length` bytes of fd at `offset` (a multiple of the page size) shared. */
export function mapFd(fd: number, length: number, prot: number, offset: number, what: string): Mapping {
  const ptr: unknown = mmap(null, length, prot, MAP_SHARED, fd, offset);
  if (ptr === null || BigInt(koffi.address(ptr)) === MAP_FAILED) {
    throw errnoError(`map ${what}`, lastErrno(), { detail: `${length} bytes at offset ${offset}` });
  }
  let live = true;
  return {
    memory: koffi.view(ptr, length),
    unmap(): void {
      if (!live) return;
      live = false;
      munmap(ptr, length);
    },
  };
}

/** pageSize is the kernel page size (4096 on x86-64; arm64 kernels may use 16K or 64K). */
export function pageSize(): number {
  return getpagesize();
}
