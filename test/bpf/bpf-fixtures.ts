/**
 * Shared set-up for the BPF root suites: object specs, a per-test pin directory under
 * /sys/fs/bpf/sluice-test-bpf-*, little-endian byte helpers, and a __sk_buff context with a mark.
 */
import { mkdtempSync } from "node:fs";
import { readCollectionSpecFile } from "../../src/bpf/read-collection-spec-file.ts";
import type { CollectionSpec } from "../../src/bpf/collection-spec.ts";
import { ensureBpffs, removePinDir } from "../../src/kernel/bpffs.ts";

const OBJ_DIR = new URL("../../bpf/obj/", import.meta.url).pathname;

/** objectSpec reads bpf/obj/<name>.o. */
export function objectSpec(name: string): Promise<CollectionSpec> {
  return readCollectionSpecFile(`${OBJ_DIR}${name}.o`);
}

/** PinDir is a temporary bpffs directory removed (with everything pinned in it) by remove(). */
export interface PinDir {
  readonly path: string;
  remove(): void;
}

/** makePinDir mounts bpffs if needed and creates /sys/fs/bpf/sluice-test-bpf-XXXXXX. */
export function makePinDir(): PinDir {
  ensureBpffs();
  const path = mkdtempSync("/sys/fs/bpf/sluice-test-bpf-");
  return { path, remove: () => removePinDir(path) };
}

/** u32 encodes a little-endian u32. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** u64 encodes a little-endian u64. */
export function u64(n: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

/** readU32 / readU64 decode little-endian integers at an offset. */
export function readU32(b: Uint8Array, offset = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(offset, true);
}

export function readU64(b: Uint8Array, offset = 0): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(offset, true);
}

/** skbWithMark builds a __sk_buff context for PROG_TEST_RUN that sets only `mark` (offset 8). */
export function skbWithMark(mark: number): Uint8Array {
  const ctx = new Uint8Array(192);
  new DataView(ctx.buffer).setUint32(8, mark, true);
  return ctx;
}

/** ethernetFrame is a minimal IPv4-typed Ethernet frame padded to `size` bytes. */
export function ethernetFrame(size = 64): Uint8Array {
  const f = new Uint8Array(size);
  f[12] = 0x08;
  return f;
}
